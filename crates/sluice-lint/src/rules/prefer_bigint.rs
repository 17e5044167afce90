//! `prefer-bigint` (warn, no risk): `int`/`integer`, `smallint`, `serial` or `smallserial` as the type of a new key column (primary, unique or foreign key), in `CREATE TABLE` or `ADD COLUMN`.
//!
//! **Why.** An `int` key runs out at 2,147,483,647: tables outgrow it, and a foreign key must match the key it references, so widening later rewrites both tables under ACCESS EXCLUSIVE locks.
//!
//! **Example.** `CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id));`
//!
//! **Instead.** `bigint` (`bigint GENERATED ALWAYS AS IDENTITY` for a generated key).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "prefer-bigint",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a new primary, unique or foreign key column of type int, smallint or serial",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for c in super::new_columns::of(s.facts) {
        if matches!(c.data_type, "int4" | "int" | "integer" | "int2" | "smallint" | "serial" | "serial4" | "smallserial" | "serial2") && c.key {
            out.push(s.finding(
                crate::RuleId::PreferBigint,
                format!("key column {}.{} is {}: it overflows at 2^31 (or 2^15), and widening it later rewrites the table", c.table, c.name, c.data_type),
                "use bigint (or bigint GENERATED ALWAYS AS IDENTITY)",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("prefer-bigint", "CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id));");
        lint_err("prefer-bigint", "ALTER TABLE orders ADD COLUMN plan_id int REFERENCES plans (id);");
        lint_ok("prefer-bigint", "CREATE TABLE orders (id bigint PRIMARY KEY, qty int NOT NULL);");
    }
}
