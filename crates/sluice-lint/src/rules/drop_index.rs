//! `drop-index` (error, Medium; High for a `protected_indexes` entry,
//! destructive): `DROP INDEX` of an index this migration did not create.
//!
//! **Why.** Queries that used the index fall back to scans; on a busy table that
//! is an outage. Indexes backing uniqueness also stop enforcing it.
//!
//! **Example.** `DROP INDEX CONCURRENTLY orders_created_at_idx;`
//!
//! **Instead.** Check `pg_stat_user_indexes.idx_scan` first, then drop with
//! `-- CI:DESTRUCTIVE_OK <ADR> <why>`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-index",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP INDEX",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropIndex { index, .. } = a {
            if s.created.index(index) {
                continue;
            }
            let protected = p
                .policy
                .protected_indexes
                .iter()
                .any(|pi| *pi == index.name || *pi == index.to_string());
            let mut f = s.finding(
                crate::RuleId::DropIndex,
                format!("dropping index {index}{} slows every query that used it", if protected { " (a protected index)" } else { "" }),
                "confirm it is unused (pg_stat_user_indexes.idx_scan), then drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>`",
            );
            if protected {
                f.risk = Some(RiskLevel::High);
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "drop-index",
            "DROP INDEX CONCURRENTLY orders_created_at_idx;",
        );
        lint_ok(
            "drop-index",
            "CREATE INDEX tmp_idx ON t (a);\nDROP INDEX tmp_idx;",
        );
    }

    #[test]
    fn protected_indexes_are_high_risk() {
        use sluice_core::config::Dialect;
        let text = HEADER.replace("RISK_LEVEL: High", "RISK_LEVEL: Medium")
            + "DROP INDEX CONCURRENTLY orders_pkey_idx; -- CI:DESTRUCTIVE_OK ADR-2 replaced\n";
        let with = |protected: Vec<String>| {
            lint_full(
                &text,
                Dialect::Postgres,
                |p| p.protected_indexes = protected,
                true,
            )
            .into_iter()
            .filter(|d| d.rule == "risk-understated")
            .count()
        };
        assert_eq!(with(vec![]), 0, "Medium covers an ordinary index drop");
        assert_eq!(
            with(vec!["orders_pkey_idx".into()]),
            1,
            "a protected index drop is High"
        );
    }
}
