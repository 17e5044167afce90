//! Databases: the capabilities a migration run needs, implemented once per
//! driver.
//!
//! - [`Executor`] runs SQL: a list of statements (plus history writes) in one
//!   transaction, or one statement on its own for `-- sluice:no-transaction`
//!   migrations.
//! - [`History`] is a history table over any [`Executor`]: sluice's own
//!   `sluice_history` (one row per version) and `sluice_audit` (append-only
//!   events) are one implementation per backend (`postgres::history`,
//!   `sqlite::history`), which render the SQL that records a row so that the
//!   row can be written *inside* the migration's own transaction.
//!   [`Database::history`] names a connection's; [`HistoryStore`] gives its
//!   methods on the connection.
//! - [`Locker`] takes and releases the migration lock without blocking;
//!   [`LockGuard`] polls it with backoff until a deadline and releases it on every
//!   path (drop), and a killed process releases it because its session (or file
//!   lock) ends with it.
//!
//! [`connect`] picks the driver from the URL: [`sqlite`] (embedded, rusqlite) or
//! [`postgres`] (the `postgres` crate); every Postgres-specific query lives in
//! `postgres/`. The run loop that uses these traits lives in the
//! `sluice-engine` crate and is written once for every driver.

pub mod foreign;
pub mod history;
pub mod inspect;
pub mod introspect;
pub mod lock;
pub mod mysql;
pub mod postgres;
pub mod reset;
pub mod scratch;
pub mod sqlite;

pub use history::{AuditEvent, AuditKind, AuditOutcome, HistoryRow, Status};
pub use lock::{LockError, LockGuard};

use std::path::Path;
use std::time::Duration;

/// Which kind of database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

impl Backend {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }
}

/// An error from the database, with what the server said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}{}", detail.as_ref().map(|d| format!(" (detail: {d})")).unwrap_or_default(), hint.as_ref().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
pub struct DbError {
    /// The primary message.
    pub message: String,
    /// SQLSTATE (Postgres) or the SQLite result code name.
    pub code: Option<String>,
    /// 0-based character offset in the SQL sent, when the server gave one.
    pub position: Option<usize>,
    /// Detail line.
    pub detail: Option<String>,
    /// Hint line.
    pub hint: Option<String>,
}

impl DbError {
    /// An error with only a message.
    pub fn msg(message: impl Into<String>) -> DbError {
        DbError {
            message: message.into(),
            code: None,
            position: None,
            detail: None,
            hint: None,
        }
    }
}

/// A statement that failed inside a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFailure {
    /// Index of the failing statement in the list given, when known.
    pub index: Option<usize>,
    /// What the database said (boxed: failures are the rare path, and a small
    /// `Result` keeps the common one cheap).
    pub error: Box<DbError>,
}

/// Session settings for the migration connection, per environment.
#[derive(Debug, Clone, Default)]
pub struct SessionSettings {
    /// Postgres `lock_timeout` (SQLite: the busy timeout).
    pub lock_timeout: Option<Duration>,
    /// Postgres `statement_timeout` (SQLite: not supported, ignored).
    pub statement_timeout: Option<Duration>,
    /// Session variables (`[environments.X] session`), set after the
    /// timeouts.
    pub variables: Vec<sluice_core::config::SessionVariable>,
}

/// What went wrong, in the terms the run loop acts on. Each driver maps its
/// own codes (SQLSTATE, SQLite result codes) in [`Executor::classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A lock wait ran out (`lock_timeout`): retried with backoff.
    LockTimeout,
    /// A serialization failure or a deadlock: the transaction was rolled back.
    Serialization,
    /// The connection was lost.
    ConnectionLost,
    /// The object to create exists already.
    AlreadyExists,
    /// The SQL does not parse.
    Syntax,
    /// A table the statement names does not exist.
    UndefinedTable,
    /// Anything else.
    Other,
}

/// What a backend can do; the run loop reads these instead of matching on
/// the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// DDL takes part in transactions (a failed migration leaves nothing).
    pub transactional_ddl: bool,
    /// The migration lock is a server-side advisory lock (else a file lock).
    pub advisory_locks: bool,
    /// Which locks a session holds can be observed (`plan`'s lock report) and
    /// the sessions that block a statement named.
    pub observable_locks: bool,
    /// Relation sizes and row estimates can be read (`plan`'s sizes).
    pub relation_sizes: bool,
    /// A transaction can take every lock it needs up front within a bound
    /// ([`Executor::lock_upfront_sql`]).
    pub lock_upfront: bool,
}

/// A session holding a lock that a statement waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// Its process id.
    pub pid: String,
    /// Its application name.
    pub application: String,
    /// When its current query started (RFC 3339, UTC).
    pub query_start: String,
    /// Its state (`idle in transaction`, `active`, ...).
    pub state: String,
    /// Its last query (whitespace folded, at most 120 characters).
    pub query: String,
}

impl Blocker {
    /// Blockers from rows of text: pid, application, query start, state,
    /// query (each driver's query returns these columns).
    pub fn from_rows(rows: &[Vec<Option<String>>]) -> Vec<Blocker> {
        rows.iter()
            .map(|r| {
                let g = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                Blocker {
                    pid: g(0),
                    application: g(1),
                    query_start: g(2),
                    state: g(3),
                    query: g(4),
                }
            })
            .collect()
    }
}

/// Runs SQL.
pub trait Executor {
    /// What this backend can do.
    fn capabilities(&self) -> Capabilities;

    /// What kind of failure `e` (an error from this driver) is.
    fn classify(&self, _e: &DbError) -> ErrorKind {
        ErrorKind::Other
    }

    /// Sessions holding granted locks on `relations` (the likely blockers of a
    /// statement that timed out on them), oldest transaction first, at most
    /// five. Empty where locks cannot be observed.
    fn blockers(&mut self, _relations: &[sluice_sql::facts::ObjectName]) -> Vec<Blocker> {
        vec![]
    }

    /// How an operator ends a blocking session, for messages.
    fn end_session_hint(&self) -> &'static str {
        "end that session"
    }

    /// Cleans up what a failed run of `statement` (outside a transaction) may
    /// leave behind, so it can run again: on Postgres, the INVALID index of a
    /// `CREATE INDEX CONCURRENTLY`. The run loop calls it before each such
    /// statement (a leftover of an earlier run) and before each retry; it
    /// does nothing for statements that leave nothing. The error of a
    /// cleanup that failed.
    fn cleanup_after_failure(&mut self, _statement: &str) -> Result<(), DbError> {
        Ok(())
    }

    /// Applies session settings (timeouts) to this connection.
    fn configure(&mut self, settings: &SessionSettings) -> Result<(), DbError>;

    /// Runs `statements`, then `bookkeeping` (history and audit SQL from the
    /// [`HistoryStore`]), in one transaction: all of it commits, or none of it.
    fn run_in_transaction(
        &mut self,
        statements: &[&str],
        bookkeeping: &[String],
    ) -> Result<(), StatementFailure>;

    /// Runs one statement outside any transaction (autocommit), or inside one
    /// opened with [`Executor::begin`].
    fn run_alone(&mut self, statement: &str) -> Result<(), DbError>;

    /// Opens a transaction on this session (statements then run one by one
    /// with [`Executor::run_alone`] until [`Executor::commit`]).
    fn begin(&mut self) -> Result<(), DbError> {
        self.run_alone("BEGIN")
    }

    /// Commits the transaction [`Executor::begin`] opened.
    fn commit(&mut self) -> Result<(), DbError> {
        self.run_alone("COMMIT")
    }

    /// Rolls back the transaction [`Executor::begin`] opened.
    fn rollback(&mut self) -> Result<(), DbError> {
        self.run_alone("ROLLBACK")
    }

    /// Runs one query and returns its rows, each value as text (NULL as `None`).
    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError>;

    /// Relation locks this session holds now (empty where the database has
    /// no lock table).
    fn held_locks(&mut self) -> Result<Vec<inspect::HeldLock>, DbError> {
        Ok(vec![])
    }

    /// Every relation outside the system schemas, as (schema, name) (empty
    /// where locks cannot be observed).
    fn relations(&mut self) -> Result<std::collections::HashSet<(String, String)>, DbError> {
        Ok(Default::default())
    }

    /// MySQL/MariaDB: the online-DDL algorithm and lock level the server
    /// accepts for an `ALTER TABLE` statement, as (table, label such as
    /// `ALGORITHM=INPLACE, LOCK=NONE`), probed on a copy of the table
    /// (`CREATE TABLE ... LIKE`) that is dropped after: the cheapest of
    /// INSTANT, INPLACE without and with a shared lock, then COPY. Err when
    /// the server refused every one for another reason (its message). None
    /// where the backend has no online DDL, the statement is not a
    /// probeable `ALTER TABLE`, or its table does not exist yet. Run it on
    /// a scratch database only.
    fn probe_online_ddl(&mut self, _sql: &str) -> Option<Result<(String, &'static str), String>> {
        None
    }

    /// Size estimates of relations named as SQL names them (empty where the
    /// database keeps no size statistics).
    fn relation_sizes(&mut self, _names: &[String]) -> Result<Vec<inspect::RelationSize>, DbError> {
        Ok(vec![])
    }

    /// Whether each of `tables` holds at least one row, read from the
    /// relations themselves (`SELECT EXISTS (SELECT 1 FROM t)`, every table
    /// in one query), never from planner estimates, which are unknown for a
    /// small table never analysed. None for a table that does not exist on
    /// this database (then each is asked on its own, to tell which).
    fn tables_with_rows(
        &mut self,
        tables: &[sluice_sql::facts::ObjectName],
    ) -> Result<Vec<Option<bool>>, DbError> {
        if tables.is_empty() {
            return Ok(vec![]);
        }
        let name = |ex: &Self, t: &sluice_sql::facts::ObjectName| match &t.schema {
            Some(s) => format!("{}.{}", ex.quote_ident(s), ex.quote_ident(&t.name)),
            None => ex.quote_ident(&t.name),
        };
        let yes = |v: Option<&Option<String>>| {
            matches!(v.cloned().flatten().as_deref(), Some("t" | "1" | "true"))
        };
        let columns: Vec<String> = tables
            .iter()
            .map(|t| format!("EXISTS (SELECT 1 FROM {})", name(self, t)))
            .collect();
        match self.query_rows(&format!("SELECT {}", columns.join(", "))) {
            Ok(rows) => {
                let row = rows.into_iter().next().unwrap_or_default();
                Ok((0..tables.len()).map(|i| Some(yes(row.get(i)))).collect())
            }
            Err(e) if self.classify(&e) == ErrorKind::UndefinedTable => {
                let mut out = Vec::with_capacity(tables.len());
                for t in tables {
                    out.push(
                        match self
                            .query_rows(&format!("SELECT EXISTS (SELECT 1 FROM {})", name(self, t)))
                        {
                            Ok(rows) => Some(yes(rows.first().and_then(|r| r.first()))),
                            Err(e) if self.classify(&e) == ErrorKind::UndefinedTable => None,
                            Err(e) => return Err(e),
                        },
                    );
                }
                Ok(out)
            }
            Err(e) => Err(e),
        }
    }

    /// The statements that drop every object of this database but sluice's
    /// own tables (`sluice reset`; see [`crate::reset`]), read from its
    /// catalog now. Err where the backend cannot say.
    fn reset_statements(&mut self) -> Result<Vec<String>, DbError> {
        Err(DbError::msg("this database cannot be reset by sluice"))
    }

    /// Quotes an identifier in this database's SQL (`"name"`; MySQL:
    /// `` `name` ``).
    fn quote_ident(&self, s: &str) -> String {
        quote_ident(s)
    }

    /// A statement that takes `locks` (relation, mode) up front, in a fixed
    /// order, at the start of a migration's transaction, spending at most
    /// `budget` in total from the first request (each wait gets what is left
    /// of it), so no session waits behind a lock the migration holds while it
    /// waits for another. None where the backend has no such locks.
    fn lock_upfront_sql(
        &self,
        _locks: &[(sluice_sql::facts::ObjectName, sluice_sql::facts::LockMode)],
        _budget: Duration,
    ) -> Option<String> {
        None
    }
}

/// A history table: where a database records the migrations applied to it.
/// `sluice_history` (with `sluice_audit`) is sluice's own, one
/// implementation per backend (`postgres::history`, `sqlite::history`);
/// another tool's table (Flyway's, Prisma's …) is another implementation.
/// A history reads and writes through an [`Executor`], inside the caller's
/// transaction when there is one.
pub trait History: Send + Sync {
    /// The table's name.
    fn name(&self) -> &str;

    /// Whether the table exists (no side effects).
    fn exists(&self, ex: &mut dyn Executor) -> Result<bool, DbError>;

    /// Creates the tables when missing. Call it only with the lock held:
    /// concurrent `CREATE TABLE IF NOT EXISTS` races in Postgres.
    fn ensure(&self, ex: &mut dyn Executor) -> Result<(), DbError>;

    /// Every row (none when the table does not exist).
    fn load(&self, ex: &mut dyn Executor) -> Result<Vec<HistoryRow>, DbError>;

    /// SQL that inserts or replaces the row for `row.version`.
    fn upsert_sql(&self, row: &HistoryRow) -> String;

    /// SQL that deletes the row for `version`.
    fn delete_sql(&self, version: &str) -> String;

    /// SQL that appends an audit event.
    fn audit_sql(&self, event: &AuditEvent) -> String;

    /// Every audit event, oldest first (for tests and reports).
    fn load_audit(&self, ex: &mut dyn Executor) -> Result<Vec<AuditEvent>, DbError>;
}

/// A connection's own history ([`Database::history`]), as methods on the
/// connection.
pub trait HistoryStore {
    /// Whether `sluice_history` exists (no side effects).
    fn history_exists(&mut self) -> Result<bool, DbError>;

    /// Creates `sluice_history` and `sluice_audit` when missing. Call it only with
    /// the lock held: concurrent `CREATE TABLE IF NOT EXISTS` races in Postgres.
    fn ensure_history(&mut self) -> Result<(), DbError>;

    /// Every history row (none when the table does not exist).
    fn load_history(&mut self) -> Result<Vec<HistoryRow>, DbError>;

    /// SQL that inserts or replaces the row for `row.version`.
    fn upsert_sql(&self, row: &HistoryRow) -> String;

    /// SQL that deletes the row for `version`.
    fn delete_sql(&self, version: &str) -> String;

    /// SQL that appends an audit event.
    fn audit_sql(&self, event: &AuditEvent) -> String;

    /// Every audit event, oldest first (for tests and reports).
    fn load_audit(&mut self) -> Result<Vec<AuditEvent>, DbError>;
}

impl<T: Database + ?Sized> HistoryStore for T {
    fn history_exists(&mut self) -> Result<bool, DbError> {
        let h = self.history();
        h.exists(self.executor())
    }

    fn ensure_history(&mut self) -> Result<(), DbError> {
        let h = self.history();
        h.ensure(self.executor())
    }

    fn load_history(&mut self) -> Result<Vec<HistoryRow>, DbError> {
        let h = self.history();
        h.load(self.executor())
    }

    fn upsert_sql(&self, row: &HistoryRow) -> String {
        self.history().upsert_sql(row)
    }

    fn delete_sql(&self, version: &str) -> String {
        self.history().delete_sql(version)
    }

    fn audit_sql(&self, event: &AuditEvent) -> String {
        self.history().audit_sql(event)
    }

    fn load_audit(&mut self) -> Result<Vec<AuditEvent>, DbError> {
        let h = self.history();
        h.load_audit(self.executor())
    }
}

/// Takes the migration lock without waiting.
pub trait Locker {
    /// Tries once; true when this connection now holds the lock.
    fn try_lock(&mut self) -> Result<bool, DbError>;

    /// Releases the lock held by this connection.
    fn unlock(&mut self) -> Result<(), DbError>;
}

/// A connection with every capability.
pub trait Database: Executor + Locker + Send {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Where this database records sluice's migrations (`sluice_history`).
    fn history(&self) -> Box<dyn History>;

    /// This connection as an [`Executor`] (for a [`History`]).
    fn executor(&mut self) -> &mut dyn Executor;

    /// Reads the live schema into the model (see [`introspect`]).
    fn introspect(&mut self, opts: &introspect::Options) -> Result<sluice_schema::Schema, DbError>;
}

/// Options for [`connect`].
#[derive(Debug, Clone)]
pub struct ConnectOptions<'a> {
    /// Relative SQLite paths are resolved against this directory.
    pub root: &'a Path,
    /// Postgres schema for sluice's tables.
    pub history_schema: &'a str,
}

/// Which backend a connection string is for: `sqlite:` URLs, `postgres://` and
/// `postgresql://` URLs, or a libpq keyword/value string (`host=… dbname=…`,
/// which the Postgres driver reads as libpq does). This is the one place that
/// reads a URL's scheme. An unsupported one is an error that shows the string
/// redacted.
pub fn backend_of(url: &str) -> Result<Backend, DbError> {
    if url.starts_with("sqlite:") {
        return Ok(Backend::Sqlite);
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Backend::Postgres);
    }
    if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        return Ok(Backend::Mysql);
    }
    if !url.contains("://") && looks_keyed(url) {
        // A key=value string: the driver's own parser says what is wrong.
        return match url.parse::<::postgres::Config>() {
            Ok(_) => Ok(Backend::Postgres),
            Err(e) => Err(DbError::msg(format!(
                "not a valid libpq key=value connection string ({e}); keys are libpq's (host, port, user, password, dbname, ...)"
            ))),
        };
    }
    let shown = sluice_core::redact::redact_url(url);
    let msg = match url.find("://").map(|i| &url[..i]) {
        Some(scheme) if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => format!("unsupported database URL scheme `{scheme}`: use sqlite://PATH, postgres://USER@HOST/DB, mysql://USER@HOST/DB or a libpq key=value string"),
        _ => format!("not a database URL ({shown}): use sqlite://PATH, postgres://USER@HOST/DB or a libpq key=value string (host=… dbname=…)"),
    };
    Err(DbError::msg(msg))
}

/// Whether `s` is written as `key=value ...` (its first word is a key).
fn looks_keyed(s: &str) -> bool {
    let t = s.trim_start();
    let key_end = t.find(|c: char| c == '=' || c.is_whitespace());
    key_end.is_some_and(|i| i > 0 && t[i..].trim_start().starts_with('='))
}

/// Whether `s` is a libpq keyword/value connection string the Postgres driver
/// accepts (`host=db user=app dbname=x`).
pub fn is_keyword_value(s: &str) -> bool {
    looks_keyed(s) && s.parse::<::postgres::Config>().is_ok()
}

/// Opens a connection for a URL: `sqlite://path`, `sqlite:path`,
/// `sqlite:///absolute/path`, `sqlite::memory:`, `postgres://…`,
/// `postgresql://…`, or a libpq keyword/value string.
pub fn connect(url: &str, opts: &ConnectOptions<'_>) -> Result<Box<dyn Database>, DbError> {
    match backend_of(url)? {
        Backend::Sqlite => {
            let rest = url.strip_prefix("sqlite:").unwrap_or(url);
            Ok(Box::new(sqlite::SqliteDb::open(rest, opts.root)?))
        }
        Backend::Postgres => Ok(Box::new(postgres::PostgresDb::connect(
            url,
            opts.history_schema,
        )?)),
        Backend::Mysql => Ok(Box::new(mysql::MysqlDb::connect(url)?)),
    }
}

/// Quotes an SQL string literal (standard-conforming strings: `'` doubled).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\0', "").replace('\'', "''"))
}

/// Quotes an identifier (`"` doubled).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
