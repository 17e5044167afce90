//! `truncate` (error, High, destructive): `TRUNCATE` of a table this migration
//! did not create.
//!
//! **Why.** Every row is gone, under an ACCESS EXCLUSIVE lock.
//!
//! **Example.** `TRUNCATE audit_log;`
//!
//! **Instead.** Delete what you mean in batches with a WHERE clause, or bypass
//! with `-- CI:DESTRUCTIVE_OK <ADR> <why>`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "truncate",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "TRUNCATE",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::Truncate { table } = a {
            if !s.created.certainly(table) {
                out.push(s.finding(
                    crate::RuleId::Truncate,
                    format!("TRUNCATE {table} deletes every row"),
                    "delete what you mean with a WHERE clause, or bypass with `-- CI:DESTRUCTIVE_OK <ADR> <why>`",
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
        lint_err("truncate", "TRUNCATE TABLE audit_log, events;");
        lint_ok(
            "truncate",
            "CREATE TABLE staging (id int);\nTRUNCATE staging;",
        );
    }
}
