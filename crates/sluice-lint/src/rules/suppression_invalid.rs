//! `suppression-invalid` (error): a `-- sluice:allow` that names no known rule
//! id, or gives no `reason:`. Raised by the engine.
//!
//! **Why.** A suppression is a reviewed exception; without a reason (or with a
//! misspelled rule) it documents nothing and may silence nothing.
//!
//! **Example.** `-- sluice:allow index-not-concurent`
//!
//! **Instead.** `-- sluice:allow index-not-concurrent reason: table is created empty by the same deploy`

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
}
