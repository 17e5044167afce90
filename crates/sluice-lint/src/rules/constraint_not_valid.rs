//! `constraint-not-valid` (warn, Medium): `ADD FOREIGN KEY` or `ADD CHECK` on a
//! table this migration did not create, without `NOT VALID`.
//!
//! **Why.** Adding the constraint scans the whole table to validate it while
//! holding a lock that blocks writes (a foreign key locks the referenced table
//! too).
//!
//! **Example.** `ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);`
//!
//! It also fires on `VALIDATE CONSTRAINT` of a constraint added earlier in
//! the same transaction: the `ADD ... NOT VALID` took ACCESS EXCLUSIVE (and
//! SHARE ROW EXCLUSIVE on a referenced table), and those locks are held
//! until the transaction commits, through the validation scan, so the split
//! gains nothing.
//!
//! **Instead.** Add it `NOT VALID` (instant), then `VALIDATE CONSTRAINT` in a
//! later migration (or after a commit: takes only SHARE UPDATE EXCLUSIVE).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "constraint-not-valid",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "ADD FOREIGN KEY or CHECK without NOT VALID",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::ValidateConstraint { table, name } = a {
            if s.transactional && s.created.part(table, name) && !s.created.table(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::ConstraintNotValid,
                    format!(
                        "VALIDATE CONSTRAINT {name} runs in the transaction that added it NOT VALID: the ADD's locks on {table} are held through the whole validation scan"
                    ),
                    "validate it in a later migration, so the scan takes only SHARE UPDATE EXCLUSIVE",
                ));
            }
        }
        if let Action::AddConstraint {
            table,
            kind,
            not_valid: false,
            name,
            ..
        } = a
        {
            if matches!(kind, ConstraintKind::ForeignKey | ConstraintKind::Check)
                && !s.created.table(table)
            {
                let what = if *kind == ConstraintKind::ForeignKey {
                    "FOREIGN KEY"
                } else {
                    "CHECK"
                };
                out.push(s.finding_for(a, 
                    crate::RuleId::ConstraintNotValid,
                    format!(
                        "adding {what} {}to {table} scans the whole table while blocking writes",
                        name.as_ref().map(|n| format!("{n} ")).unwrap_or_default()
                    ),
                    "add it with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT separately",
                ).with_fix(s.append(
                    " NOT VALID",
                    "add NOT VALID, then VALIDATE CONSTRAINT in a later migration",
                )));
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
            "constraint-not-valid",
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);",
        );
        lint_err(
            "constraint-not-valid",
            "ALTER TABLE orders ADD CHECK (total >= 0);",
        );
        lint_ok("constraint-not-valid", "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;");
        lint_ok(
            "constraint-not-valid",
            "CREATE TABLE o (a int);\nALTER TABLE o ADD CHECK (a > 0);",
        );
    }

    #[test]
    fn validate_in_the_same_transaction_gains_nothing() {
        let d = lint_err(
            "constraint-not-valid",
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
        );
        assert!(d.message.contains("same") || d.message.contains("transaction that added it"), "{}", d.message);
        lint_ok(
            "constraint-not-valid",
            "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
        );
        lint_ok(
            "constraint-not-valid",
            "-- sluice:no-transaction\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT fk;",
        );
    }

    #[test]
    fn a_column_references_with_a_default_validates_every_row() {
        lint_err(
            "constraint-not-valid",
            "ALTER TABLE orders ADD COLUMN plan_id bigint DEFAULT 1 REFERENCES plans (id);",
        );
        // Without a default every row is NULL: nothing to validate.
        lint_ok(
            "constraint-not-valid",
            "ALTER TABLE orders ADD COLUMN plan_id bigint REFERENCES plans (id);",
        );
        lint_ok(
            "constraint-not-valid",
            "ALTER TABLE orders ADD COLUMN plan_id bigint REFERENCES plans (id) DEFAULT NULL;",
        );
    }

    #[test]
    fn its_fix_adds_not_valid() {
        let sql = fixed(
            "constraint-not-valid",
            "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
        );
        assert_eq!(sql, "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;");
        lint_ok("constraint-not-valid", &sql);
    }

    /// Two subcommands: appending NOT VALID would attach to the last one, so
    /// the fix only describes what to do.
    #[test]
    fn no_edit_when_the_statement_does_two_things() {
        let d = lint_err(
            "constraint-not-valid",
            "ALTER TABLE orders ADD COLUMN note text, ADD CONSTRAINT c CHECK (total > 0);",
        );
        let fix = d.fix.expect("a fix");
        assert!(fix.edit.is_none() && fix.description.contains("NOT VALID"));
    }
}
