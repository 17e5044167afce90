//! Queries a reviewer runs on Postgres after a migration to confirm what it
//! did (shown in `sluice report`, never run by sluice).

use sluice_sql::facts::Action;

/// The query that confirms one action, when there is one.
pub fn query(a: &Action) -> Option<String> {
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Some(match a {
        Action::CreateTable { table, .. } => format!("SELECT to_regclass({}) IS NOT NULL AS created;", lit(&table.to_string())),
        Action::DropTable { table } => format!("SELECT to_regclass({}) IS NULL AS dropped;", lit(&table.to_string())),
        Action::AddColumn { table, column, .. } => format!(
            "SELECT count(*) = 1 AS added FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {};",
            lit(table.schema_or_public()), lit(&table.name), lit(column)
        ),
        Action::DropColumn { table, column } => format!(
            "SELECT count(*) = 0 AS dropped FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {};",
            lit(table.schema_or_public()), lit(&table.name), lit(column)
        ),
        Action::CreateIndex { index: Some(i), .. } => format!(
            "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = {};",
            lit(i)
        ),
        Action::AddConstraint { name: Some(n), .. } => format!("SELECT convalidated FROM pg_constraint WHERE conname = {};", lit(n)),
        Action::RowSecurity { table, .. } => format!(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass({});",
            lit(&table.to_string())
        ),
        _ => return None,
    })
}
