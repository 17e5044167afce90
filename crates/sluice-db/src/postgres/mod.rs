//! PostgreSQL (the `postgres` crate, which gives session-level control: the
//! advisory lock, `SET lock_timeout`, SQLSTATE and error positions).
//!
//! A transactional migration is sent as one simple-query round trip:
//! `BEGIN; <statements>; <history row>; <audit row>; COMMIT;`. Postgres stops at
//! the first error and leaves the transaction aborted, so nothing of a failed
//! migration (nor its history row) survives; the error position maps back to
//! the statement that failed. The lock is `pg_try_advisory_lock` on the session,
//! never inside a transaction and never the blocking `pg_advisory_lock`.

use crate::{
    quote_ident, quote_literal, Backend, Database, DbError, Executor, Locker, SessionSettings,
    StatementFailure,
};
use postgres::{Client, NoTls, SimpleQueryMessage};

pub mod history;
pub(crate) mod inspect;
pub mod introspect;
pub(crate) mod scratch;
pub mod verification;

/// A Postgres session.
pub struct PostgresDb {
    client: Client,
    schema: String,
    lock_key: i64,
}

fn err(e: postgres::Error) -> DbError {
    match e.as_db_error() {
        Some(db) => DbError {
            message: db.message().to_string(),
            code: Some(db.code().code().to_string()),
            position: match db.position() {
                Some(postgres::error::ErrorPosition::Original(p)) => {
                    Some((*p as usize).saturating_sub(1))
                }
                _ => None,
            },
            detail: db.detail().map(str::to_string),
            hint: db.hint().map(str::to_string),
        },
        None => DbError::msg(e.to_string()),
    }
}

/// One simple-query batch: `BEGIN`, each statement, the bookkeeping, `COMMIT`,
/// and the span of each statement in characters (Postgres reports error
/// positions in characters).
///
/// Every statement is followed by a newline before its `;`: a statement whose
/// last line ends in a `-- comment` would otherwise swallow the separator (and
/// run into the next statement), which psql never does because it sends the
/// statement up to its own `;`.
pub fn transaction_batch(
    statements: &[&str],
    bookkeeping: &[String],
) -> (String, Vec<(usize, usize)>) {
    let mut sql = String::from("BEGIN;\n");
    let mut spans = Vec::with_capacity(statements.len());
    let mut chars = sql.len();
    for s in statements {
        let n = s.chars().count();
        spans.push((chars, chars + n));
        sql.push_str(s);
        sql.push_str("\n;\n");
        chars += n + 3;
    }
    for b in bookkeeping {
        sql.push_str(b);
        sql.push_str("\n;\n");
    }
    sql.push_str("COMMIT;");
    (sql, spans)
}

/// Parses a Postgres URL (or key=value connection string).
pub fn parse_url(url: &str) -> Result<postgres::Config, DbError> {
    url.parse()
        .map_err(|e| DbError::msg(format!("invalid Postgres URL: {e}")))
}

/// The advisory-lock key of a history schema (FNV-1a of its name): stable
/// across versions, so operators can see who holds it in `pg_locks`.
pub fn lock_key(schema: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("sluice-migration-lock:{schema}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

impl PostgresDb {
    /// A token that cancels the statement this session is running, from any
    /// thread (a signal handler's).
    pub fn cancel_token(&self) -> postgres::CancelToken {
        self.client.cancel_token()
    }

    /// Connects. TLS is not supported by this build: `sslmode=require` fails with
    /// a clear error rather than silently connecting in clear text.
    pub fn connect(url: &str, schema: &str) -> Result<PostgresDb, DbError> {
        PostgresDb::connect_config(parse_url(url)?, schema)
    }

    /// Connects with a parsed configuration (scratch databases change the
    /// database name of a server's configuration).
    pub fn connect_config(mut cfg: postgres::Config, schema: &str) -> Result<PostgresDb, DbError> {
        if matches!(cfg.get_ssl_mode(), postgres::config::SslMode::Require) {
            return Err(DbError::msg(
                "sslmode=require is not supported by this build of sluice (no TLS); connect through a local TLS proxy or use sslmode=prefer/disable",
            ));
        }
        if cfg.get_application_name().is_none() {
            cfg.application_name("sluice");
        }
        let client = cfg.connect(NoTls).map_err(|e| {
            let mut d = err(e);
            d.message = format!("could not connect to Postgres: {}", d.message);
            d
        })?;
        Ok(PostgresDb {
            client,
            schema: schema.to_string(),
            lock_key: lock_key(schema),
        })
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let msgs = self.client.simple_query(sql).map_err(err)?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect())
    }

    /// Runs a statement and returns its text rows (for callers that need to read
    /// the catalog, and for tests).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.query_text(sql)
    }
}

impl Executor for PostgresDb {
    fn held_locks(&mut self) -> Result<Vec<crate::inspect::HeldLock>, DbError> {
        inspect::held_locks(self)
    }

    fn relations(&mut self) -> Result<std::collections::HashSet<(String, String)>, DbError> {
        inspect::relations(self)
    }

    fn reset_statements(&mut self) -> Result<Vec<String>, DbError> {
        let schema = self.schema.clone();
        crate::reset::postgres(self, &schema)
    }

    fn relation_sizes(
        &mut self,
        names: &[String],
    ) -> Result<Vec<crate::inspect::RelationSize>, DbError> {
        inspect::relation_sizes(self, names)
    }

    fn configure(&mut self, s: &SessionSettings) -> Result<(), DbError> {
        let mut sql = String::from("SET standard_conforming_strings = on;");
        if let Some(t) = s.lock_timeout {
            sql.push_str(&format!(
                "SET lock_timeout = '{}';",
                sluice_core::duration::to_postgres(t)
            ));
        }
        if let Some(t) = s.statement_timeout {
            sql.push_str(&format!(
                "SET statement_timeout = '{}';",
                sluice_core::duration::to_postgres(t)
            ));
        }
        for v in &s.variables {
            // set_config parses the value as the setting does (a list for
            // search_path), which `SET x = 'a, b'` would not.
            sql.push_str(&format!(
                "SELECT set_config({}, {}, false);",
                quote_literal(&v.name),
                quote_literal(&v.value)
            ));
        }
        self.client.batch_execute(&sql).map_err(|e| {
            let mut d = err(e);
            d.message = format!("setting the session: {}", d.message);
            d
        })?;
        // Postgres 14+: notice a vanished client (a killed sluice) while a long
        // statement runs, so its transaction and lock end promptly. Older servers
        // lack the setting; that only makes the cleanup slower.
        let _ = self
            .client
            .batch_execute("SET client_connection_check_interval = '1s'");
        Ok(())
    }

    fn run_in_transaction(
        &mut self,
        statements: &[&str],
        bookkeeping: &[String],
    ) -> Result<(), StatementFailure> {
        let (sql, spans) = transaction_batch(statements, bookkeeping);
        match self.client.batch_execute(&sql) {
            Ok(()) => Ok(()),
            Err(e) => {
                let error = err(e);
                // The transaction is aborted; end it so the session is usable.
                let _ = self.client.batch_execute("ROLLBACK");
                let mut index = error
                    .position
                    .and_then(|p| spans.iter().position(|(s, e)| p >= *s && p <= *e));
                // Postgres gives no position for most errors found while
                // running (a unique violation, a division by zero): find the
                // statement by running them again one by one in a transaction
                // that is rolled back. Not after waits or timeouts (a retry
                // would wait again) nor lost connections.
                let transient = error.code.as_deref().is_some_and(|c| {
                    ["55", "57", "40", "08", "53"]
                        .iter()
                        .any(|k| c.starts_with(k))
                });
                if index.is_none()
                    && error.position.is_none()
                    && statements.len() > 1
                    && !transient
                    && self.client.batch_execute("BEGIN").is_ok()
                {
                    index = statements
                        .iter()
                        .position(|s| self.client.batch_execute(s).is_err());
                    let _ = self.client.batch_execute("ROLLBACK");
                }
                let mut error = error;
                if let (Some(i), Some(p)) = (index, error.position) {
                    error.position = Some(p - spans[i].0);
                }
                Err(StatementFailure {
                    index,
                    error: Box::new(error),
                })
            }
        }
    }

    fn run_alone(&mut self, statement: &str) -> Result<(), DbError> {
        self.client.batch_execute(statement).map_err(err)
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        self.query_text(sql)
    }

    fn lock_upfront_sql(
        &self,
        locks: &[(sluice_sql::facts::ObjectName, sluice_sql::facts::LockMode)],
        budget: std::time::Duration,
    ) -> Option<String> {
        lock_upfront(locks, budget)
    }

    fn capabilities(&self) -> crate::Capabilities {
        crate::Capabilities {
            transactional_ddl: true,
            advisory_locks: true,
            observable_locks: true,
            relation_sizes: true,
            lock_upfront: true,
        }
    }

    fn end_session_hint(&self) -> &'static str {
        "end it with SELECT pg_terminate_backend(PID)"
    }

    fn classify(&self, e: &DbError) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match e.code.as_deref() {
            // lock_not_available: lock_timeout (or NOWAIT) expired.
            Some("55P03") => K::LockTimeout,
            // serialization_failure, deadlock_detected
            Some("40001" | "40P01") => K::Serialization,
            // duplicate_table, duplicate_object, duplicate_schema, duplicate_function...
            Some("42P07" | "42710" | "42P06" | "42723" | "42P04") => K::AlreadyExists,
            Some("42601") => K::Syntax,
            Some("42P01") => K::UndefinedTable,
            Some(c) if c.starts_with("08") || c == "57P01" => K::ConnectionLost,
            None if self.client.is_closed() => K::ConnectionLost,
            _ => K::Other,
        }
    }

    fn blockers(&mut self, relations: &[sluice_sql::facts::ObjectName]) -> Vec<crate::Blocker> {
        let mut rels: Vec<String> = relations
            .iter()
            .map(|r| quote_literal(&r.to_string()))
            .collect();
        rels.sort();
        rels.dedup();
        if rels.is_empty() {
            return vec![];
        }
        let q = format!(
            "SELECT a.pid::text, coalesce(a.application_name, ''), coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), coalesce(a.state, ''), left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120)
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation'
               AND l.relation IN (SELECT to_regclass(x) FROM unnest(ARRAY[{}]::text[]) x)
             GROUP BY a.pid, a.application_name, a.query_start, a.state, a.query, a.xact_start
             ORDER BY a.xact_start NULLS LAST, a.pid
             LIMIT 5",
            rels.join(", ")
        );
        self.query_text(&q)
            .map(|rows| crate::Blocker::from_rows(&rows))
            .unwrap_or_default()
    }

    /// After a failed `CREATE INDEX CONCURRENTLY`, drops the INVALID index it
    /// left (if any).
    fn cleanup_after_failure(&mut self, statement: &str) -> Result<(), DbError> {
        let Ok(f) = sluice_sql::pg::analyze(statement) else {
            return Ok(());
        };
        for a in &f.actions {
            if let sluice_sql::facts::Action::CreateIndex {
                index: Some(name),
                table,
                concurrent: true,
                ..
            } = a
            {
                let qualified = match &table.schema {
                    Some(s) => format!("{}.{}", quote_ident(s), quote_ident(name)),
                    None => quote_ident(name),
                };
                let invalid = !self
                    .query_text(&format!(
                        "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass({}) AND NOT indisvalid",
                        quote_literal(&qualified)
                    ))?
                    .is_empty();
                if invalid {
                    self.run_alone(&format!("DROP INDEX CONCURRENTLY IF EXISTS {qualified}"))
                        .map_err(|mut e| {
                            // Say which index is left, so the operator can drop it.
                            e.message = format!("INVALID index {qualified}: {}", e.message);
                            e
                        })?;
                }
            }
        }
        Ok(())
    }
}

/// The hint of the error raised when [`lock_upfront`] runs out of its bound.
pub const LOCK_UPFRONT_HINT: &str = "sluice: taking the locks of the migration up front";

/// `LOCK TABLE ... IN <mode> MODE` for a lock mode.
fn lock_mode_sql(m: sluice_sql::facts::LockMode) -> &'static str {
    use sluice_sql::facts::LockMode as L;
    match m {
        L::AccessShare => "ACCESS SHARE",
        L::RowShare => "ROW SHARE",
        L::RowExclusive => "ROW EXCLUSIVE",
        L::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
        L::Share => "SHARE",
        L::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
        L::Exclusive => "EXCLUSIVE",
        L::AccessExclusive => "ACCESS EXCLUSIVE",
    }
}

/// A `DO` block that locks every existing relation of `locks` (sorted by
/// name, the strongest mode each) with `lock_timeout` set, before each wait,
/// to what is left of `budget` since the block started; the session's own
/// `lock_timeout` is restored afterwards. Relations that do not exist yet
/// (created by the migration) and objects `LOCK TABLE` does not take
/// (sequences, indexes) are skipped: their statements lock them as usual.
pub fn lock_upfront(
    locks: &[(sluice_sql::facts::ObjectName, sluice_sql::facts::LockMode)],
    budget: std::time::Duration,
) -> Option<String> {
    let mut strongest: std::collections::BTreeMap<String, sluice_sql::facts::LockMode> =
        std::collections::BTreeMap::new();
    for (rel, mode) in locks {
        let name = match &rel.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&rel.name)),
            None => quote_ident(&rel.name),
        };
        let e = strongest.entry(name).or_insert(*mode);
        *e = (*e).max(*mode);
    }
    if strongest.is_empty() {
        return None;
    }
    let mut body = String::new();
    for (name, mode) in &strongest {
        body.push_str(&format!(
            "  r := to_regclass({});\n  IF r IS NOT NULL THEN\n    current := r::text;\n    PERFORM set_config('lock_timeout', greatest(1, floor(extract(epoch FROM deadline - clock_timestamp()) * 1000))::bigint || 'ms', true);\n    BEGIN\n      EXECUTE format('LOCK TABLE %s IN {} MODE', r);\n    EXCEPTION WHEN wrong_object_type THEN NULL;\n    END;\n  END IF;\n",
            quote_literal(name),
            lock_mode_sql(*mode)
        ));
    }
    Some(format!(
        "DO $sluice_locks$\nDECLARE\n  deadline timestamptz := clock_timestamp() + interval '{} milliseconds';\n  session_timeout text := current_setting('lock_timeout');\n  r regclass;\n  current text;\nBEGIN\n{body}  PERFORM set_config('lock_timeout', session_timeout, true);\nEXCEPTION WHEN lock_not_available THEN\n  RAISE lock_not_available USING MESSAGE = format('could not lock %s within the migration''s lock bound (%s)', current, SQLERRM), HINT = '{LOCK_UPFRONT_HINT}';\nEND\n$sluice_locks$",
        budget.as_millis().max(1)
    ))
}

impl Locker for PostgresDb {
    fn try_lock(&mut self) -> Result<bool, DbError> {
        let rows = self.query_text(&format!("SELECT pg_try_advisory_lock({})", self.lock_key))?;
        Ok(rows.first().and_then(|r| r[0].clone()).as_deref() == Some("t"))
    }

    fn unlock(&mut self) -> Result<(), DbError> {
        self.query_text(&format!("SELECT pg_advisory_unlock({})", self.lock_key))
            .map(|_| ())
    }
}

impl Database for PostgresDb {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn history(&self) -> Box<dyn crate::History> {
        Box::new(history::SluiceHistory {
            schema: self.schema.clone(),
        })
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

#[cfg(test)]
mod tests {
    use super::transaction_batch;
    use proptest::prelude::*;

    /// Pieces a statement's text is made of, each of which psql keeps inside
    /// one statement.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_]{1,8}".prop_map(|s| s),
            Just("'a;b'".to_string()),
            Just("'it''s; --'".to_string()),
            Just("\"q;\"\"x\"".to_string()),
            Just("$$ ; -- $$".to_string()),
            Just("$t$ ;'$t$".to_string()),
            Just("/* ; */".to_string()),
            Just("/* a /* nested ; */ b */".to_string()),
            Just("-- note ;\n".to_string()),
            Just("E'\\\\'';'".to_string()),
            Just("(1, 2)".to_string()),
            Just("\n".to_string()),
        ]
    }

    fn statement() -> impl Strategy<Value = String> {
        (
            "[a-z]{1,6}",
            prop::collection::vec(piece(), 0..6),
            prop::option::of(Just(" -- trailing note")),
        )
            .prop_map(|(head, pieces, trailing)| {
                let mut s = head;
                for p in pieces {
                    s.push(' ');
                    s.push_str(&p);
                }
                if let Some(t) = trailing {
                    s.push_str(t);
                }
                s
            })
    }

    proptest! {
        /// Split the way psql splits (sluice-sql's scanner), the batch holds
        /// exactly BEGIN, each statement unchanged, the bookkeeping and COMMIT.
        #[test]
        fn the_batch_splits_back_into_the_statements(stmts in prop::collection::vec(statement(), 1..6)) {
            let refs: Vec<&str> = stmts.iter().map(String::as_str).collect();
            let book = vec!["INSERT INTO h VALUES (1)".to_string()];
            let (sql, spans) = transaction_batch(&refs, &book);
            let split = sluice_sql::split(&sql, sluice_core::config::Dialect::Postgres).unwrap();
            let texts: Vec<&str> = split.iter().map(|s| s.text(&sql).trim_end()).collect();
            let mut want = vec!["BEGIN"];
            want.extend(refs.iter().map(|s| s.trim_end()));
            want.push("INSERT INTO h VALUES (1)");
            want.push("COMMIT");
            prop_assert_eq!(texts, want);
            for (s, (a, b)) in refs.iter().zip(&spans) {
                let got: String = sql.chars().skip(*a).take(b - a).collect();
                prop_assert_eq!(&got, s);
            }
        }
    }

    #[test]
    fn a_trailing_line_comment_does_not_swallow_the_separator() {
        let (sql, _) = transaction_batch(&["CREATE TABLE a (id int) -- note"], &[]);
        let split = sluice_sql::split(&sql, sluice_core::config::Dialect::Postgres).unwrap();
        assert_eq!(split.len(), 3, "{sql}");
    }
}
