//! `transaction-nesting` (error): `BEGIN`, `COMMIT`, `ROLLBACK` (or `START
//! TRANSACTION`, `END`) in a migration, whether sluice wraps it in a
//! transaction or runs it statement by statement (`-- sluice:no-transaction`,
//! and every migration on MySQL and MariaDB). `apply` refuses the same
//! statements before running anything.
//!
//! **Why.** In a wrapped migration, a COMMIT in the middle ends sluice's
//! transaction early, so a later failure leaves half the migration applied
//! and the history wrong. In a migration run statement by statement, sluice
//! records its progress after each statement: a transaction the migration
//! opens would hold those records, and a failure inside it would roll them
//! back with the work, leaving a history that says less than what ran.
//!
//! **Example.** `BEGIN; ALTER TABLE ...; COMMIT;`
//!
//! **Instead.** Remove them: a wrapped migration is atomic already. Work
//! that needs separate commits goes in separate migrations.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "transaction-nesting",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "BEGIN / COMMIT / ROLLBACK inside a wrapped migration",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in s
        .facts
        .actions
        .iter()
        .filter(|a| a.is_transaction_control())
    {
        if let Action::Transaction { kind } = a {
            let (what, help) = if p.dialect.is_mysql() || !s.transactional {
                (
                    format!("{kind} inside a migration that sluice runs statement by statement, recording its progress after each: the transaction would hold those records"),
                    "remove it, and put work that needs its own commit in a separate migration",
                )
            } else {
                (
                    format!("{kind} inside a migration that sluice already runs in a transaction"),
                    "remove it: the migration is atomic already",
                )
            };
            out.push(s.finding(crate::RuleId::TransactionNesting, what, help));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "transaction-nesting",
            "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;",
        );
        // Statement by statement, progress records would sit in the
        // migration's own transaction.
        let d = lint_err(
            "transaction-nesting",
            "-- sluice:no-transaction\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;",
        );
        assert!(d.message.contains("statement by statement"), "{}", d.message);
        let d = mysql_err(
            "transaction-nesting",
            "START TRANSACTION;\nINSERT INTO t VALUES (1);\nCOMMIT;",
        );
        assert!(d.message.contains("statement by statement"), "{}", d.message);
        lint_ok("transaction-nesting", "SAVEPOINT a;");
    }
}
