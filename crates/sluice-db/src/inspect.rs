//! Read-only questions about a live database that `plan` asks: the relation
//! locks a session holds right now, and relation size estimates. (Schemas are
//! read by the `sluice-schema` crate.)
//!
//! Each is a constant number of catalog queries, whatever the schema's size,
//! asked of the driver (`Executor::held_locks`, `relations`,
//! `relation_sizes`; the Postgres queries are in `postgres/inspect.rs`). A
//! driver without a lock table or size statistics answers with nothing.

use crate::{Database, DbError};

/// A relation lock held by the current session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLock {
    /// Schema.
    pub schema: String,
    /// Relation name.
    pub name: String,
    /// `table`, `index`, `view`, `sequence`, ...
    pub kind: &'static str,
    /// The strongest mode held on it, as in `pg_locks.mode`.
    pub mode: String,
}

/// Relation locks the connection's own session holds now (Postgres; empty on
/// SQLite, which has no lock table): one entry per relation and mode (a
/// transaction that holds `AccessExclusiveLock` on a table and then builds an
/// index on it also holds `ShareLock`, listed apart), system catalogs left out.
pub fn held_locks(db: &mut dyn Database) -> Result<Vec<HeldLock>, DbError> {
    db.held_locks()
}

/// Every relation outside the system schemas, as (schema, name): what exists
/// before a statement runs, so the plan can tell the relations a migration
/// creates from those it locks. Empty where locks cannot be observed.
pub fn relations(
    db: &mut dyn Database,
) -> Result<std::collections::HashSet<(String, String)>, DbError> {
    db.relations()
}

/// Size estimates of one relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationSize {
    /// The name as asked for.
    pub asked: String,
    /// Schema.
    pub schema: String,
    /// Relation name.
    pub name: String,
    /// `pg_class.reltuples` (None when the table was never analysed).
    pub rows: Option<i64>,
    /// `pg_total_relation_size` (table, indexes and TOAST), bytes.
    pub bytes: i64,
}

/// Size estimates for relations named as SQL would name them (`users`,
/// `app.users`, `"Users"`), resolved with the session's search_path; names
/// that do not exist are left out. Postgres only (empty on SQLite). One query.
pub fn relation_sizes(
    db: &mut dyn Database,
    names: &[String],
) -> Result<Vec<RelationSize>, DbError> {
    if names.is_empty() {
        return Ok(vec![]);
    }
    db.relation_sizes(names)
}

/// "1.2 GB", "40 kB": bytes for people (powers of 1024, as `pg_size_pretty`).
pub fn pretty_bytes(bytes: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else if v >= 10.0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_bytes_reads_like_pg_size_pretty() {
        assert_eq!(pretty_bytes(0), "0 bytes");
        assert_eq!(pretty_bytes(8192), "8.0 kB");
        assert_eq!(pretty_bytes(40 * 1024 * 1024 * 1024), "40 GB");
    }
}
