//! `irreversible-undocumented` (warn): a migration with no down section and no
//! `ROLLBACK_STRATEGY`.
//!
//! **Why.** When it has to be undone at 3 a.m., someone needs to know how.
//!
//! **Example.** A file with only forward SQL and no `-- ROLLBACK_STRATEGY:`.
//!
//! **Instead.** Add a `-- sluice:down` section, or a `-- ROLLBACK_STRATEGY:` line.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "irreversible-undocumented",
    severity: Severity::Warn,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "no down section and no ROLLBACK_STRATEGY",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let m = v.migration;
    if m.down.is_none()
        && m.header
            .value("ROLLBACK_STRATEGY")
            .is_none_or(str::is_empty)
    {
        out.push(v.at_line(
            1,
            1,
            crate::RuleId::IrreversibleUndocumented,
            format!("migration {} has no down section and no ROLLBACK_STRATEGY", m.version),
            "add a `-- sluice:down` section, or say how to roll back in `-- ROLLBACK_STRATEGY: ...`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    #[test]
    fn fires_without_down_or_strategy() {
        let text = HEADER.replace("-- ROLLBACK_STRATEGY: restore\n", "") + "SELECT 1;\n";
        assert!(lint_full(&text, Dialect::Postgres, |_| {}, true)
            .iter()
            .any(|d| d.rule == "irreversible-undocumented"));
        let with_down = text + "-- sluice:down\nSELECT 2;\n";
        assert!(lint_full(&with_down, Dialect::Postgres, |_| {}, true)
            .iter()
            .all(|d| d.rule != "irreversible-undocumented"));
    }
}
