//! What `sluice reset` drops: every object of the database but sluice's own
//! tables (`sluice_history`, `sluice_audit`), read from the catalog when it
//! runs, as statements for one transaction (Postgres, SQLite) or run one by
//! one (MySQL, where DDL commits itself).
//!
//! - **Postgres**: every schema but `public`, the history schema and the
//!   system ones (`DROP SCHEMA … CASCADE`); every extension but `plpgsql`;
//!   then, in `public` and the history schema, every table, view,
//!   materialized view, sequence not owned by a column, type, domain and
//!   routine that no extension owns.
//! - **MySQL/MariaDB**: every table and view of the connection's database,
//!   and its routines, with foreign-key checks off for the session while
//!   it runs.
//! - **SQLite**: every table, view and trigger (indexes go with their
//!   tables), foreign keys checked only at commit.

use crate::{quote_ident, quote_literal, DbError, Executor};

fn text(rows: Vec<Vec<Option<String>>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| r.into_iter().map(|c| c.unwrap_or_default()).collect())
        .collect()
}

/// Postgres: the drops, with `schema` the history schema.
pub(crate) fn postgres(ex: &mut dyn Executor, schema: &str) -> Result<Vec<String>, DbError> {
    let keep = format!("'public', {}", quote_literal(schema));
    let system = "n.nspname NOT IN ('information_schema', 'pg_catalog', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'";
    let not_extension = |objid: &str, class: &str| {
        format!("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {objid} AND d.classid = '{class}'::regclass AND d.deptype = 'e')")
    };
    let mut out = Vec::new();
    for r in text(ex.query_rows(&format!(
        "SELECT n.nspname FROM pg_namespace n WHERE {system} AND n.nspname NOT IN ({keep}) AND {} ORDER BY 1",
        not_extension("n.oid", "pg_namespace")
    ))?) {
        out.push(format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(&r[0])));
    }
    for r in text(
        ex.query_rows("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1")?,
    ) {
        out.push(format!(
            "DROP EXTENSION IF EXISTS {} CASCADE",
            quote_ident(&r[0])
        ));
    }
    // Relations of the kept schemas, sluice's own tables (and their
    // sequences) left out.
    for r in text(ex.query_rows(&format!(
        "SELECT c.relkind::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ({keep}) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
           AND c.relname NOT IN ('sluice_history', 'sluice_audit')
           AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
           AND NOT c.relispartition
           AND {}
         ORDER BY 1, 2, 3",
        not_extension("c.oid", "pg_class")
    ))?) {
        let kind = match r[0].as_str() {
            "v" => "VIEW",
            "m" => "MATERIALIZED VIEW",
            "S" => "SEQUENCE",
            "f" => "FOREIGN TABLE",
            _ => "TABLE",
        };
        out.push(format!(
            "DROP {kind} IF EXISTS {}.{} CASCADE",
            quote_ident(&r[1]),
            quote_ident(&r[2])
        ));
    }
    // Types (enums, composites of their own, domains, ranges), not the row
    // types of tables nor arrays.
    for r in text(ex.query_rows(&format!(
        "SELECT t.typtype::text, n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname IN ({keep}) AND t.typtype IN ('e', 'd', 'r', 'm', 'c') AND t.typelem = 0
           AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
           AND {}
         ORDER BY 1, 2, 3",
        not_extension("t.oid", "pg_type")
    ))?) {
        let kind = if r[0] == "d" { "DOMAIN" } else { "TYPE" };
        out.push(format!(
            "DROP {kind} IF EXISTS {}.{} CASCADE",
            quote_ident(&r[1]),
            quote_ident(&r[2])
        ));
    }
    for r in text(ex.query_rows(&format!(
        "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ({keep}) AND {}
         ORDER BY 1, 2, 3",
        not_extension("p.oid", "pg_proc")
    ))?) {
        out.push(format!(
            "DROP ROUTINE IF EXISTS {}.{}({}) CASCADE",
            quote_ident(&r[0]),
            quote_ident(&r[1]),
            r[2]
        ));
    }
    Ok(out)
}

/// MySQL/MariaDB: the drops in the connection's database.
pub(crate) fn mysql(ex: &mut dyn Executor) -> Result<Vec<String>, DbError> {
    let q = |s: &str| format!("`{}`", s.replace('`', "``"));
    let mut out = vec!["SET FOREIGN_KEY_CHECKS = 0".to_string()];
    for r in text(ex.query_rows(
        "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('sluice_history', 'sluice_audit') ORDER BY 1 DESC, 2",
    )?) {
        let kind = if r[0] == "VIEW" { "VIEW" } else { "TABLE" };
        out.push(format!("DROP {kind} IF EXISTS {}", q(&r[1])));
    }
    for r in text(ex.query_rows(
        "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1, 2",
    )?) {
        out.push(format!("DROP {} IF EXISTS {}", r[0], q(&r[1])));
    }
    out.push("SET FOREIGN_KEY_CHECKS = 1".to_string());
    Ok(out)
}

/// SQLite: the drops of the main database.
pub(crate) fn sqlite(ex: &mut dyn Executor) -> Result<Vec<String>, DbError> {
    let mut out = vec!["PRAGMA defer_foreign_keys = ON".to_string()];
    for r in text(ex.query_rows(
        "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view', 'table') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('sluice_history', 'sluice_audit') ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, name",
    )?) {
        out.push(format!(
            "DROP {} IF EXISTS {}",
            r[0].to_ascii_uppercase(),
            quote_ident(&r[1])
        ));
    }
    Ok(out)
}
