//! The Postgres side of scratch databases: create, look up, list and drop
//! databases on a server (`crate::scratch` keeps the registry and the
//! signal-safe lifecycle).

use super::PostgresDb;
use crate::{quote_ident, quote_literal, DbError, Executor};
use std::time::Duration;

/// Drops database `name` on the server `admin` connects to, ending its
/// sessions first; retried while the server still reports it in use.
pub(crate) fn drop_database(admin: &postgres::Config, name: &str) -> Result<(), DbError> {
    let mut db = PostgresDb::connect_config(admin.clone(), "public")?;
    let mut last = None;
    for _ in 0..20 {
        // Sessions still connected (ours, or one a signal interrupted) end first.
        let _ = db.query_rows(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {} AND pid <> pg_backend_pid()",
            quote_literal(name)
        ));
        match db.run_alone(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name))) {
            Ok(()) => return Ok(()),
            Err(e) => {
                last = Some(e);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    Err(last.unwrap_or_else(|| DbError::msg("DROP DATABASE failed")))
}

/// Drops database `name` once (no retry, sessions left alone).
pub(crate) fn drop_database_once(admin_db: &mut PostgresDb, name: &str) -> Result<(), DbError> {
    admin_db.run_alone(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
}

/// Creates database `name` from `template0`.
pub(crate) fn create_database(admin_db: &mut PostgresDb, name: &str) -> Result<(), DbError> {
    admin_db.run_alone(&format!(
        "CREATE DATABASE {} TEMPLATE template0",
        quote_ident(name)
    ))
}

/// Whether database `name` exists on the server `admin` connects to.
pub(crate) fn database_exists(admin: &postgres::Config, name: &str) -> Result<bool, DbError> {
    let mut db = PostgresDb::connect_config(admin.clone(), "public")?;
    Ok(!db
        .query_rows(&format!(
            "SELECT 1 FROM pg_database WHERE datname = {}",
            quote_literal(name)
        ))?
        .is_empty())
}

/// Databases whose name starts with `prefix` and that nobody is connected to.
pub(crate) fn idle_databases_like(
    admin_db: &mut PostgresDb,
    prefix: &str,
) -> Result<Vec<String>, DbError> {
    let rows = admin_db.query_rows(&format!(
        "SELECT d.datname FROM pg_database d WHERE d.datname LIKE {} AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
        quote_literal(&format!("{}%", prefix.replace('_', "\\_")))
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}
