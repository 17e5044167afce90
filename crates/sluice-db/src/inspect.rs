//! Read-only questions about a live database that `plan` asks: a schema
//! fingerprint (to prove up → down → up returns to the same schema), the
//! relation locks a session holds right now, and relation size estimates.
//!
//! Each is a constant number of catalog queries, whatever the schema's size.

use crate::{quote_literal, Backend, Database, DbError};

/// Postgres's fingerprint: one line per object, with everything that makes two
/// schemas differ (types, defaults, constraint and index definitions, view and
/// function bodies, RLS, policies, triggers, enums). sluice's own tables are
/// left out. `$HS` is the history schema.
const PG_FINGERPRINT: &str = r#"
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema')
    AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'
),
ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e'),
rel AS (
  SELECT c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, ns.nspname
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.oid NOT IN (SELECT objid FROM ext)
    AND NOT (ns.nspname = $HS AND c.relname LIKE 'sluice\_%')
)
SELECT 'schema ' || quote_ident(nspname) FROM ns
  WHERE nspname <> $HS OR EXISTS (SELECT 1 FROM rel WHERE rel.nspname = ns.nspname)
UNION ALL
SELECT 'relation ' || quote_ident(nspname) || '.' || quote_ident(relname) || ' kind=' || relkind::text
       || ' rls=' || relrowsecurity::text || ' force_rls=' || relforcerowsecurity::text
  FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'column ' || quote_ident(r.nspname) || '.' || quote_ident(r.relname) || '.' || quote_ident(a.attname)
       || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE WHEN a.attidentity <> '' THEN ' identity=' || a.attidentity::text ELSE '' END
       || CASE WHEN a.attgenerated <> '' THEN ' generated=' || a.attgenerated::text ELSE '' END
       || coalesce(' collate ' || nullif(co.collname, 'default'), '')
  FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
  FROM pg_index i JOIN rel r ON r.oid = i.indexrelid
UNION ALL
SELECT 'constraint ' || quote_ident(r.nspname) || '.' || quote_ident(r.relname) || ' ' || quote_ident(c.conname)
       || ' ' || pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN rel r ON r.oid = c.conrelid
UNION ALL
SELECT 'view ' || quote_ident(nspname) || '.' || quote_ident(relname) || ' ' || pg_get_viewdef(oid)
  FROM rel WHERE relkind IN ('v', 'm')
UNION ALL
SELECT 'type ' || quote_ident(ns.nspname) || '.' || quote_ident(t.typname) || ' ' || t.typtype::text
       || coalesce(' ' || (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
                           FROM pg_enum e WHERE e.enumtypid = t.oid), '')
       || CASE WHEN t.typtype = 'd' THEN ' ' || format_type(t.typbasetype, t.typtypmod)
               || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END
               || coalesce(' default ' || t.typdefault, '')
               || coalesce((SELECT ' ' || string_agg(pg_get_constraintdef(dc.oid), ' ' ORDER BY dc.conname)
                            FROM pg_constraint dc WHERE dc.contypid = t.oid), '')
          ELSE '' END
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  WHERE t.oid NOT IN (SELECT objid FROM ext)
    AND (t.typtype IN ('e', 'd', 'r', 'm')
         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p', 'w') AND p.oid NOT IN (SELECT objid FROM ext)
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL
SELECT 'policy ' || quote_ident(r.nspname) || '.' || quote_ident(r.relname) || ' ' || quote_ident(p.polname)
       || ' cmd=' || p.polcmd::text || ' permissive=' || p.polpermissive::text
       || ' roles=' || array_to_string(ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END FROM unnest(p.polroles) x ORDER BY 1), ',')
       || coalesce(' using ' || pg_get_expr(p.polqual, p.polrelid), '')
       || coalesce(' check ' || pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT 'extension ' || quote_ident(extname) FROM pg_extension WHERE extname <> 'plpgsql'
"#;

/// A sorted list of lines describing the schema: two databases with the same
/// fingerprint have the same tables, columns, constraints, indexes, views,
/// types, functions, triggers, policies and extensions. sluice's own tables are
/// not part of it.
pub fn fingerprint(db: &mut dyn Database, history_schema: &str) -> Result<Vec<String>, DbError> {
    let sql = match db.backend() {
        Backend::Postgres => PG_FINGERPRINT.replace("$HS", &quote_literal(history_schema)),
        Backend::Sqlite => "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'sluice\\_%' ESCAPE '\\'".into(),
    };
    let mut lines: Vec<String> = db
        .query_rows(&sql)?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    lines.sort();
    Ok(lines)
}

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
