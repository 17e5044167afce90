//! `index-not-concurrent` (warn, Medium): `CREATE INDEX` without `CONCURRENTLY`
//! on a table this migration did not create (Postgres).
//!
//! **Why.** A plain CREATE INDEX holds a SHARE lock for the whole build: every
//! INSERT, UPDATE and DELETE on the table waits, for minutes on a large table.
//!
//! **Example.** `CREATE INDEX orders_created_at_idx ON orders (created_at);`
//!
//! **Instead.** `CREATE INDEX CONCURRENTLY ...` in a migration marked
//! `-- sluice:no-transaction` (it cannot run inside a transaction).

use super::define::*;
use super::prelude::*;
use regex::Regex;
use std::sync::LazyLock;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "index-not-concurrent",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "CREATE INDEX without CONCURRENTLY on an existing table",
    check: Check::Statement(check),
};

/// Where CONCURRENTLY goes.
static CREATE_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^CREATE\s+(UNIQUE\s+)?INDEX\b").unwrap());

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::CreateIndex {
            table,
            concurrent: false,
            index,
            ..
        } = a
        {
            // A table, or a materialized view, created earlier here is
            // empty to everyone else: nothing waits on its index.
            if !s.created.table(table) && !s.created.object(table) {
                out.push(s.finding(
                    crate::RuleId::IndexNotConcurrent,
                    format!(
                        "CREATE INDEX {}on {table} without CONCURRENTLY blocks writes to {table} for the whole build",
                        index.as_ref().map(|i| format!("{i} ")).unwrap_or_default()
                    ),
                    "use CREATE INDEX CONCURRENTLY in a migration marked `-- sluice:no-transaction`",
                ).with_fix(s.insert_after(
                    &CREATE_INDEX,
                    " CONCURRENTLY",
                    "add CONCURRENTLY and mark the migration `-- sluice:no-transaction`",
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn not_on_a_materialized_view_created_here() {
        lint_ok(
            "index-not-concurrent",
            "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS n;\nCREATE INDEX totals_n ON totals (n);",
        );
        lint_err("index-not-concurrent", "CREATE INDEX totals_n ON totals (n);");
    }

    #[test]
    fn fires_on_existing_tables() {
        lint_err(
            "index-not-concurrent",
            "CREATE INDEX orders_created_at_idx ON orders (created_at);",
        );
        lint_ok(
            "index-not-concurrent",
            "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);",
        );
    }

    #[test]
    fn suppression_with_reason_silences_it() {
        let d = lint_sql("-- sluice:allow index-not-concurrent reason: table is created empty by the same deploy\nCREATE INDEX i ON fresh (a);");
        assert!(
            d.iter()
                .all(|d| d.rule != "index-not-concurrent" && !d.rule.starts_with("suppression")),
            "{d:#?}"
        );
    }

    #[test]
    fn its_fix_adds_concurrently() {
        let sql = fixed(
            "index-not-concurrent",
            "CREATE UNIQUE INDEX orders_ref ON orders (ref);",
        );
        assert_eq!(sql, "CREATE UNIQUE INDEX CONCURRENTLY orders_ref ON orders (ref);");
        lint_ok("index-not-concurrent", &sql);
    }
}
