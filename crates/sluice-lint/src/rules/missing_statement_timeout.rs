//! `missing-statement-timeout` (warn): a migration with a lock-heavy
//! statement (one that takes SHARE or a stronger lock on a table the
//! migration did not create) where neither the environment (`statement_timeout` in every
//! `[environments.*]` considered) nor the file (`SET statement_timeout`
//! earlier in the migration) limits how long a statement may run. It is
//! reported once per migration, at its first such statement.
//!
//! **Why.** `lock_timeout` bounds the wait for a lock, not the work done
//! once it is held: a rewrite or an index build that takes an hour holds
//! its lock for that hour, and every query on the table waits. A statement
//! timeout turns an unexpectedly long run into a failure you can plan for.
//!
//! **Example.** `ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);`
//! with no statement timeout anywhere.
//!
//! **Instead.** Set `statement_timeout = "15min"` (what the change may
//! take at most) on the environment in sluice.toml, or `SET
//! statement_timeout = '15min';` at the top of the migration.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "missing-statement-timeout",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a lock-heavy statement without statement_timeout",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    if p.statement_timeout_everywhere {
        return;
    }
    for (i, _, f) in v.up() {
        if f
            .actions
            .iter()
            .any(|a| matches!(a, Action::Set { name } if name == "statement_timeout"))
        {
            return;
        }
        if let Some((rel, mode)) = &v.blocking[i] {
            out.push(v.at(
                i,
                crate::RuleId::MissingStatementTimeout,
                format!("{} holds {} on {rel} for as long as it runs, and no statement_timeout bounds that (nor any later statement of this migration)", f.kind, mode.as_str()),
                "set statement_timeout on the environment in sluice.toml, or `SET statement_timeout = '15min';` at the top of the migration",
            ));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    fn without_env_timeout(sql: &str) -> usize {
        lint_full(
            &format!("{HEADER}{sql}\n"),
            Dialect::Postgres,
            |_| {},
            false,
        )
        .iter()
        .filter(|d| d.rule == "missing-statement-timeout")
        .count()
    }

    #[test]
    fn fires_only_without_any_timeout() {
        assert_eq!(without_env_timeout("ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);"), 1);
        // Once per migration.
        assert_eq!(
            without_env_timeout("CREATE INDEX a_i ON a (x);\nCREATE INDEX b_i ON b (x);"),
            1
        );
        assert_eq!(
            without_env_timeout("SET statement_timeout = '15min';\nALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);"),
            0
        );
        assert_eq!(without_env_timeout("CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);"), 0);
    }
}
