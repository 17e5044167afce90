//! `bypass-invalid` (error): a `CI:DESTRUCTIVE_OK` bypass on a destructive
//! statement whose text cites no reference matching `policy.bypass_reference`
//! (default `(ADR-\d+|[A-Z]+-\d+)`). Raised by the engine in place of the
//! destructive finding it failed to bypass.
//!
//! **Why.** A bypass is an auditable decision: "see ADR-015". Without a
//! reference it is just a way to silence the check.
//!
//! **Example.** `DROP TABLE legacy;  -- CI:DESTRUCTIVE_OK trust me`
//!
//! **Instead.** `DROP TABLE legacy;  -- CI:DESTRUCTIVE_OK See ADR-015 for the deprecation timeline`

use super::define::*;
/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "bypass-invalid",
    severity: Severity::Error,
    risk: None,
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "a destructive bypass without a valid reference",
    check: Check::Raised,
};

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_a_bypass_without_reference() {
        let d = lint_err(
            "bypass-invalid",
            "ALTER TABLE u DROP COLUMN c;  -- CI:DESTRUCTIVE_OK cleanup",
        );
        assert!(d.message.contains("drop-column"));
        lint_ok(
            "bypass-invalid",
            "ALTER TABLE u DROP COLUMN c;  -- CI:DESTRUCTIVE_OK OPS-7 cleanup",
        );
    }

    #[test]
    fn the_bypass_may_sit_on_any_line_of_the_statement() {
        lint_ok(
            "drop-table",
            "DROP TABLE -- CI:DESTRUCTIVE_OK ADR-3 retired\n  legacy;",
        );
        lint_err(
            "drop-table",
            "-- CI:DESTRUCTIVE_OK ADR-3 on the line above does not count\nDROP TABLE legacy;",
        );
    }
}
