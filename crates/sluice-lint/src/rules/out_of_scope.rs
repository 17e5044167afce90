//! `out-of-scope` (error): a statement touches a table outside `[policy]
//! allowed_tables` (only when that list is set: a scope freeze).
//!
//! Entries match a table's bare name or its `schema.name`.
//!
//! **Why.** During a scope freeze ("no tables beyond the MVP core list") any new
//! or changed table needs a conscious decision, not a drive-by migration.
//!
//! **Example.** With `allowed_tables = ["users", "orders"]`: `CREATE TABLE coupons (...)`.
//!
//! **Instead.** Get the table added to `allowed_tables` in the same review.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "out-of-scope",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "a table outside allowed_tables",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    let allowed = &p.policy.allowed_tables;
    if allowed.is_empty() {
        return;
    }
    let mut seen: Vec<&ObjectName> = Vec::new();
    for a in &s.facts.actions {
        let Some(t) = a.table() else { continue };
        if t.name.is_empty() || seen.contains(&t) {
            continue;
        }
        seen.push(t);
        if !allowed.iter().any(|x| {
            *x == t.name
                || *x == t.to_string()
                || *x == format!("{}.{}", t.schema_or_public(), t.name)
        }) {
            out.push(s.finding(
                crate::RuleId::OutOfScope,
                format!("{} touches {t}, which is not in [policy] allowed_tables", s.facts.kind),
                "add the table to allowed_tables in sluice.toml in the same review, or leave it out of this change",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    #[test]
    fn fires_only_under_a_scope_freeze() {
        let run = |sql: &str| {
            lint_full(
                &format!("{HEADER}{sql}\n"),
                Dialect::Postgres,
                |p| p.allowed_tables = vec!["users".into(), "public.orders".into()],
                true,
            )
            .into_iter()
            .filter(|d| d.rule == "out-of-scope")
            .count()
        };
        assert_eq!(run("CREATE TABLE coupons (id int);"), 1);
        assert_eq!(
            run("ALTER TABLE users ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;"),
            0
        );
        lint_ok("out-of-scope", "CREATE TABLE coupons (id int);");
    }
}
