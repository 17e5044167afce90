//! `drop-not-null` (warn, Low): `ALTER COLUMN ... DROP NOT NULL` on a table
//! this migration did not create.
//!
//! **Why.** It is backward incompatible for the code that reads the column:
//! running code (and every consumer of the data) assumed a value is always
//! there, and the first NULL a new writer stores breaks it.
//!
//! **Example.** `ALTER TABLE users ALTER COLUMN email DROP NOT NULL;`
//!
//! **Instead.** Ship readers that handle NULL first; then drop the
//! constraint, and say so in the migration (`-- sluice:allow drop-not-null
//! reason: readers handle NULL since v42`).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-not-null",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "ALTER COLUMN ... DROP NOT NULL (readers assumed a value)",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropNotNull { table, column } = a {
            if !s.created.table(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::DropNotNull,
                    format!("{table}.{column} may hold NULL from now on: code that reads it assumed it never does"),
                    "ship readers that handle NULL first, then allow it with a reason",
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
            "drop-not-null",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
        );
        lint_ok(
            "drop-not-null",
            "CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
        );
    }
}
