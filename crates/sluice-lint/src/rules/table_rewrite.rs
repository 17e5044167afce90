//! `table-rewrite` (warn, Medium): `VACUUM FULL`, `CLUSTER`, `REINDEX` without
//! `CONCURRENTLY`, `SET TABLESPACE`, `SET LOGGED` / `SET UNLOGGED`. Option
//! lists are read for their values: `REINDEX (CONCURRENTLY false)` is not
//! concurrent, `VACUUM (FULL false)` is a plain VACUUM.
//!
//! **Why.** Each rewrites a table or index while holding a lock that blocks
//! reads or writes for the whole operation.
//!
//! **Example.** `VACUUM FULL orders;`
//!
//! **Instead.** `REINDEX ... CONCURRENTLY`; pg_repack for VACUUM FULL / CLUSTER;
//! or run it in a maintenance window, not in a migration.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "table-rewrite",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "VACUUM FULL, CLUSTER, REINDEX, SET TABLESPACE",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        let what = match a {
            Action::Vacuum { full: true, .. } => {
                "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock".to_string()
            }
            Action::Cluster { .. } => {
                "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock".to_string()
            }
            Action::Reindex {
                concurrent: false,
                target,
            } => format!("REINDEX {target} without CONCURRENTLY blocks writes while it rebuilds"),
            Action::SetTablespace { relation } if !s.created.table(relation) => {
                format!("SET TABLESPACE rewrites {relation} under an ACCESS EXCLUSIVE lock")
            }
            Action::AlterTableOther { table, subcommand }
                if matches!(subcommand.as_str(), "AtSetLogged" | "AtSetUnLogged")
                    && !s.created.table(table) =>
            {
                format!(
                    "SET {} rewrites {table} under an ACCESS EXCLUSIVE lock",
                    if subcommand == "AtSetLogged" { "LOGGED" } else { "UNLOGGED" }
                )
            }
            _ => continue,
        };
        out.push(s.finding(
            crate::RuleId::TableRewrite,
            what,
            "use REINDEX CONCURRENTLY or pg_repack, or do it in a maintenance window rather than a migration",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "table-rewrite",
            "-- sluice:no-transaction\nVACUUM FULL orders;",
        );
        lint_err("table-rewrite", "CLUSTER orders USING orders_pkey;");
        lint_err("table-rewrite", "REINDEX TABLE orders;");
        lint_ok("table-rewrite", "REINDEX TABLE CONCURRENTLY orders;");
    }

    /// Option lists are read for their values: `CONCURRENTLY false` is not
    /// concurrent and `FULL false` is a plain VACUUM.
    #[test]
    fn option_values_are_read() {
        let d = lint_err(
            "table-rewrite",
            "REINDEX (CONCURRENTLY false) TABLE orders;",
        );
        assert!(d.message.contains("without CONCURRENTLY"), "{}", d.message);
        lint_err("table-rewrite", "REINDEX (CONCURRENTLY off) TABLE orders;");
        lint_ok("table-rewrite", "-- sluice:no-transaction\nREINDEX (CONCURRENTLY true) TABLE orders;");
        lint_ok("table-rewrite", "-- sluice:no-transaction\nREINDEX (CONCURRENTLY) TABLE orders;");
        lint_ok("table-rewrite", "-- sluice:no-transaction\nVACUUM (FULL false) orders;");
        lint_ok("table-rewrite", "-- sluice:no-transaction\nVACUUM (FULL 0, ANALYZE) orders;");
        lint_err("table-rewrite", "-- sluice:no-transaction\nVACUUM (FULL true) orders;");
        lint_err("table-rewrite", "-- sluice:no-transaction\nVACUUM (FULL on) orders;");
        lint_err("table-rewrite", "ALTER TABLE orders SET LOGGED;");
        lint_err("table-rewrite", "ALTER TABLE orders SET UNLOGGED;");
    }
}
