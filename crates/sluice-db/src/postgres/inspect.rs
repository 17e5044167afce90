//! What `plan` asks a live Postgres session: the relation locks it holds
//! now (`pg_locks`), the relations that exist, and size estimates
//! (`pg_class.reltuples`, `pg_total_relation_size`).

use super::PostgresDb;
use crate::inspect::{HeldLock, RelationSize};
use crate::{quote_literal, DbError};

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

/// See [`crate::inspect::held_locks`].
pub(crate) fn held_locks(db: &mut PostgresDb) -> Result<Vec<HeldLock>, DbError> {
    let rows = db.query_text(
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

/// See [`crate::inspect::relations`].
pub(crate) fn relations(
    db: &mut PostgresDb,
) -> Result<std::collections::HashSet<(String, String)>, DbError> {
    Ok(db
        .query_text(
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

/// See [`crate::inspect::relation_sizes`].
pub(crate) fn relation_sizes(
    db: &mut PostgresDb,
    names: &[String],
) -> Result<Vec<RelationSize>, DbError> {
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
        .query_text(&sql)?
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
