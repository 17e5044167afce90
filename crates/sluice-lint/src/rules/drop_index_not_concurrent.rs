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

use super::prelude::*;

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropIndex {
            index,
            concurrent: false,
        } = a
        {
            if !s.created.index(index) {
                out.push(s.finding(
                    crate::RuleId::DropIndexNotConcurrent,
                    format!("DROP INDEX {index} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on its table"),
                    "use DROP INDEX CONCURRENTLY in a migration marked `-- sluice:no-transaction`",
                ));
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
}
