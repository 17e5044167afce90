//! `non-additive` (error): with `[policy] additive_only = true`, a statement that
//! is not purely additive.
//!
//! Purely additive: CREATE TABLE / INDEX / VIEW / MATERIALIZED VIEW / TYPE /
//! FUNCTION / TRIGGER / SEQUENCE / SCHEMA / EXTENSION / POLICY, ADD COLUMN
//! (nullable, or with a default), ENABLE ROW LEVEL SECURITY, COMMENT, GRANT,
//! INSERT, SET. Everything else (drops, renames, type changes, constraints,
//! updates, deletes) is not. Changes to objects created earlier in the same
//! migration are exempt.
//!
//! **Why.** Production playbooks that run old and new code side by side allow
//! only changes the old code cannot notice.
//!
//! **Example.** `ALTER TABLE users ALTER COLUMN email SET NOT NULL;`
//!
//! **Instead.** Ship the additive half now and the rest in a later migration
//! once no running code depends on the old shape.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "non-additive",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "additive_only and the statement is not purely additive",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    if !p.policy.additive_only {
        return;
    }
    if let Some(a) = s
        .facts
        .actions
        .iter()
        .find(|a| !a.is_additive() && !s.new_table(a))
    {
        let what = match a.table() {
            Some(t) => format!("{} on {t}", s.facts.kind),
            None => s.facts.kind.clone(),
        };
        out.push(s.finding(
            crate::RuleId::NonAdditive,
            format!("{what} is not purely additive, and this project allows only additive changes (additive_only = true)"),
            "split the change: ship the additive part now, the rest when no running code depends on the old shape",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    fn additive(sql: &str) -> Vec<String> {
        lint_full(
            &format!("{HEADER}{sql}\n"),
            Dialect::Postgres,
            |p| p.additive_only = true,
            true,
        )
        .into_iter()
        .filter(|d| d.rule == "non-additive")
        .map(|d| d.message)
        .collect()
    }

    #[test]
    fn only_with_the_policy() {
        assert_eq!(
            additive("ALTER TABLE users ALTER COLUMN email SET NOT NULL;").len(),
            1
        );
        assert!(additive("CREATE TABLE t (id int);\nALTER TABLE users ADD COLUMN bio text;\nCREATE INDEX CONCURRENTLY i ON users (bio);\nCOMMENT ON TABLE t IS 'x';").is_empty());
        assert!(
            additive("CREATE TABLE t (id int);\nALTER TABLE t ALTER COLUMN id SET NOT NULL;")
                .is_empty()
        );
        lint_ok(
            "non-additive",
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        );
    }
}
