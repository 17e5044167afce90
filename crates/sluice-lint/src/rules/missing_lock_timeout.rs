//! `missing-lock-timeout` (warn): a lock-heavy statement (one that takes SHARE or
//! a stronger lock on a table this migration did not create) where neither the
//! environment (`lock_timeout` in every `[environments.*]` considered) nor the
//! file (`SET lock_timeout` earlier in the migration) sets a lock timeout.
//!
//! **Why.** An ALTER TABLE that waits for a long-running query holds its place
//! in the lock queue, and every query behind it waits too: the table is down
//! until the blocker finishes. A lock timeout turns that into a quick failure.
//!
//! **Example.** `ALTER TABLE users ADD COLUMN bio text;` with no timeout anywhere.
//!
//! **Instead.** Set `lock_timeout = "5s"` on the environment in sluice.toml, or
//! start the migration with `SET lock_timeout = '5s';`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "missing-lock-timeout",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::Postgres,
    summary: "a lock-heavy statement without lock_timeout",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    if p.lock_timeout_everywhere || s.lock_timeout_set {
        return;
    }
    if let Some((rel, mode)) = s.write_lock() {
        out.push(s.finding(
            crate::RuleId::MissingLockTimeout,
            format!("{} takes {} on {rel} with no lock_timeout: waiting for it blocks every query queued behind", s.facts.kind, mode.as_str()),
            "set lock_timeout on the environment in sluice.toml, or `SET lock_timeout = '5s';` at the top of the migration",
        ).with_fix(s.prepend_line(
            "SET lock_timeout = '5s';",
            "set lock_timeout before the statement (or on the environment in sluice.toml)",
        )));
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
        .filter(|d| d.rule == "missing-lock-timeout")
        .count()
    }

    #[test]
    fn fires_only_without_any_timeout() {
        assert_eq!(
            without_env_timeout("ALTER TABLE users ADD COLUMN bio text;"),
            1
        );
        assert_eq!(
            without_env_timeout("SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;"),
            0
        );
        assert_eq!(
            without_env_timeout("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN b int;"),
            0
        );
        lint_ok(
            "missing-lock-timeout",
            "ALTER TABLE users ADD COLUMN bio text;",
        );
    }

    #[test]
    fn its_fix_sets_lock_timeout_first() {
        let sql = fixed("missing-lock-timeout", "ALTER TABLE users ADD COLUMN bio text;");
        assert_eq!(sql, "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;");
        assert_eq!(without_env_timeout(&sql), 0);
    }
}
