//! `concurrently-in-transaction` (error): a statement that cannot run inside a
//! transaction block (`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
//! `REINDEX CONCURRENTLY`, `DETACH PARTITION CONCURRENTLY`, `VACUUM`,
//! `CREATE DATABASE`, ...) in a migration that runs in a transaction.
//!
//! **Why.** Postgres refuses it ("cannot run inside a transaction block"): the
//! migration fails every time.
//!
//! **Example.** A migration without `-- sluice:no-transaction` holding
//! `CREATE INDEX CONCURRENTLY i ON t (a);`
//!
//! **Instead.** Put it in its own migration marked `-- sluice:no-transaction`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "concurrently-in-transaction",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "CONCURRENTLY in a transactional migration",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    if s.transactional && s.facts.no_transaction {
        out.push(s.finding(
            crate::RuleId::ConcurrentlyInTransaction,
            format!(
                "{} cannot run inside a transaction block, and this migration runs in one",
                s.facts.kind
            ),
            "move it to its own migration with `-- sluice:no-transaction` in the header",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_without_the_directive() {
        lint_err(
            "concurrently-in-transaction",
            "CREATE INDEX CONCURRENTLY i ON t (a);",
        );
        lint_ok(
            "concurrently-in-transaction",
            "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);",
        );
    }
}
