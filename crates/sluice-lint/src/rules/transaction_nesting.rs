//! `transaction-nesting` (error): `BEGIN`, `COMMIT`, `ROLLBACK` (or `START
//! TRANSACTION`, `END`) inside a migration that sluice wraps in a transaction.
//!
//! **Why.** sluice runs the migration and writes its history row in one
//! transaction; a COMMIT in the middle ends it early, so a later failure leaves
//! half the migration applied and the history wrong.
//!
//! **Example.** `BEGIN; ALTER TABLE ...; COMMIT;`
//!
//! **Instead.** Remove them: each migration is already atomic. If you need
//! separate commits, mark the migration `-- sluice:no-transaction`.
//!
//! Not on MySQL or MariaDB: there sluice runs every migration statement by
//! statement (DDL commits on its own), and `mysql-ddl-in-transaction` flags
//! a transaction that DDL would break.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "transaction-nesting",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::NotMysql,
    summary: "BEGIN / COMMIT / ROLLBACK inside a wrapped migration",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    if !s.transactional {
        return;
    }
    for a in s
        .facts
        .actions
        .iter()
        .filter(|a| a.is_transaction_control())
    {
        if let Action::Transaction { kind } = a {
            out.push(s.finding(
                crate::RuleId::TransactionNesting,
                format!("{kind} inside a migration that sluice already runs in a transaction"),
                "remove it: the migration is atomic already (or mark it `-- sluice:no-transaction`)",
            ));
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
        lint_ok(
            "transaction-nesting",
            "-- sluice:no-transaction\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;",
        );
        lint_ok("transaction-nesting", "SAVEPOINT a;");
    }
}
