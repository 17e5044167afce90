//! `drop-default` (warn, Low): `ALTER COLUMN ... DROP DEFAULT` on a table
//! this migration did not create.
//!
//! **Why.** It is backward incompatible for the code that writes the table:
//! writers that omit the column relied on the default, and from now on they
//! store NULL (or fail on a NOT NULL column).
//!
//! **Example.** `ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;`
//!
//! **Instead.** Ship writers that set the column explicitly first; then drop
//! the default, and say so (`-- sluice:allow drop-default reason: every
//! writer sets status since v42`).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-default",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "ALTER COLUMN ... DROP DEFAULT (writers relied on it)",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropDefault { table, column } = a {
            if !s.created.table(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::DropDefault,
                    format!("{table}.{column} loses its default: writers that omit it now store NULL or fail"),
                    "ship writers that set the column first, then allow it with a reason",
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
            "drop-default",
            "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;",
        );
        lint_ok(
            "drop-default",
            "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';",
        );
    }
}
