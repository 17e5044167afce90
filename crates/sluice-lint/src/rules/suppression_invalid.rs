//! `suppression-invalid` (error): a `-- sluice:allow` that names no known rule
//! id, or gives no `reason:`. Raised by the engine.
//!
//! **Why.** A suppression is a reviewed exception; without a reason (or with a
//! misspelled rule) it documents nothing and may silence nothing.
//!
//! **Example.** `-- sluice:allow index-not-concurent`
//!
//! **Instead.** `-- sluice:allow index-not-concurrent reason: table is created empty by the same deploy`
//!
//! squawk's inline comments are suppressions too, so a team can switch
//! linters without editing its history: `-- squawk-ignore ban-drop-column
//! reason: …` suppresses `drop-column` (each squawk rule maps to its sluice
//! equivalent: `require-concurrent-index-creation` to
//! `index-not-concurrent`, `adding-field-with-default` to
//! `volatile-default-rewrite`, `constraint-missing-not-valid` to
//! `constraint-not-valid`, `renaming-column` to `rename-column`, …). The
//! reason is required as for `sluice:allow`; a squawk rule sluice has no
//! equivalent of is left alone.

use super::define::*;
/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "suppression-invalid",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "a sluice:allow without a known rule or a reason",
    check: Check::Raised,
};

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_unknown_rules_and_missing_reasons() {
        lint_err(
            "suppression-invalid",
            "-- sluice:allow index-not-concurent reason: typo\nCREATE INDEX i ON t (a);",
        );
        lint_err(
            "suppression-invalid",
            "-- sluice:allow index-not-concurrent\nCREATE INDEX i ON t (a);",
        );
        lint_ok(
            "suppression-invalid",
            "-- sluice:allow index-not-concurrent reason: empty table\nCREATE INDEX i ON t (a);",
        );
    }

    #[test]
    fn squawk_ignore_suppresses_the_equivalent_rule_with_a_reason() {
        lint_ok(
            "drop-column",
            "-- squawk-ignore ban-drop-column reason: legacy column unused since v3\nALTER TABLE users DROP COLUMN legacy;",
        );
        let d = lint_err(
            "suppression-invalid",
            "-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN legacy;",
        );
        assert!(d.message.contains("squawk-ignore gives no reason"), "{}", d.message);
        // A squawk rule sluice has no equivalent of is left alone.
        lint_ok(
            "suppression-invalid",
            "-- squawk-ignore prefer-text-field\nCREATE TABLE t (a varchar(10));",
        );
    }
}
