//! `rename-column` (error, Medium): `ALTER TABLE ... RENAME COLUMN` on a table
//! this migration did not create.
//!
//! **Why.** Like a table rename, it breaks every query of the code running now.
//!
//! **Example.** `ALTER TABLE users RENAME COLUMN name TO full_name;`
//!
//! **Instead.** Add the new column, write both, backfill, switch reads, then drop
//! the old column.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "rename-column",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "renaming a column",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::RenameColumn {
            table,
            column,
            new_name,
        } = a
        {
            if !s.created.table(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::RenameColumn,
                    format!("renaming {table}.{column} to {new_name} breaks the code that is running now"),
                    "add the new column, write both, backfill, switch reads, then drop the old one",
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
            "rename-column",
            "ALTER TABLE users RENAME COLUMN name TO full_name;",
        );
        lint_ok(
            "rename-column",
            "CREATE TABLE t (a int);\nALTER TABLE t RENAME a TO b;",
        );
    }
}
