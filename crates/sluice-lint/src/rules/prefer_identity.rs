//! `prefer-identity` (warn, no risk): a new `serial`, `bigserial` or `smallserial` column, in `CREATE TABLE` or `ADD COLUMN`.
//!
//! **Why.** A serial's sequence is a separate object with its own ownership and grants, which dumps, restores and `CREATE TABLE ... LIKE` handle badly; identity columns are the SQL standard and keep the sequence part of the column.
//!
//! **Example.** `CREATE TABLE orders (id bigserial PRIMARY KEY);`
//!
//! **Instead.** `id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "prefer-identity",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a new serial column (use an identity column)",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for c in super::new_columns::of(s.facts) {
        if matches!(c.data_type, "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2") {
            out.push(s.finding(
                crate::RuleId::PreferIdentity,
                format!("column {}.{} is {}: a serial's sequence lives apart from the column", c.table, c.name, c.data_type),
                "use GENERATED ALWAYS AS IDENTITY",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("prefer-identity", "CREATE TABLE orders (id bigserial PRIMARY KEY);");
        lint_ok("prefer-identity", "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);");
    }
}
