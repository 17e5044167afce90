//! `set-not-null-scan` (warn, Medium): `ALTER COLUMN ... SET NOT NULL` on a table
//! this migration did not create, unless the table has a validated `CHECK
//! (col IS NOT NULL)` (added and validated earlier in the history, or
//! earlier in this migration): Postgres 12+ then proves the column has no
//! NULLs from the check and skips the scan, which is the fix this rule
//! recommends.
//!
//! **Why.** Postgres scans the whole table to check for NULLs while holding an
//! ACCESS EXCLUSIVE lock.
//!
//! **Example.** `ALTER TABLE users ALTER COLUMN email SET NOT NULL;`
//!
//! **Instead.** Add `CHECK (email IS NOT NULL) NOT VALID`, `VALIDATE` it, then
//! SET NOT NULL (Postgres 12+ uses the valid check and skips the scan), then
//! drop the check.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "set-not-null-scan",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "SET NOT NULL on an existing table",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::SetNotNull { table, column } = a {
            if !s.created.table(table) && !s.model.not_null_checked(table, column) {
                out.push(s.finding_for(a, 
                    crate::RuleId::SetNotNullScan,
                    format!("SET NOT NULL on {table}.{column} scans the whole table under an ACCESS EXCLUSIVE lock"),
                    "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (no scan), then drop the check",
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
            "set-not-null-scan",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        lint_ok(
            "set-not-null-scan",
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;",
        );
        // The recommended fix: a validated check first.
        lint_ok(
            "set-not-null-scan",
            "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT email_nn;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
        // A NOT VALID check proves nothing.
        lint_err(
            "set-not-null-scan",
            "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
    }
}
