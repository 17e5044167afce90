//! `non-robust-statement` (warn, Low): in a migration that runs outside a
//! transaction (`-- sluice:no-transaction`), `CREATE INDEX CONCURRENTLY`
//! without `IF NOT EXISTS` or `DROP INDEX CONCURRENTLY` without `IF EXISTS`.
//!
//! **Why.** Such a migration can stop part-way (a lock timeout, a
//! deadlock, a killed session), and the way forward is to run it again
//! after `sluice resolve`: a statement that fails because its own earlier
//! attempt got as far as creating (or dropping) the index turns a retry
//! into a manual repair.
//!
//! **Example.** `CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);`
//!
//! **Instead.** `CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON
//! orders (user_id);` and `DROP INDEX CONCURRENTLY IF EXISTS ...`. (sluice
//! drops an INVALID index a failed `CREATE INDEX CONCURRENTLY` leaves
//! behind before it retries; `IF NOT EXISTS` covers the valid one a retry
//! after `resolve` would find.)

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "non-robust-statement",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a no-transaction statement that cannot be re-run after a partial failure",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    if s.transactional {
        return;
    }
    for a in &s.facts.actions {
        let what = match a {
            Action::CreateIndex {
                concurrent: true,
                if_not_exists: false,
                index,
                ..
            } => format!(
                "CREATE INDEX CONCURRENTLY {}without IF NOT EXISTS fails when re-run after it got that far",
                index.as_ref().map(|i| format!("{i} ")).unwrap_or_default()
            ),
            Action::DropIndex {
                concurrent: true,
                if_exists: false,
                index,
            } => format!(
                "DROP INDEX CONCURRENTLY {index} without IF EXISTS fails when re-run after it got that far"
            ),
            _ => continue,
        };
        out.push(s.finding(
            crate::RuleId::NonRobustStatement,
            what,
            "add IF NOT EXISTS / IF EXISTS so the migration can be run again after a partial failure",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "non-robust-statement",
            "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);",
        );
        lint_err(
            "non-robust-statement",
            "-- sluice:no-transaction\nDROP INDEX CONCURRENTLY orders_user_idx;",
        );
        lint_ok(
            "non-robust-statement",
            "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);\nDROP INDEX CONCURRENTLY IF EXISTS old_idx;",
        );
    }
}
