//! Embedded SQLite (rusqlite, bundled).
//!
//! The migration lock is an OS file lock on `<database>.sluice-lock`: SQLite's
//! own locks last only as long as a transaction, while a run spans one
//! transaction per migration. The kernel releases a file lock when its process
//! dies, so a killed run never leaves a stale lock. `lock_timeout` becomes the
//! busy timeout; `statement_timeout` has no SQLite equivalent and is ignored.

use crate::{Backend, Database, DbError, Executor, Locker, SessionSettings, StatementFailure};
use rusqlite::Connection;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub mod history;
pub mod introspect;

/// A SQLite database file (or `:memory:`).
pub struct SqliteDb {
    conn: Connection,
    lock_path: Option<PathBuf>,
    lock_file: Option<File>,
}

fn err(e: rusqlite::Error) -> DbError {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(format!("{:?}", f.code)),
        _ => None,
    };
    DbError {
        message: e.to_string(),
        code,
        position: None,
        detail: None,
        hint: None,
    }
}

impl SqliteDb {
    /// Opens `rest` (the URL after `sqlite:`), creating the file if needed.
    pub fn open(rest: &str, root: &Path) -> Result<SqliteDb, DbError> {
        let rest = rest.split('?').next().unwrap_or(rest);
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(DbError::msg("the SQLite URL names no file: write sqlite://PATH (relative to the project) or sqlite:///ABSOLUTE/PATH"));
        }
        if path == ":memory:" {
            let conn = Connection::open_in_memory().map_err(err)?;
            return Ok(SqliteDb {
                conn,
                lock_path: None,
                lock_file: None,
            });
        }
        let full = root.join(path);
        let conn = Connection::open(&full).map_err(|e| {
            DbError::msg(format!(
                "cannot open SQLite database {}: {e}",
                full.display()
            ))
        })?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        let mut lock = full.clone().into_os_string();
        lock.push(".sluice-lock");
        Ok(SqliteDb {
            conn,
            lock_path: Some(PathBuf::from(lock)),
            lock_file: None,
        })
    }

    fn run_one(&self, sql: &str) -> Result<(), DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows = stmt.raw_query();
        while rows.next().map_err(err)?.is_some() {}
        Ok(())
    }

    fn query_text(&self, sql: &str, ncols: usize) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut cols = Vec::with_capacity(ncols);
            for i in 0..ncols {
                let v: rusqlite::types::Value = r.get(i).map_err(err)?;
                cols.push(match v {
                    rusqlite::types::Value::Null => None,
                    rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                    rusqlite::types::Value::Real(f) => Some(f.to_string()),
                    rusqlite::types::Value::Text(t) => Some(t),
                    // As Postgres prints bytea: `\x` and hex.
                    rusqlite::types::Value::Blob(b) => Some(format!(
                        "\\x{}",
                        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
                    )),
                });
            }
            out.push(cols);
        }
        Ok(out)
    }
}

impl Executor for SqliteDb {
    fn capabilities(&self) -> crate::Capabilities {
        crate::Capabilities {
            transactional_ddl: true,
            ..Default::default()
        }
    }

    fn classify(&self, e: &DbError) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match e.code.as_deref() {
            Some("DatabaseBusy" | "DatabaseLocked") => K::LockTimeout,
            _ if e.message.contains("already exists") => K::AlreadyExists,
            _ if e.message.contains("syntax error") => K::Syntax,
            _ if e.message.contains("no such table") => K::UndefinedTable,
            _ => K::Other,
        }
    }

    fn configure(&mut self, s: &SessionSettings) -> Result<(), DbError> {
        if let Some(t) = s.lock_timeout {
            self.conn.busy_timeout(t).map_err(err)?;
        }
        if let Some(v) = s.variables.first() {
            return Err(DbError::msg(format!(
                "SQLite has no session variables (`session.{}` is set for this environment): remove [environments.X] session",
                v.name
            )));
        }
        Ok(())
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
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| fail(None, err(e)))?;
        let result = (|| {
            for (i, s) in statements.iter().enumerate() {
                self.run_one(s).map_err(|e| fail(Some(i), e))?;
            }
            for b in bookkeeping {
                self.run_one(b).map_err(|e| fail(None, e))?;
            }
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| fail(None, err(e)))
        })();
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }

    fn begin(&mut self) -> Result<(), DbError> {
        // Take the write lock now, as run_in_transaction does.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)
    }

    fn run_alone(&mut self, statement: &str) -> Result<(), DbError> {
        self.run_one(statement)
    }

    fn reset_statements(&mut self) -> Result<Vec<String>, DbError> {
        crate::reset::sqlite(self)
    }

    fn query_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        let ncols = self.conn.prepare(sql).map_err(err)?.column_count();
        self.query_text(sql, ncols)
    }
}

impl Locker for SqliteDb {
    fn try_lock(&mut self) -> Result<bool, DbError> {
        let Some(path) = &self.lock_path else {
            return Ok(true);
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| {
                DbError::msg(format!("cannot open the lock file {}: {e}", path.display()))
            })?;
        match file.try_lock() {
            Ok(()) => {
                self.lock_file = Some(file);
                Ok(true)
            }
            Err(std::fs::TryLockError::WouldBlock) => Ok(false),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(DbError::msg(format!("cannot lock {}: {e}", path.display())))
            }
        }
    }

    fn unlock(&mut self) -> Result<(), DbError> {
        if let Some(f) = self.lock_file.take() {
            let _ = f.unlock();
        }
        Ok(())
    }
}

impl Database for SqliteDb {
    fn backend(&self) -> Backend {
        Backend::Sqlite
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
