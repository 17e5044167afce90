//! `drop-index-not-concurrent` (warn, Medium): `DROP INDEX` without
//! `CONCURRENTLY` (Postgres), for an index this migration did not create.
//!
//! **Why.** A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the table:
//! it waits behind every running query and blocks every new one meanwhile.
//!
//! **Example.** `DROP INDEX orders_created_at_idx;`
//!
//! **Instead.** `DROP INDEX CONCURRENTLY ...` in a `-- sluice:no-transaction`
//! migration.

use super::define::*;
use super::prelude::*;
use regex::Regex;
use std::sync::LazyLock;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-index-not-concurrent",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "DROP INDEX without CONCURRENTLY",
    check: Check::Statement(check),
};

/// Where CONCURRENTLY goes.
static DROP_INDEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^DROP\s+INDEX\b").unwrap());

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropIndex {
            index,
            concurrent: false,
            ..
        } = a
        {
            if !s.created.index(index) {
                out.push(s.finding(
                    crate::RuleId::DropIndexNotConcurrent,
                    format!("DROP INDEX {index} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table"),
                    "use DROP INDEX CONCURRENTLY in a migration marked `-- sluice:no-transaction`",
                ).with_fix(s.insert_after(
                    &DROP_INDEX,
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
    fn fires() {
        lint_err(
            "drop-index-not-concurrent",
            "DROP INDEX orders_created_at_idx; -- CI:DESTRUCTIVE_OK ADR-1 unused",
        );
        lint_ok(
            "drop-index-not-concurrent",
            "DROP INDEX CONCURRENTLY i; -- CI:DESTRUCTIVE_OK ADR-1 unused",
        );
    }

    #[test]
    fn its_fix_adds_concurrently() {
        let sql = fixed("drop-index-not-concurrent", "DROP INDEX IF EXISTS orders_ref;");
        assert_eq!(sql, "DROP INDEX CONCURRENTLY IF EXISTS orders_ref;");
        lint_ok("drop-index-not-concurrent", &sql);
    }
}
