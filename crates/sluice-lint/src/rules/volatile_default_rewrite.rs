//! `volatile-default-rewrite` (warn, Medium): `ADD COLUMN` with a volatile
//! `DEFAULT` (`random()`, `gen_random_uuid()`, `clock_timestamp()`,
//! `nextval()`, ...), a default calling a user-defined or unknown function
//! (`CREATE FUNCTION` is `VOLATILE` unless it says otherwise; the built-ins
//! known to be stable or immutable, such as `now()`, are not), a `serial` /
//! `bigserial` or identity column (filled from a sequence, row by row), or
//! a `GENERATED ALWAYS AS (...) STORED` column, on a table this migration
//! did not create. A function created earlier in the history (or in this
//! migration) counts as it was declared: `IMMUTABLE` or `STABLE` ones do not
//! rewrite the table, `VOLATILE` ones (the default) do.
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
            default: default @ (DefaultKind::Volatile | DefaultKind::Generated),
            default_functions,
            ..
        } = a
        {
            // Volatile only through functions the history declares STABLE
            // or IMMUTABLE: no rewrite.
            let declared_stable = !default_functions.is_empty()
                && default_functions
                    .iter()
                    .all(|f| s.model.function_volatile(f) == Some(false));
            if !s.created.table(table) && !declared_stable {
                let what = if *default == DefaultKind::Generated {
                    "is a STORED generated column, computed for every row"
                } else {
                    "has a volatile DEFAULT (or fills from a sequence)"
                };
                out.push(s.finding_for(a, 
                    crate::RuleId::VolatileDefaultRewrite,
                    format!("column {column} {what}: adding it rewrites all of {table} under an ACCESS EXCLUSIVE lock"),
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
        for sql in [
            "ALTER TABLE orders ADD COLUMN n bigint DEFAULT my_counter();",
            "ALTER TABLE orders ADD COLUMN id2 bigserial;",
            "ALTER TABLE orders ADD COLUMN id3 serial;",
            "ALTER TABLE orders ADD COLUMN id4 bigint GENERATED ALWAYS AS IDENTITY;",
            "ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED;",
        ] {
            lint_err("volatile-default-rewrite", sql);
        }
        lint_ok(
            "volatile-default-rewrite",
            "ALTER TABLE orders ADD COLUMN k text DEFAULT lower('A');",
        );
        // A function of the history: VOLATILE unless it says otherwise.
        lint_err(
            "volatile-default-rewrite",
            "CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ select 'x' $$;\nALTER TABLE orders ADD COLUMN code text DEFAULT next_code();",
        );
        lint_ok(
            "volatile-default-rewrite",
            "CREATE FUNCTION zero() RETURNS int LANGUAGE sql IMMUTABLE AS $$ select 0 $$;\nALTER TABLE orders ADD COLUMN z int DEFAULT zero();",
        );
    }
}
