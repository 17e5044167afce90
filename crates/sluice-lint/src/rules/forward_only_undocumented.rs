//! `forward-only-undocumented` (error): `FORWARD_ONLY: Yes` without both a
//! `JUSTIFICATION` and a `ROLLBACK_STRATEGY` in the header.
//!
//! **Why.** A migration that cannot be reversed needs an explanation and a plan
//! for the day it has to be undone anyway (restore, compensating migration).
//!
//! **Example.** `-- FORWARD_ONLY: Yes` alone.
//!
//! **Instead.** Add `-- JUSTIFICATION: ...` and `-- ROLLBACK_STRATEGY: ...`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "forward-only-undocumented",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "FORWARD_ONLY: Yes without JUSTIFICATION and ROLLBACK_STRATEGY",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let h = &v.migration.header;
    let Some(field) = h.get("FORWARD_ONLY") else {
        return;
    };
    if !v.migration.forward_only() {
        return;
    }
    let missing: Vec<&str> = ["JUSTIFICATION", "ROLLBACK_STRATEGY"]
        .into_iter()
        .filter(|k| h.value(k).is_none_or(str::is_empty))
        .collect();
    if !missing.is_empty() {
        out.push(v.at_line(
            field.line,
            field.value_column,
            crate::RuleId::ForwardOnlyUndocumented,
            format!("FORWARD_ONLY: Yes without {}", missing.join(" and ")),
            "say why it cannot be reversed (JUSTIFICATION) and how to recover if it must be (ROLLBACK_STRATEGY)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    #[test]
    fn needs_both_fields() {
        let text = HEADER.replace("FORWARD_ONLY: No", "FORWARD_ONLY: Yes") + "SELECT 1;\n";
        let d = lint_full(&text, Dialect::Postgres, |_| {}, true);
        let f: Vec<_> = d
            .iter()
            .filter(|d| d.rule == "forward-only-undocumented")
            .collect();
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("JUSTIFICATION") && !f[0].message.contains("ROLLBACK_STRATEGY")
        );
        let text = text.replace(
            "-- TITLE: t\n",
            "-- TITLE: t\n-- JUSTIFICATION: data migration\n",
        );
        assert!(lint_full(&text, Dialect::Postgres, |_| {}, true)
            .iter()
            .all(|d| d.rule != "forward-only-undocumented"));
    }
}
