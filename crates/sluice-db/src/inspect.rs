//! Read-only questions about a live database that `plan` asks: the relation
//! locks a session holds right now, and relation size estimates. (Schemas are
//! read by the `sluice-schema` crate.)
//!
//! Each is a constant number of catalog queries, whatever the schema's size.

use crate::{quote_literal, Backend, Database, DbError};

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

fn relkind(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "i" | "I" => "index",
        "S" => "sequence",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        "t" => "toast table",
        _ => "relation",
    }
}

/// Relation locks the connection's own session holds now (Postgres; empty on
/// SQLite, which has no lock table): one entry per relation and mode (a
/// transaction that holds `AccessExclusiveLock` on a table and then builds an
/// index on it also holds `ShareLock`, listed apart), system catalogs left out.
pub fn held_locks(db: &mut dyn Database) -> Result<Vec<HeldLock>, DbError> {
    if db.backend() != Backend::Postgres {
        return Ok(vec![]);
    }
    let rows = db.query_rows(
        "SELECT n.nspname, c.relname, c.relkind::text, l.mode
         FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg\\_toast%'
         ORDER BY 1, 2, 4",
    )?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            HeldLock {
                schema: get(0),
                name: get(1),
                kind: relkind(&get(2)),
                mode: get(3),
            }
        })
        .collect())
}

/// Every relation outside the system schemas, as (schema, name): what exists
/// before a statement runs, so the plan can tell the relations a migration
/// creates from those it locks. Empty where locks cannot be observed.
pub fn relations(
    db: &mut dyn Database,
) -> Result<std::collections::HashSet<(String, String)>, DbError> {
    if db.backend() != Backend::Postgres {
        return Ok(Default::default());
    }
    Ok(db
        .query_rows(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')",
        )?
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect())
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
    if db.backend() != Backend::Postgres || names.is_empty() {
        return Ok(vec![]);
    }
    let list = names
        .iter()
        .map(|n| quote_literal(n))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT x.n, ns.nspname, c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
         FROM unnest(ARRAY[{list}]::text[]) AS x(n)
         JOIN pg_class c ON c.oid = to_regclass(x.n)
         JOIN pg_namespace ns ON ns.oid = c.relnamespace"
    );
    Ok(db
        .query_rows(&sql)?
        .into_iter()
        .map(|r| {
            let get = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            RelationSize {
                asked: get(0),
                schema: get(1),
                name: get(2),
                rows: get(3).parse::<i64>().ok().filter(|n| *n >= 0),
                bytes: get(4).parse().unwrap_or(0),
            }
        })
        .collect())
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
