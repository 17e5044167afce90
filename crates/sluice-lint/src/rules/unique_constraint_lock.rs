//! `unique-constraint-lock` (warn, Medium): `ADD UNIQUE` or `ADD PRIMARY KEY` on
//! a table this migration did not create, not built from an existing index;
//! also `UNIQUE` or `PRIMARY KEY` written inside `ADD COLUMN`.
//!
//! **Why.** Postgres builds the unique index inside the ALTER TABLE, under an
//! ACCESS EXCLUSIVE lock, for as long as the build takes.
//!
//! **Example.** `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`
//!
//! **Instead.** `CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);`
//! then `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;`

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "unique-constraint-lock",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "ADD UNIQUE / PRIMARY KEY not built from an existing index",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::AddConstraint {
            table,
            kind,
            using_index: false,
            ..
        } = a
        {
            if matches!(kind, ConstraintKind::Unique | ConstraintKind::PrimaryKey)
                && !s.created.table(table)
            {
                out.push(s.finding_for(a, 
                    crate::RuleId::UniqueConstraintLock,
                    format!("adding a {} constraint to {table} builds its index under an ACCESS EXCLUSIVE lock", if *kind == ConstraintKind::Unique { "UNIQUE" } else { "PRIMARY KEY" }),
                    "build the index with CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX",
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
            "unique-constraint-lock",
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        );
        lint_ok(
            "unique-constraint-lock",
            "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        );
        // Written inside ADD COLUMN, the index is built under the same lock.
        lint_err(
            "unique-constraint-lock",
            "ALTER TABLE users ADD COLUMN handle text UNIQUE;",
        );
        lint_err(
            "unique-constraint-lock",
            "ALTER TABLE users ADD COLUMN uid bigint PRIMARY KEY;",
        );
    }
}
