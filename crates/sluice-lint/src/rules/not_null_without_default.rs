//! `not-null-without-default` (error, Medium): `ADD COLUMN ... NOT NULL` without
//! a `DEFAULT` on a table this migration did not create.
//!
//! **Why.** It fails on any table that has rows, and if it does succeed
//! (empty table) the running code that inserts without the column starts
//! failing. On MySQL and MariaDB it succeeds on a table with rows, and
//! worse: every existing row silently gets the type's implicit default
//! (`0`, `''`, a zero date), and inserts that omit the column fail in strict
//! mode.
//!
//! **Example.** `ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;`
//!
//! **Instead.** Add it with a DEFAULT (instant since Postgres 11 for constants),
//! or nullable, backfill, then SET NOT NULL safely.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "not-null-without-default",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "ADD COLUMN ... NOT NULL without DEFAULT",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::AddColumn {
            table,
            column,
            not_null: true,
            default: DefaultKind::None,
            generated: false,
            ..
        } = a
        {
            if !s.created.table(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::NotNullWithoutDefault,
                    if p.dialect.is_mysql() {
                        format!("adding NOT NULL column {column} to {table} without a DEFAULT gives every existing row the type's implicit default (0, '', a zero date) and breaks running inserts in strict mode")
                    } else {
                        format!("adding NOT NULL column {column} to {table} without a DEFAULT fails on existing rows and breaks running inserts")
                    },
                    "give it a DEFAULT, or add it nullable, backfill, and set NOT NULL later",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "not-null-without-default",
            "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;",
        );
        let d = mysql_err(
            "not-null-without-default",
            "ALTER TABLE users ADD COLUMN tenant_id BIGINT NOT NULL, ADD COLUMN n DECIMAL(10,2) NULL;",
        );
        assert!(d.message.contains("implicit default"), "{}", d.message);
        mysql_ok(
            "not-null-without-default",
            "ALTER TABLE users ADD COLUMN tenant_id BIGINT NOT NULL DEFAULT 0;",
        );
        lint_ok(
            "not-null-without-default",
            "ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;",
        );
        lint_ok(
            "not-null-without-default",
            "ALTER TABLE users ADD COLUMN id2 bigint GENERATED ALWAYS AS IDENTITY;",
        );
    }
}
