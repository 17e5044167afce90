//! `prefer-text` (warn, no risk): a new `varchar(n)` or `char(n)` column, in `CREATE TABLE` or `ADD COLUMN`.
//!
//! **Why.** A length limit in the type is a constraint that can only be changed by `ALTER COLUMN TYPE` (a table rewrite when it shrinks), and `char(n)` pads with spaces; in Postgres `text` and `varchar` perform the same.
//!
//! **Example.** `ALTER TABLE users ADD COLUMN nickname varchar(50);`
//!
//! **Instead.** `text`, with `CHECK (length(nickname) <= 50)` when the limit matters (a CHECK can be replaced `NOT VALID` without a rewrite).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "prefer-text",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a new varchar(n) or char(n) column",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for c in super::new_columns::of(s.facts) {
        if c.data_type.starts_with("varchar(") || c.data_type.starts_with("bpchar") || c.data_type.starts_with("char(") {
            out.push(s.finding(
                crate::RuleId::PreferText,
                format!("column {}.{} is {}: the length limit can only change with a type change", c.table, c.name, c.data_type),
                "use text, with a CHECK on its length where the limit matters",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("prefer-text", "ALTER TABLE users ADD COLUMN nickname varchar(50);");
        lint_err("prefer-text", "CREATE TABLE t (code char(2));");
        lint_ok("prefer-text", "CREATE TABLE t (name text, v varchar);");
    }
}
