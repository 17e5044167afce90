//! `prefer-timestamptz` (warn, no risk): a new `timestamp` (without time zone) column, in `CREATE TABLE` or `ADD COLUMN`.
//!
//! **Why.** A `timestamp` stores wall-clock time with no zone: the same instant reads differently per session TimeZone, and comparisons across zones or DST changes are wrong.
//!
//! **Example.** `ALTER TABLE orders ADD COLUMN paid_at timestamp;`
//!
//! **Instead.** `timestamptz` (`timestamp with time zone`), which stores an instant.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "prefer-timestamptz",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a new timestamp column without time zone",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for c in super::new_columns::of(s.facts) {
        if c.data_type == "timestamp" || c.data_type.starts_with("timestamp(") {
            out.push(s.finding(
                crate::RuleId::PreferTimestamptz,
                format!("column {}.{} is {} (without time zone): the instant it means depends on the session TimeZone", c.table, c.name, c.data_type),
                "use timestamptz",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("prefer-timestamptz", "ALTER TABLE orders ADD COLUMN paid_at timestamp;");
        lint_err("prefer-timestamptz", "CREATE TABLE t (at timestamp without time zone);");
        lint_ok("prefer-timestamptz", "CREATE TABLE t (at timestamptz, b timestamp with time zone);");
    }
}
