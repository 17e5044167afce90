//! `rename-table` (error, Medium): `ALTER TABLE ... RENAME TO` on a table this
//! migration did not create.
//!
//! **Why.** Renaming is backward incompatible: the code deployed right now still
//! uses the old name and fails from the moment the migration commits until the
//! new code is everywhere.
//!
//! **Example.** `ALTER TABLE users RENAME TO accounts;`
//!
//! **Instead.** Create the new table (or a view with the new name), move code
//! over, then retire the old name in a later migration.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "rename-table",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "renaming a table",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::RenameTable { table, new_name } = a {
            if !s.created.table(table) {
                out.push(s.finding(
                    crate::RuleId::RenameTable,
                    format!("renaming {table} to {new_name} breaks the code that is running now"),
                    "expand and contract: add the new name (a view or a new table), move the code, drop the old name later",
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
        lint_err("rename-table", "ALTER TABLE users RENAME TO accounts;");
        lint_ok(
            "rename-table",
            "CREATE TABLE tmp (id int);\nALTER TABLE tmp RENAME TO final;",
        );
    }
}
