//! `rls-missing` (error): `CREATE TABLE` in a schema listed in `[policy]
//! require_rls_in_schemas` without `ALTER TABLE ... ENABLE ROW LEVEL SECURITY`
//! for it in the same migration. Unqualified tables are in `public`.
//!
//! **Why.** On Supabase (and any PostgREST setup) a table in an exposed schema is
//! readable and writable by clients until RLS is enabled.
//!
//! **Example.** With `require_rls_in_schemas = ["public"]`: `CREATE TABLE notes (...);` alone.
//!
//! **Instead.** Follow it with `ALTER TABLE notes ENABLE ROW LEVEL SECURITY;` and
//! its policies in the same migration.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "rls-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "a new table without row-level security in a required schema",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    let schemas = &p.policy.require_rls_in_schemas;
    if schemas.is_empty() {
        return;
    }
    let enabled: Vec<&ObjectName> = v
        .up()
        .flat_map(|(_, _, f)| f.actions.iter())
        .filter_map(|a| match a {
            Action::RowSecurity { table, change } if change == "enable" => Some(table),
            _ => None,
        })
        .collect();
    for (i, _, f) in v.up() {
        for a in &f.actions {
            if let Action::CreateTable { table, .. } = a {
                if schemas.iter().any(|s| s == table.schema_or_public())
                    && !enabled.iter().any(|e| e.same_as(table))
                {
                    out.push(v.at(
                        i,
                        crate::RuleId::RlsMissing,
                        format!("table {table} is created in schema {} without ENABLE ROW LEVEL SECURITY", table.schema_or_public()),
                        format!("add `ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;` and its policies to this migration"),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    fn run(sql: &str) -> usize {
        lint_full(
            &format!("{HEADER}{sql}\n"),
            Dialect::Postgres,
            |p| p.require_rls_in_schemas = vec!["public".into()],
            true,
        )
        .iter()
        .filter(|d| d.rule == "rls-missing")
        .count()
    }

    #[test]
    fn fires_without_enable() {
        assert_eq!(run("CREATE TABLE notes (id int);"), 1);
        assert_eq!(
            run("CREATE TABLE notes (id int);\nALTER TABLE notes ENABLE ROW LEVEL SECURITY;"),
            0
        );
        assert_eq!(run("CREATE TABLE private.notes (id int);"), 0);
    }
}
