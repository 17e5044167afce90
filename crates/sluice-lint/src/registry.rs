//! The rule registry: every rule id, in one table.
//!
//! Ids are stable and never reused. `implemented` says whether this version of
//! sluice can raise the rule; the others are registered so configuration and
//! suppressions can name them (and are validated against the table) before their
//! checks land.

use crate::diagnostic::Severity;
use sluice_core::header::RiskLevel;
use std::collections::BTreeMap;

/// Which part of the pipeline raises a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Directory and file contract (no SQL needed).
    Contract,
    /// Statement analysis.
    Statement,
    /// Destructive statements (need a bypass).
    Destructive,
    /// Gates checked at apply time.
    Gate,
}

/// One registered rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Risk a matching statement carries, when the rule has one.
    pub risk: Option<RiskLevel>,
    /// Group.
    pub group: Group,
    /// Whether this version raises it.
    pub implemented: bool,
    /// One line: when it fires.
    pub summary: &'static str,
}

use Group::*;
use RiskLevel::*;
use Severity::{Error as E, Warn as W};

macro_rules! rule {
    ($id:literal, $sev:expr, $risk:expr, $group:expr, $imp:literal, $summary:literal) => {
        RuleInfo {
            id: $id,
            severity: $sev,
            risk: $risk,
            group: $group,
            implemented: $imp,
            summary: $summary,
        }
    };
}

/// Every rule sluice knows.
pub static RULES: &[RuleInfo] = &[
    rule!(
        "filename-contract",
        E,
        None,
        Contract,
        true,
        "a file in the migrations dir does not match the filename pattern"
    ),
    rule!(
        "duplicate-version",
        E,
        None,
        Contract,
        true,
        "two migrations share a version"
    ),
    rule!(
        "ledger-missing",
        E,
        None,
        Contract,
        true,
        "the ledger is absent, or a migration is not in it"
    ),
    rule!(
        "ledger-mismatch",
        E,
        None,
        Contract,
        true,
        "a migration's content differs from its ledger checksum"
    ),
    rule!(
        "ledger-orphan",
        E,
        None,
        Contract,
        true,
        "the ledger lists a migration whose file is gone"
    ),
    rule!(
        "ledger-tampered",
        E,
        None,
        Contract,
        true,
        "the ledger's chain or total does not verify against its own entries"
    ),
    rule!(
        "header-missing",
        E,
        None,
        Contract,
        true,
        "a required header field is absent"
    ),
    rule!(
        "header-invalid",
        E,
        None,
        Contract,
        true,
        "a header value is not allowed"
    ),
    rule!(
        "risk-understated",
        E,
        None,
        Contract,
        true,
        "declared RISK_LEVEL is lower than the computed risk"
    ),
    rule!(
        "forward-only-undocumented",
        E,
        None,
        Contract,
        true,
        "FORWARD_ONLY: Yes without JUSTIFICATION and ROLLBACK_STRATEGY"
    ),
    rule!(
        "irreversible-undocumented",
        W,
        None,
        Contract,
        true,
        "no down section and no ROLLBACK_STRATEGY"
    ),
    rule!(
        "multiple-heads",
        E,
        None,
        Contract,
        true,
        "(alembic) the revision graph has more than one head, or a gap"
    ),
    rule!(
        "startup-migration",
        E,
        None,
        Contract,
        true,
        "a deploy/config file migrates at start-up"
    ),
    rule!(
        "syntax-error",
        E,
        None,
        Statement,
        true,
        "a statement does not parse in the configured dialect"
    ),
    rule!("drop-table", E, Some(High), Destructive, true, "DROP TABLE"),
    rule!(
        "drop-column",
        E,
        Some(High),
        Destructive,
        true,
        "ALTER TABLE ... DROP COLUMN"
    ),
    rule!(
        "drop-schema",
        E,
        Some(High),
        Destructive,
        true,
        "DROP SCHEMA"
    ),
    rule!(
        "drop-database",
        E,
        Some(High),
        Destructive,
        true,
        "DROP DATABASE"
    ),
    rule!("truncate", E, Some(High), Destructive, true, "TRUNCATE"),
    rule!(
        "drop-constraint",
        E,
        Some(Medium),
        Destructive,
        true,
        "DROP CONSTRAINT"
    ),
    rule!(
        "drop-index",
        E,
        Some(Medium),
        Destructive,
        true,
        "DROP INDEX"
    ),
    rule!(
        "drop-object",
        E,
        Some(Medium),
        Destructive,
        true,
        "DROP TYPE / SEQUENCE / VIEW / FUNCTION / ..."
    ),
    rule!(
        "delete-without-where",
        E,
        Some(High),
        Destructive,
        true,
        "DELETE or UPDATE with no WHERE on an existing table"
    ),
    rule!(
        "column-type-change",
        E,
        Some(High),
        Destructive,
        true,
        "ALTER COLUMN ... TYPE"
    ),
    rule!(
        "rls-weakened",
        E,
        Some(High),
        Destructive,
        true,
        "row-level security disabled or a policy dropped/altered"
    ),
    rule!(
        "bypass-invalid",
        E,
        None,
        Destructive,
        true,
        "a destructive bypass without a valid reference"
    ),
    rule!(
        "rename-table",
        E,
        Some(Medium),
        Statement,
        true,
        "renaming a table"
    ),
    rule!(
        "rename-column",
        E,
        Some(Medium),
        Statement,
        true,
        "renaming a column"
    ),
    rule!(
        "non-additive",
        E,
        None,
        Statement,
        true,
        "additive_only and the statement is not purely additive"
    ),
    rule!(
        "index-not-concurrent",
        W,
        Some(Medium),
        Statement,
        true,
        "CREATE INDEX without CONCURRENTLY on an existing table"
    ),
    rule!(
        "drop-index-not-concurrent",
        W,
        Some(Medium),
        Statement,
        true,
        "DROP INDEX without CONCURRENTLY"
    ),
    rule!(
        "constraint-not-valid",
        W,
        Some(Medium),
        Statement,
        true,
        "ADD FOREIGN KEY or CHECK without NOT VALID"
    ),
    rule!(
        "unique-constraint-lock",
        W,
        Some(Medium),
        Statement,
        true,
        "ADD UNIQUE / PRIMARY KEY not built from an existing index"
    ),
    rule!(
        "set-not-null-scan",
        W,
        Some(Medium),
        Statement,
        true,
        "SET NOT NULL on an existing table"
    ),
    rule!(
        "not-null-without-default",
        E,
        Some(Medium),
        Statement,
        true,
        "ADD COLUMN ... NOT NULL without DEFAULT"
    ),
    rule!(
        "volatile-default-rewrite",
        W,
        Some(Medium),
        Statement,
        true,
        "ADD COLUMN with a volatile DEFAULT"
    ),
    rule!(
        "table-rewrite",
        W,
        Some(Medium),
        Statement,
        true,
        "VACUUM FULL, CLUSTER, REINDEX, SET TABLESPACE"
    ),
    rule!(
        "concurrently-in-transaction",
        E,
        None,
        Statement,
        true,
        "CONCURRENTLY in a transactional migration"
    ),
    rule!(
        "transaction-nesting",
        E,
        None,
        Statement,
        true,
        "BEGIN / COMMIT / ROLLBACK inside a wrapped migration"
    ),
    rule!(
        "missing-lock-timeout",
        W,
        None,
        Statement,
        true,
        "a lock-heavy statement without lock_timeout"
    ),
    rule!(
        "rls-missing",
        E,
        None,
        Statement,
        true,
        "a new table without row-level security in a required schema"
    ),
    rule!(
        "out-of-scope",
        E,
        None,
        Statement,
        true,
        "a table outside allowed_tables"
    ),
    rule!(
        "mixed-purpose",
        W,
        None,
        Statement,
        true,
        "one migration changes unrelated things"
    ),
    rule!(
        "fk-without-index",
        W,
        Some(Low),
        Statement,
        true,
        "a foreign key without an index"
    ),
    rule!(
        "identifier-naming",
        W,
        Some(Low),
        Statement,
        true,
        "an identifier that is not snake_case or too long"
    ),
    rule!(
        "suppression-invalid",
        E,
        None,
        Statement,
        true,
        "a sluice:allow without a known rule or a reason"
    ),
    rule!(
        "suppression-unused",
        W,
        None,
        Statement,
        true,
        "a sluice:allow that suppressed nothing"
    ),
    rule!(
        "approval-missing",
        E,
        None,
        Gate,
        true,
        "fewer valid approvals than required"
    ),
    rule!(
        "approval-stale",
        E,
        None,
        Gate,
        true,
        "an approval for another checksum"
    ),
    rule!(
        "approval-unverified",
        E,
        None,
        Gate,
        true,
        "a signature that does not verify"
    ),
    rule!(
        "downgrade-forbidden",
        E,
        None,
        Gate,
        true,
        "down where allow_down = true"
    ),
    rule!(
        "dirty-state",
        E,
        None,
        Gate,
        true,
        "the target has a dirty migration"
    ),
    rule!(
        "applied-modified",
        E,
        None,
        Gate,
        true,
        "an applied migration's file changed"
    ),
    rule!(
        "applied-missing",
        E,
        None,
        Gate,
        true,
        "an applied version is not in the directory"
    ),
    rule!(
        "out-of-order",
        E,
        None,
        Gate,
        true,
        "a pending migration is older than the newest applied one"
    ),
    rule!(
        "drift-detected",
        E,
        None,
        Gate,
        true,
        "the live schema differs from the expected one"
    ),
    rule!(
        "migration-modified",
        E,
        None,
        Gate,
        true,
        "`guard`: a migration on the base is modified, renamed or deleted"
    ),
    rule!(
        "model-change-without-migration",
        E,
        None,
        Gate,
        true,
        "`guard`: a [[guard.signals]] pattern matches a changed line but the diff adds no migration"
    ),
    rule!(
        "guard-waiver-invalid",
        E,
        None,
        Gate,
        true,
        "`guard`: a waiver that is malformed, has no reason, has expired or runs too long"
    ),
    rule!(
        "replay-failed",
        E,
        None,
        Gate,
        true,
        "a migration fails when `plan` replays it on a scratch database"
    ),
    rule!(
        "replay-not-idempotent",
        E,
        None,
        Gate,
        true,
        "after `plan`'s replay, a second apply is not a no-op or status is not clean"
    ),
    rule!(
        "rollback-mismatch",
        E,
        None,
        Gate,
        true,
        "up → down → up on the scratch database does not return to the same schema"
    ),
];

/// The registry entry for an id.
pub fn lookup(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// A severity override from `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Force error.
    Error,
    /// Force warning.
    Warn,
    /// Do not report.
    Off,
}

/// Validates `[rules]`: every key must be a registered id and every value
/// `error`, `warn` or `off`. The error names the key and suggests the closest id.
pub fn parse_overrides(
    raw: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, Level>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let Some(info) = lookup(k) else {
            let hint = closest(k)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            return Err(format!("[rules] names an unknown rule id `{k}`{hint}"));
        };
        let level = match v.as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "off" => Level::Off,
            other => {
                return Err(format!(
                    "[rules] {k} = {other:?}: the value must be \"error\", \"warn\" or \"off\""
                ))
            }
        };
        out.insert(info.id, level);
    }
    Ok(out)
}

/// Applies overrides: changes severities and drops `off` rules.
pub fn apply_overrides(
    diags: Vec<crate::Diagnostic>,
    overrides: &BTreeMap<&'static str, Level>,
) -> Vec<crate::Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            match overrides.get(d.rule) {
                Some(Level::Off) => return None,
                Some(Level::Error) => d.severity = Severity::Error,
                Some(Level::Warn) => d.severity = Severity::Warn,
                None => {}
            }
            Some(d)
        })
        .collect()
}

fn closest(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (edit_distance(id, r.id), r.id))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(
                r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn overrides_are_validated() {
        let mut raw = BTreeMap::new();
        raw.insert("mixd-purpose".to_string(), "warn".to_string());
        let e = parse_overrides(&raw).unwrap_err();
        assert!(
            e.contains("mixd-purpose") && e.contains("mixed-purpose"),
            "{e}"
        );
        raw.clear();
        raw.insert("header-missing".to_string(), "loud".to_string());
        assert!(parse_overrides(&raw).is_err());
        raw.insert("header-missing".to_string(), "off".to_string());
        assert_eq!(parse_overrides(&raw).unwrap()["header-missing"], Level::Off);
    }
}
