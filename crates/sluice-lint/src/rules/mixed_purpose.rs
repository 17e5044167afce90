//! `mixed-purpose` (warn): one migration mixes a lock-heavy statement (a change
//! that is not purely additive and takes ACCESS EXCLUSIVE on a table the
//! migration did not create: a rewrite, a scan, a drop) with statements on other
//! tables not related to it by a foreign key, or
//! changes several existing tables that nothing in the migration relates (no
//! foreign key between them).
//!
//! **Why.** A migration is the unit of review, approval, retry and rollback. A
//! risky lock mixed with unrelated changes makes all of them wait on it, and a
//! failure rolls back things that had nothing to do with it.
//!
//! **Example.** `ALTER TABLE orders ALTER COLUMN total TYPE numeric;` plus
//! `CREATE TABLE coupons (...)` in the same file.
//!
//! **Instead.** One purpose per migration.

use super::define::*;
use super::prelude::*;
use std::collections::BTreeSet;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "mixed-purpose",
    severity: Severity::Warn,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "one migration changes unrelated things",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let mut created = crate::analysis::Names::default();
    let mut heavy: Option<(usize, ObjectName)> = None;
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut changed_existing: BTreeSet<String> = BTreeSet::new();
    let mut links: Vec<(String, String)> = Vec::new();
    for (i, _, f) in v.up() {
        for a in &f.actions {
            if let Action::CreateTable { table, .. } = a {
                created.insert(table);
            }
            if let Some(t) = a.table() {
                touched.insert(t.name.clone());
                let is_new = created.has(t);
                if !is_new && !matches!(a, Action::Insert { .. }) {
                    changed_existing.insert(t.name.clone());
                }
            }
            match a {
                Action::CreateTable {
                    table,
                    foreign_keys,
                    ..
                } => {
                    links.extend(
                        foreign_keys
                            .iter()
                            .map(|k| (table.name.clone(), k.references.name.clone())),
                    );
                }
                Action::AddConstraint {
                    table,
                    references: Some(r),
                    ..
                }
                | Action::AddColumn {
                    table,
                    references: Some(r),
                    ..
                } => links.push((table.name.clone(), r.name.clone())),
                _ => {}
            }
        }
        if heavy.is_none() {
            heavy = f
                .actions
                .iter()
                .filter(|a| !a.is_additive())
                .filter_map(|a| a.table())
                .find(|t| {
                    !created.has(t)
                        && f.locks
                            .iter()
                            .any(|(r, m)| r == *t && *m == LockMode::AccessExclusive)
                })
                .map(|t| (i, t.clone()));
        }
    }
    if let Some((i, rel)) = &heavy {
        let linked = |t: &String| {
            links
                .iter()
                .any(|(a, b)| (a == t && *b == rel.name) || (b == t && *a == rel.name))
        };
        let others: Vec<&String> = touched
            .iter()
            .filter(|t| **t != rel.name && !linked(t))
            .collect();
        if !others.is_empty() {
            out.push(v.at(
                *i,
                crate::RuleId::MixedPurpose,
                format!(
                    "this migration takes an ACCESS EXCLUSIVE lock on {rel} and also changes {}",
                    others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
                "put the lock-heavy change in a migration of its own",
            ));
            return;
        }
    }
    // Existing tables changed, grouped by the foreign keys that relate them.
    let mut groups: Vec<BTreeSet<String>> = changed_existing
        .iter()
        .map(|t| BTreeSet::from([t.clone()]))
        .collect();
    for (a, b) in &links {
        let ia = groups.iter().position(|g| g.contains(a));
        let ib = groups.iter().position(|g| g.contains(b));
        if let (Some(x), Some(y)) = (ia, ib) {
            if x != y {
                let merged = groups.remove(x.max(y));
                groups[x.min(y)].extend(merged);
            }
        }
    }
    if groups.len() > 1 {
        if let Some((i, _, _)) = v.up().next() {
            out.push(v.at(
                i,
                crate::RuleId::MixedPurpose,
                format!(
                        "this migration changes unrelated existing tables: {}",
                        changed_existing
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                "split it into one migration per purpose",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_mixed_changes() {
        lint_err(
            "mixed-purpose",
            "ALTER TABLE orders ALTER COLUMN total TYPE numeric;\nCREATE TABLE coupons (id int);",
        );
        lint_err(
            "mixed-purpose",
            "UPDATE users SET a = 1 WHERE id = 1;\nUPDATE orders SET b = 2 WHERE id = 1;",
        );
        lint_ok("mixed-purpose", "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a (id));\nCREATE INDEX b_a ON b (a_id);");
        lint_ok(
            "mixed-purpose",
            "ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN b int;",
        );
    }
}
