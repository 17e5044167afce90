//! `drop-column` (error, High, destructive): `ALTER TABLE ... DROP COLUMN` on a
//! table this migration did not create.
//!
//! **Why.** The column's data is gone, and running code that still selects or
//! writes it fails (ORMs often select every mapped column).
//!
//! **Example.** `ALTER TABLE users DROP COLUMN legacy_flag;`
//!
//! **Instead.** Remove the column from the code and deploy first (expand and
//! contract), then drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>` on the line.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-column",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "ALTER TABLE ... DROP COLUMN",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropColumn { table, column } = a {
            if !s.created.certainly(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::DropColumn,
                    format!("dropping column {column} of {table} destroys its data and breaks code that still uses it"),
                    "remove it from the code and deploy first; then drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>` on the same line",
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
            "drop-column",
            "ALTER TABLE users DROP COLUMN IF EXISTS legacy;",
        );
        lint_ok(
            "drop-column",
            "CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;",
        );
        // IF NOT EXISTS creates nothing when the table exists: the drop
        // still loses data.
        lint_err(
            "drop-column",
            "CREATE TABLE IF NOT EXISTS users (id int, legacy text);\nALTER TABLE users DROP COLUMN legacy;",
        );
        lint_ok(
            "drop-column",
            "ALTER TABLE users DROP COLUMN legacy; -- CI:DESTRUCTIVE_OK JIRA-12 unused since March",
        );
    }

    /// Dropping in the down section the column the up section adds is the
    /// reversal (an Alembic downgrade's `op.drop_column` of its upgrade's
    /// `op.add_column`).
    #[test]
    fn dropping_the_column_the_up_section_adds_is_the_reversal() {
        lint_ok(
            "drop-column",
            "ALTER TABLE users ADD COLUMN bio text;\n-- sluice:down\nALTER TABLE users DROP COLUMN bio;",
        );
        lint_err(
            "drop-column",
            "ALTER TABLE users ADD COLUMN bio text;\n-- sluice:down\nALTER TABLE users DROP COLUMN email;",
        );
    }
}
