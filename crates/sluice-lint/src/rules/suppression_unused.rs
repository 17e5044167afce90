//! `suppression-unused` (warn): a `-- sluice:allow` that suppressed nothing on
//! the statement it applies to (the next statement, or the statement it trails
//! on the same line). Raised by the engine.
//!
//! **Why.** Stale suppressions hide future problems and mislead reviewers.
//!
//! **Example.** `-- sluice:allow drop-table reason: x` above a `CREATE TABLE`.
//!
//! **Instead.** Remove it.

use super::define::*;
/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "suppression-unused",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "a sluice:allow that suppressed nothing",
    check: Check::Raised,
};

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_when_nothing_is_suppressed() {
        lint_err(
            "suppression-unused",
            "-- sluice:allow drop-table reason: cleanup\nCREATE TABLE t (id int);",
        );
        lint_ok(
            "suppression-unused",
            "CREATE INDEX i ON t (a); -- sluice:allow index-not-concurrent reason: tiny table",
        );
    }
}
