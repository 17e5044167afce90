//! `delete-without-where` (error, High, destructive): `DELETE` or `UPDATE`
//! without a `WHERE` clause on a table this migration did not create.
//!
//! **Why.** It touches every row: a forgotten WHERE is the classic data loss,
//! and on a big table it holds row locks on everything until commit.
//!
//! **Example.** `UPDATE users SET plan = 'free';`
//!
//! **Instead.** Add the WHERE clause you mean (`WHERE true` if you really mean
//! all rows, which makes the intent visible), and batch large backfills.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "delete-without-where",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DELETE or UPDATE with no WHERE on an existing table",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        let (verb, table) = match a {
            Action::Delete {
                table,
                has_where: false,
            } => ("DELETE", table),
            Action::Update {
                table,
                has_where: false,
            } => ("UPDATE", table),
            _ => continue,
        };
        if !s.created.certainly(table) {
            out.push(s.finding(
                crate::RuleId::DeleteWithoutWhere,
                format!("{verb} on {table} without WHERE changes every row"),
                "add the WHERE clause you mean (`WHERE true` to say \"all rows\" on purpose) and batch large changes",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("delete-without-where", "DELETE FROM users;");
        lint_err("delete-without-where", "UPDATE users SET plan = 'free';");
        lint_ok(
            "delete-without-where",
            "UPDATE users SET plan = 'free' WHERE plan IS NULL;",
        );
        lint_ok(
            "delete-without-where",
            "CREATE TABLE t (a int);\nDELETE FROM t;",
        );
    }
}
