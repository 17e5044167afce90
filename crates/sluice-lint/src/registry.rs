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
    /// The rule, as a type.
    pub rule: RuleId,
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
    /// The dialects it applies to; the engine drops its findings elsewhere.
    pub dialects: Dialects,
}

/// Which dialects a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialects {
    /// Every dialect.
    All,
    /// PostgreSQL only (its lock levels, CONCURRENTLY, NOT VALID).
    Postgres,
}

impl RuleInfo {
    /// Whether the rule applies to `dialect`.
    pub fn applies_to(&self, dialect: sluice_core::config::Dialect) -> bool {
        match self.dialects {
            Dialects::All => true,
            Dialects::Postgres => dialect == sluice_core::config::Dialect::Postgres,
        }
    }
}

use Group::*;
use RiskLevel::*;
use Severity::{Error as E, Warn as W};

/// Generates [`RuleId`] (one variant per rule, in table order),
/// [`RuleId::as_str`] and [`RULES`] from one table: adding a rule is one line
/// here plus its file in `rules/`.
macro_rules! rules {
    ($($variant:ident = $id:literal, $sev:expr, $risk:expr, $group:expr, $imp:literal, $summary:literal, $dialects:ident;)*) => {
        /// A rule's id, as a type: a typo does not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl RuleId {
            /// The stable id (`drop-column`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $id,)*
                }
            }
        }

        /// Every rule sluice knows, in table order (`RULES[id as usize]` is
        /// `id`'s entry).
        pub static RULES: &[RuleInfo] = &[
            $(RuleInfo {
                rule: RuleId::$variant,
                id: $id,
                severity: $sev,
                risk: $risk,
                group: $group,
                implemented: $imp,
                summary: $summary,
                dialects: Dialects::$dialects,
            },)*
        ];
    };
}

rules! {
    FilenameContract = "filename-contract", E, None, Contract, true, "a file in the migrations dir does not match the filename pattern", All;
    DuplicateVersion = "duplicate-version", E, None, Contract, true, "two migrations share a version", All;
    LedgerMissing = "ledger-missing", E, None, Contract, true, "the ledger is absent, or a migration is not in it", All;
    LedgerMismatch = "ledger-mismatch", E, None, Contract, true, "a migration's content differs from its ledger checksum", All;
    LedgerOrphan = "ledger-orphan", E, None, Contract, true, "the ledger lists a migration whose file is gone", All;
    LedgerTampered = "ledger-tampered", E, None, Contract, true, "the ledger's chain or total does not verify against its own entries", All;
    HeaderMissing = "header-missing", E, None, Contract, true, "a required header field is absent", All;
    HeaderInvalid = "header-invalid", E, None, Contract, true, "a header value is not allowed", All;
    RiskUnderstated = "risk-understated", E, None, Contract, true, "declared RISK_LEVEL is lower than the computed risk", All;
    ForwardOnlyUndocumented = "forward-only-undocumented", E, None, Contract, true, "FORWARD_ONLY: Yes without JUSTIFICATION and ROLLBACK_STRATEGY", All;
    IrreversibleUndocumented = "irreversible-undocumented", W, None, Contract, true, "no down section and no ROLLBACK_STRATEGY", All;
    MultipleHeads = "multiple-heads", E, None, Contract, true, "(alembic) the revision graph has more than one head, or a gap", All;
    StartupMigration = "startup-migration", E, None, Contract, true, "a deploy/config file migrates at start-up", All;
    SyntaxError = "syntax-error", E, None, Statement, true, "a statement does not parse in the configured dialect", All;
    DropTable = "drop-table", E, Some(High), Destructive, true, "DROP TABLE", All;
    DropColumn = "drop-column", E, Some(High), Destructive, true, "ALTER TABLE ... DROP COLUMN", All;
    DropSchema = "drop-schema", E, Some(High), Destructive, true, "DROP SCHEMA", All;
    DropDatabase = "drop-database", E, Some(High), Destructive, true, "DROP DATABASE", All;
    Truncate = "truncate", E, Some(High), Destructive, true, "TRUNCATE", All;
    DropConstraint = "drop-constraint", E, Some(Medium), Destructive, true, "DROP CONSTRAINT", All;
    DropIndex = "drop-index", E, Some(Medium), Destructive, true, "DROP INDEX", All;
    DropObject = "drop-object", E, Some(Medium), Destructive, true, "DROP TYPE / SEQUENCE / VIEW / FUNCTION / ...", All;
    DeleteWithoutWhere = "delete-without-where", E, Some(High), Destructive, true, "DELETE or UPDATE with no WHERE on an existing table", All;
    ColumnTypeChange = "column-type-change", E, Some(High), Destructive, true, "ALTER COLUMN ... TYPE", All;
    RlsWeakened = "rls-weakened", E, Some(High), Destructive, true, "row-level security disabled or a policy dropped/altered", All;
    BypassInvalid = "bypass-invalid", E, None, Destructive, true, "a destructive bypass without a valid reference", All;
    RenameTable = "rename-table", E, Some(Medium), Statement, true, "renaming a table", All;
    RenameColumn = "rename-column", E, Some(Medium), Statement, true, "renaming a column", All;
    NonAdditive = "non-additive", E, None, Statement, true, "additive_only and the statement is not purely additive", All;
    IndexNotConcurrent = "index-not-concurrent", W, Some(Medium), Statement, true, "CREATE INDEX without CONCURRENTLY on an existing table", Postgres;
    DropIndexNotConcurrent = "drop-index-not-concurrent", W, Some(Medium), Statement, true, "DROP INDEX without CONCURRENTLY", Postgres;
    ConstraintNotValid = "constraint-not-valid", W, Some(Medium), Statement, true, "ADD FOREIGN KEY or CHECK without NOT VALID", Postgres;
    UniqueConstraintLock = "unique-constraint-lock", W, Some(Medium), Statement, true, "ADD UNIQUE / PRIMARY KEY not built from an existing index", Postgres;
    SetNotNullScan = "set-not-null-scan", W, Some(Medium), Statement, true, "SET NOT NULL on an existing table", All;
    NotNullWithoutDefault = "not-null-without-default", E, Some(Medium), Statement, true, "ADD COLUMN ... NOT NULL without DEFAULT", All;
    VolatileDefaultRewrite = "volatile-default-rewrite", W, Some(Medium), Statement, true, "ADD COLUMN with a volatile DEFAULT", All;
    TableRewrite = "table-rewrite", W, Some(Medium), Statement, true, "VACUUM FULL, CLUSTER, REINDEX, SET TABLESPACE", All;
    ConcurrentlyInTransaction = "concurrently-in-transaction", E, None, Statement, true, "CONCURRENTLY in a transactional migration", All;
    TransactionNesting = "transaction-nesting", E, None, Statement, true, "BEGIN / COMMIT / ROLLBACK inside a wrapped migration", All;
    MissingLockTimeout = "missing-lock-timeout", W, None, Statement, true, "a lock-heavy statement without lock_timeout", Postgres;
    RlsMissing = "rls-missing", E, None, Statement, true, "a new table without row-level security in a required schema", All;
    OutOfScope = "out-of-scope", E, None, Statement, true, "a table outside allowed_tables", All;
    MixedPurpose = "mixed-purpose", W, None, Statement, true, "one migration changes unrelated things", All;
    FkWithoutIndex = "fk-without-index", W, Some(Low), Statement, true, "a foreign key without an index", All;
    IdentifierNaming = "identifier-naming", W, Some(Low), Statement, true, "an identifier that is not snake_case or too long", All;
    SuppressionInvalid = "suppression-invalid", E, None, Statement, true, "a sluice:allow without a known rule or a reason", All;
    SuppressionUnused = "suppression-unused", W, None, Statement, true, "a sluice:allow that suppressed nothing", All;
    ApprovalMissing = "approval-missing", E, None, Gate, true, "fewer valid approvals than required", All;
    ApprovalStale = "approval-stale", E, None, Gate, true, "an approval for another checksum", All;
    ApprovalUnverified = "approval-unverified", E, None, Gate, true, "a signature that does not verify", All;
    DowngradeForbidden = "downgrade-forbidden", E, None, Gate, true, "down where allow_down = true", All;
    DirtyState = "dirty-state", E, None, Gate, true, "the target has a dirty migration", All;
    AppliedModified = "applied-modified", E, None, Gate, true, "an applied migration's file changed", All;
    AppliedMissing = "applied-missing", E, None, Gate, true, "an applied version is not in the directory", All;
    OutOfOrder = "out-of-order", E, None, Gate, true, "a pending migration is older than the newest applied one", All;
    DriftDetected = "drift-detected", E, None, Gate, true, "the live schema differs from the expected one", All;
    MigrationModified = "migration-modified", E, None, Gate, true, "`guard`: a migration on the base is modified, renamed or deleted", All;
    ModelChangeWithoutMigration = "model-change-without-migration", E, None, Gate, true, "`guard`: a [[guard.signals]] pattern matches a changed line but the diff adds no migration", All;
    GuardWaiverInvalid = "guard-waiver-invalid", E, None, Gate, true, "`guard`: a waiver that is malformed, has no reason, has expired or runs too long", All;
    ReplayFailed = "replay-failed", E, None, Gate, true, "a migration fails when `plan` replays it on a scratch database", All;
    ReplayNotIdempotent = "replay-not-idempotent", E, None, Gate, true, "after `plan`'s replay, a second apply is not a no-op or status is not clean", All;
    RollbackMismatch = "rollback-mismatch", E, None, Gate, true, "up → down → up on the scratch database does not return to the same schema", All;
}

/// The registry entry for an id.
pub fn lookup(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

impl RuleId {
    /// Its registry entry.
    pub fn info(self) -> &'static RuleInfo {
        &RULES[self as usize]
    }

    /// The rule with this id.
    pub fn parse(id: &str) -> Option<RuleId> {
        lookup(id).map(|r| r.rule)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    fn rule_ids_index_the_table() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.rule as usize, i, "{}", r.id);
            assert_eq!(r.rule.as_str(), r.id);
            assert_eq!(RuleId::parse(r.id), Some(r.rule));
            assert_eq!(r.rule.info().id, r.id);
        }
    }

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
