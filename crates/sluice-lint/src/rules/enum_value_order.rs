//! `enum-value-order` (warn, Low): `ALTER TYPE ... ADD VALUE` without
//! `BEFORE` or `AFTER`, or a new value used later in the same transaction.
//!
//! **Why.** Without `BEFORE`/`AFTER` the value goes last, which silently
//! changes the order of everything sorted or compared by that enum. And a
//! value added in a transaction cannot be used until that transaction
//! commits (`unsafe use of new value`): a later statement of the same
//! migration that uses it fails.
//!
//! **Example.** `ALTER TYPE order_status ADD VALUE 'refunded';`
//!
//! **Instead.** Say where it goes: `ADD VALUE 'refunded' AFTER 'paid'`; use
//! the new value in a later migration (or mark this one `-- sluice:no-transaction`).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "enum-value-order",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "ALTER TYPE ... ADD VALUE without BEFORE/AFTER, or used in the same transaction",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let text = v.migration.text();
    // Values added earlier in a transactional section: (label, line).
    let mut added: Vec<(String, usize)> = Vec::new();
    for (i, s, f) in v.up() {
        let sql = s.stmt.text(text);
        if !s.no_transaction {
            for (value, line) in &added {
                let quoted = format!("'{}'", value.replace('\'', "''"));
                if sql.contains(&quoted) {
                    out.push(v.at(
                        i,
                        crate::RuleId::EnumValueOrder,
                        format!("uses the enum value {quoted} added at line {line} in the same transaction: Postgres refuses it until that transaction commits"),
                        "use the new value in a later migration",
                    ));
                    break;
                }
            }
        }
        for a in &f.actions {
            if let Action::AddEnumValue {
                type_name,
                value,
                positioned,
            } = a
            {
                if !positioned {
                    out.push(v.at(
                        i,
                        crate::RuleId::EnumValueOrder,
                        format!("'{value}' goes last in {type_name}: anything sorted or compared by {type_name} changes order"),
                        "say where it goes: ADD VALUE ... BEFORE 'x' or AFTER 'x'",
                    ));
                }
                if !s.no_transaction {
                    added.push((value.clone(), s.stmt.line));
                }
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
            "enum-value-order",
            "ALTER TYPE order_status ADD VALUE 'refunded';",
        );
        lint_ok(
            "enum-value-order",
            "ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';",
        );
        let d = lint_err(
            "enum-value-order",
            "ALTER TYPE order_status ADD VALUE 'refunded' AFTER 'paid';\nUPDATE orders SET status = 'refunded' WHERE id = 1;",
        );
        assert!(d.message.contains("same transaction"), "{}", d.message);
    }
}
