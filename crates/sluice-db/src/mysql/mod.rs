//! MySQL 8 and MariaDB 10.11 (the `mysql` crate, no TLS in this build).
//!
//! - **No transactional DDL.** Every DDL statement commits on its own; the
//!   driver says so in its [`Capabilities`](crate::Capabilities) and the run
//!   loop runs each migration statement by statement, recording progress
//!   after each, so a failure leaves it `dirty` at the failing statement.
//! - **Lock.** `GET_LOCK(name, 0)`, polled by the caller until `lock_wait`,
//!   released with `RELEASE_LOCK` and by the session ending (a killed run
//!   leaves no stale lock). The name is derived from the database, so two
//!   databases on one server do not block each other.
//! - **Timeouts.** `lock_timeout` sets `lock_wait_timeout` (metadata locks)
//!   and `innodb_lock_wait_timeout` (row locks), in whole seconds (at least
//!   1); `statement_timeout` sets `max_statement_time` on MariaDB and
//!   `max_execution_time` on MySQL (which limits SELECT statements only).
//! - **Strings.** sluice's own statements quote with both `'` and `\`
//!   escaped, so they are right whatever the session's `sql_mode`.

pub mod history;
pub mod introspect;

use crate::{Backend, Database, DbError, Executor, Locker, SessionSettings, StatementFailure};
use mysql::prelude::Queryable;

/// A MySQL or MariaDB connection.
pub struct MysqlDb {
    conn: mysql::Conn,
    lock_name: String,
    mariadb: bool,
}

/// A string literal that means the same whatever `sql_mode` says about
/// backslashes.
pub fn quote_literal(s: &str) -> String {
    format!(
        "'{}'",
        s.replace('\0', "")
            .replace('\\', "\\\\")
            .replace('\'', "''")
    )
}

fn err(e: mysql::Error) -> DbError {
    match e {
        mysql::Error::MySqlError(m) => DbError {
            message: m.message,
            code: Some(m.code.to_string()),
            position: None,
            detail: None,
            hint: None,
        },
        mysql::Error::IoError(io) => DbError {
            message: format!("connection lost: {io}"),
            code: Some("io".into()),
            position: None,
            detail: None,
            hint: None,
        },
        mysql::Error::DriverError(d) => DbError::msg(d.to_string()),
        other => DbError::msg(other.to_string()),
    }
}

/// The lock name for a database: short (MySQL allows 64 characters) and
/// distinct per database.
fn lock_name(database: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("sluice-migration-lock:{database}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("sluice:{h:016x}")
}

fn text(v: mysql::Value) -> Option<String> {
    use mysql::Value as V;
    match v {
        V::NULL => None,
        V::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        V::Int(n) => Some(n.to_string()),
        V::UInt(n) => Some(n.to_string()),
        V::Float(f) => Some(f.to_string()),
        V::Double(f) => Some(f.to_string()),
        V::Date(y, mo, d, h, mi, s, us) => Some(format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            us / 1000
        )),
        V::Time(neg, d, h, m, s, _) => Some(format!(
            "{}{}:{m:02}:{s:02}",
            if neg { "-" } else { "" },
            u32::from(h) + d * 24
        )),
    }
}

impl MysqlDb {
    /// Connects to a `mysql://` or `mariadb://` URL, which must name a
    /// database. TLS is not supported by this build: `ssl-mode=REQUIRED`
    /// (or `require_ssl=true`) fails rather than connecting in clear text.
    pub fn connect(url: &str) -> Result<MysqlDb, DbError> {
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_string(),
        };
        let lower = url.to_ascii_lowercase();
        if lower.contains("require_ssl=true")
            || lower.contains("ssl-mode=required")
            || lower.contains("sslmode=require")
        {
            return Err(DbError::msg(
                "TLS is not supported by this build of sluice for MySQL; connect through a local TLS proxy, or leave TLS off",
            ));
        }
        let opts = mysql::Opts::from_url(&url).map_err(|e| {
            DbError::msg(format!(
                "invalid MySQL URL ({e}): write mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            ))
        })?;
        let database = opts.get_db_name().map(str::to_string).ok_or_else(|| {
            DbError::msg("the MySQL URL names no database: write mysql://USER@HOST[:PORT]/DATABASE (sluice keeps its tables in that database)")
        })?;
        let conn = mysql::Conn::new(opts).map_err(|e| {
            let mut d = err(e);
            d.message = format!("cannot connect: {}", d.message);
            d
        })?;
        let mut db = MysqlDb {
            conn,
            lock_name: lock_name(&database),
            mariadb: false,
        };
        let version = db
            .query_rows("SELECT VERSION()")?
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .unwrap_or_default();
        db.mariadb = version.contains("MariaDB");
        Ok(db)
    }

    /// Whether the server is MariaDB (else MySQL).
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }
}

impl Executor for MysqlDb {
    fn capabilities(&self) -> crate::Capabilities {
        crate::Capabilities {
            transactional_ddl: false,
            advisory_locks: true,
            relation_sizes: true,
            ..Default::default()
        }
    }

    /// From `information_schema.TABLES`: `TABLE_ROWS` (InnoDB's estimate)
    /// and `DATA_LENGTH + INDEX_LENGTH`, in one query. A name is
    /// `table` (the connection's database) or `database.table`, quoted or
    /// not; the schema is empty for the connection's database.
    fn relation_sizes(
        &mut self,
        names: &[String],
    ) -> Result<Vec<crate::inspect::RelationSize>, DbError> {
        let unquote = |s: &str| {
            s.trim_matches(|c| c == '"' || c == '`')
                .replace("\"\"", "\"")
        };
        let pairs: Vec<(String, Option<String>, String)> = names
            .iter()
            .map(|n| match n.split_once('.') {
                Some((schema, table)) => (n.clone(), Some(unquote(schema)), unquote(table)),
                None => (n.clone(), None, unquote(n)),
            })
            .collect();
        let values = pairs
            .iter()
            .map(|(asked, schema, table)| {
                format!(
                    "SELECT {} AS asked, {} AS s, {} AS t",
                    quote_literal(asked),
                    schema
                        .as_deref()
                        .map(quote_literal)
                        .unwrap_or_else(|| "DATABASE()".into()),
                    quote_literal(table)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!(
            "SELECT x.asked, IF(t.TABLE_SCHEMA = DATABASE(), '', t.TABLE_SCHEMA), t.TABLE_NAME, t.TABLE_ROWS, \
                    COALESCE(t.DATA_LENGTH, 0) + COALESCE(t.INDEX_LENGTH, 0) \
             FROM ({values}) AS x \
             JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = x.s AND t.TABLE_NAME = x.t"
        );
        Ok(self
            .query_rows(&sql)?
            .into_iter()
            .map(|r| {
                let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
                crate::inspect::RelationSize {
                    asked: get(0),
                    schema: get(1),
                    name: get(2),
                    rows: get(3).parse::<i64>().ok(),
                    bytes: get(4).parse().unwrap_or(0),
                }
            })
            .collect())
    }

    fn probe_online_ddl(&mut self, sql: &str) -> Option<Result<(String, &'static str), String>> {
        const PROBE: &str = "sluice_online_ddl_probe";
        let p = sluice_sql::mysql::probe(sql, PROBE)?;
        let q = |s: &str| format!("`{}`", s.replace('`', "``"));
        let table = match &p.table.schema {
            Some(s) => format!("{}.{}", q(s), q(&p.table.name)),
            None => q(&p.table.name),
        };
        let _ = self.run_alone(&format!("DROP TABLE IF EXISTS {}", q(PROBE)));
        if let Err(e) = self.run_alone(&format!("CREATE TABLE {} LIKE {table}", q(PROBE))) {
            // 1146: the table does not exist yet (the migration creates it).
            return (e.code.as_deref() != Some("1146"))
                .then(|| Err(format!("copying {table} to probe it: {}", e.message)));
        }
        let mut result = Err("the server accepted none of INSTANT, INPLACE and COPY".to_string());
        for (algorithm, lock, attempt) in p.attempts {
            match self.run_alone(&attempt) {
                Ok(()) => {
                    result = Ok((
                        p.table.to_string(),
                        sluice_sql::facts::online_label(
                            algorithm,
                            lock.unwrap_or(sluice_sql::facts::DdlLock::None),
                        ),
                    ));
                    break;
                }
                // ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON): not this way.
                Err(e) if matches!(e.code.as_deref(), Some("1845" | "1846")) => continue,
                Err(e) => {
                    result = Err(e.message);
                    break;
                }
            }
        }
        let _ = self.run_alone(&format!("DROP TABLE IF EXISTS {}", q(PROBE)));
        Some(result)
    }

    fn classify(&self, e: &DbError) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match e.code.as_deref() {
            // Lock wait timeout (InnoDB or metadata), NOWAIT.
            Some("1205" | "3572") => K::LockTimeout,
            Some("1213") => K::Serialization,
            // Table, key, column exists.
            Some("1050" | "1061" | "1060") => K::AlreadyExists,
            Some("1064") => K::Syntax,
            Some("1146") => K::UndefinedTable,
            Some("io" | "2006" | "2013") => K::ConnectionLost,
            _ => K::Other,
        }
    }

    fn blockers(&mut self, _relations: &[sluice_sql::facts::ObjectName]) -> Vec<crate::Blocker> {
        // Sessions with an open transaction (which hold the metadata locks a
        // waiting ALTER needs), oldest first.
        let q = "SELECT p.ID, COALESCE(p.USER, ''), COALESCE(DATE_FORMAT(t.trx_started, '%Y-%m-%dT%H:%i:%sZ'), ''), COALESCE(p.COMMAND, ''), LEFT(REPLACE(COALESCE(p.INFO, ''), '\\n', ' '), 120)
                 FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
                 WHERE p.ID <> CONNECTION_ID() ORDER BY t.trx_started LIMIT 5";
        self.query_rows(q)
            .map(|rows| crate::Blocker::from_rows(&rows))
            .unwrap_or_default()
    }

    fn end_session_hint(&self) -> &'static str {
        "end it with KILL PID"
    }

    fn configure(&mut self, s: &SessionSettings) -> Result<(), DbError> {
        let mut sets = Vec::new();
        if let Some(t) = s.lock_timeout {
            let secs = t.as_secs_f64().ceil().max(1.0) as u64;
            sets.push(format!("lock_wait_timeout = {secs}"));
            sets.push(format!("innodb_lock_wait_timeout = {secs}"));
        }
        if let Some(t) = s.statement_timeout {
            if self.mariadb {
                sets.push(format!("max_statement_time = {}", t.as_secs_f64()));
            } else {
                sets.push(format!("max_execution_time = {}", t.as_millis()));
            }
        }
        for v in &s.variables {
            sets.push(format!(
                "{} = {}",
                v.name,
                if v.quoted {
                    quote_literal(&v.value)
                } else {
                    v.value.clone()
                }
            ));
        }
        if sets.is_empty() {
            return Ok(());
        }
        self.run_alone(&format!("SET SESSION {}", sets.join(", ")))
    }

    fn run_in_transaction(
        &mut self,
        statements: &[&str],
        bookkeeping: &[String],
    ) -> Result<(), StatementFailure> {
        let fail = |index, error| StatementFailure {
            index,
            error: Box::new(error),
        };
        if statements.is_empty() {
            // Bookkeeping alone (history and audit rows): one round trip. The
            // server stops a multi-statement batch at its first error, with
            // the transaction open: roll it back.
            let mut batch = String::from("START TRANSACTION;");
            for b in bookkeeping {
                batch.push_str(b.trim_end().trim_end_matches(';'));
                batch.push(';');
            }
            batch.push_str("COMMIT");
            return self.conn.query_drop(&batch).map_err(|e| {
                let _ = self.conn.query_drop("ROLLBACK");
                fail(None, err(e))
            });
        }
        self.conn
            .query_drop("START TRANSACTION")
            .map_err(|e| fail(None, err(e)))?;
        let result = (|| {
            for (i, s) in statements.iter().enumerate() {
                self.conn
                    .query_drop(*s)
                    .map_err(|e| fail(Some(i), err(e)))?;
            }
            for b in bookkeeping {
                self.conn.query_drop(b).map_err(|e| fail(None, err(e)))?;
            }
            self.conn
                .query_drop("COMMIT")
                .map_err(|e| fail(None, err(e)))
        })();
        if result.is_err() {
            let _ = self.conn.query_drop("ROLLBACK");
        }
        result
    }

    fn run_alone(&mut self, statement: &str) -> Result<(), DbError> {
        self.conn.query_drop(statement).map_err(err)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.run_alone("START TRANSACTION")
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.run_alone("COMMIT")
    }

    fn rollback(&mut self) -> Result<(), DbError> {
        self.run_alone("ROLLBACK")
    }

    fn reset_statements(&mut self) -> Result<Vec<String>, DbError> {
        crate::reset::mysql(self)
    }

    fn quote_ident(&self, s: &str) -> String {
        format!("`{}`", s.replace('`', "``"))
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let rows: Vec<mysql::Row> = self.conn.query(sql).map_err(err)?;
        Ok(rows
            .into_iter()
            .map(|r| r.unwrap().into_iter().map(text).collect())
            .collect())
    }
}

impl Locker for MysqlDb {
    fn try_lock(&mut self) -> Result<bool, DbError> {
        let rows = self.query_rows(&format!(
            "SELECT GET_LOCK({}, 0)",
            quote_literal(&self.lock_name)
        ))?;
        Ok(rows.first().and_then(|r| r[0].clone()).as_deref() == Some("1"))
    }

    fn unlock(&mut self) -> Result<(), DbError> {
        self.query_rows(&format!(
            "SELECT RELEASE_LOCK({})",
            quote_literal(&self.lock_name)
        ))
        .map(|_| ())
    }
}

impl Database for MysqlDb {
    fn backend(&self) -> Backend {
        Backend::Mysql
    }

    fn history(&self) -> Box<dyn crate::History> {
        Box::new(history::SluiceHistory)
    }

    fn executor(&mut self) -> &mut dyn Executor {
        self
    }

    fn introspect(
        &mut self,
        opts: &crate::introspect::Options,
    ) -> Result<sluice_schema::Schema, DbError> {
        introspect::introspect(self, opts)
    }
}
