//! `volatile-default-rewrite` (warn, Medium): `ADD COLUMN` with a volatile
//! `DEFAULT` (`random()`, `gen_random_uuid()`, `clock_timestamp()`,
//! `nextval()`, ...) on a table this migration did not create.
//!
//! **Why.** A constant default is stored once in the catalog; a volatile one has
//! to be computed per row, so Postgres rewrites the whole table under an ACCESS
//! EXCLUSIVE lock.
//!
//! **Example.** `ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();`
//!
//! **Instead.** Add the column without a default (or with a constant), set the
//! default in a second statement (applies to new rows only), and backfill in
//! batches.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "volatile-default-rewrite",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "ADD COLUMN with a volatile DEFAULT",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::AddColumn {
            table,
            column,
            default: DefaultKind::Volatile,
            ..
        } = a
        {
            if !s.created.table(table) {
                out.push(s.finding(
                    crate::RuleId::VolatileDefaultRewrite,
                    format!("column {column} has a volatile DEFAULT: adding it rewrites all of {table} under an ACCESS EXCLUSIVE lock"),
                    "add the column without that default, then ALTER COLUMN ... SET DEFAULT, and backfill existing rows in batches",
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
            "volatile-default-rewrite",
            "ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();",
        );
        lint_ok(
            "volatile-default-rewrite",
            "ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();",
        );
    }
}
