//! `rename-object` (warn, Medium): renaming an index, a constraint, a
//! sequence or an enum value (`ALTER INDEX ... RENAME TO`, `ALTER TABLE ...
//! RENAME CONSTRAINT`, `ALTER SEQUENCE ... RENAME TO`, `ALTER TYPE ...
//! RENAME VALUE`).
//!
//! **Why.** Code and tooling name these objects: hints, `ON CONFLICT ON
//! CONSTRAINT`, error handling that matches a constraint's name,
//! `nextval('seq')`. Renaming an enum value breaks every running writer and
//! reader that uses the old label at once.
//!
//! **Example.** `ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';`
//!
//! **Instead.** Add the new object or label beside the old one, move the
//! code over, then drop the old one; or allow it with the reason nothing
//! refers to the old name.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "rename-object",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "renaming an index, constraint, sequence or enum value",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::RenameObject {
            kind,
            object,
            new_name,
        } = a
        {
            let why = if kind == "ENUM VALUE" {
                "running code that reads or writes the old label breaks at once"
            } else {
                "code that names it (hints, ON CONFLICT ON CONSTRAINT, error handling, nextval) breaks"
            };
            out.push(s.finding(
                crate::RuleId::RenameObject,
                format!("renames {} {object} to {new_name}: {why}", kind.to_lowercase()),
                "add the new one beside the old, move the code over, then drop the old one",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        for sql in [
            "ALTER INDEX orders_idx RENAME TO orders_user_idx;",
            "ALTER TABLE orders RENAME CONSTRAINT orders_fk TO orders_user_fk;",
            "ALTER SEQUENCE orders_seq RENAME TO order_numbers;",
            "ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
        ] {
            lint_err("rename-object", sql);
        }
        lint_ok("rename-object", "ALTER TABLE orders RENAME COLUMN a TO b;");
    }
}
