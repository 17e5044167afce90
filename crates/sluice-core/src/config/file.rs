//! The file schema of `sluice.toml`: one struct per section, as written
//! (strings and options; every key documented in docs/configuration.md).
//! Resolution (interpolation, defaults, environments) is in the parent module.

use super::*;

/// `[migrations]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationsSection {
    /// The migrations directory, relative to the project root.
    pub dir: String,
    /// The directory layout.
    pub layout: Layout,
    /// The filename contract (default per layout: [`DEFAULT_FILENAME`], or
    /// [`DEFAULT_ALEMBIC_FILENAME`]).
    pub filename: Option<String>,
    /// `postgres`, `sqlite` or `mysql`.
    pub dialect: Dialect,
    /// The ledger file; default `<dir>/checksums.json`.
    pub ledger: Option<String>,
    /// Allow pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
    /// The approvals file (default `db/approvals.toml`).
    pub approvals: Option<String>,
    /// The command that applies one migration another program runs
    /// (`node db/migrate.mjs up {path}`); `{path}`, `{version}`, `{name}`.
    pub run: Option<String>,
    /// The command that reverses one (same placeholders).
    pub run_down: Option<String>,
    /// The variable the runner reads the database URL from (default
    /// `DATABASE_URL`).
    pub url_env: Option<String>,
    /// The Alembic configuration file, relative to the project root (default
    /// `alembic.ini`): `{ini}` in the alembic layout's default commands.
    pub alembic_ini: Option<String>,
    /// How the ledger is written: `chain` (sluice's) or `map` (a JSON object
    /// of file name to SHA-256 hex).
    pub ledger_format: crate::ledger::LedgerFormat,
}

impl Default for MigrationsSection {
    fn default() -> Self {
        MigrationsSection {
            dir: "db/migrations".into(),
            layout: Layout::Sluice,
            filename: None,
            dialect: Dialect::Postgres,
            ledger: None,
            allow_out_of_order: false,
            approvals: None,
            run: None,
            run_down: None,
            url_env: None,
            alembic_ini: None,
            ledger_format: Default::default(),
        }
    }
}

/// `[policy]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySection {
    /// Header fields every migration must have.
    pub require_header: Vec<String>,
    /// Every statement must be purely additive.
    pub additive_only: bool,
    /// Pattern a destructive-bypass reference must match.
    pub bypass_reference: String,
    /// Scope freeze: the only tables migrations may touch (empty = no freeze).
    pub allowed_tables: Vec<String>,
    /// Schemas where new tables must enable row-level security.
    pub require_rls_in_schemas: Vec<String>,
    /// Indexes whose drop is High risk.
    pub protected_indexes: Vec<String>,
    /// What `MIGRATION_ID` in a header must be: `revision` (the migration's
    /// own version or revision id, the default), `any` (the team's own id),
    /// or a regular expression it must match.
    pub migration_id: String,
    /// The header field a High-risk migration must carry as its documented
    /// rationale before an environment that needs approvals for High runs
    /// it (default `JUSTIFICATION`; empty: none).
    pub high_risk_rationale: String,
    /// The header field that states a migration's data strategy, required
    /// when a statement would lose data of a table that has rows on the
    /// target (`data-loss-unplanned`; default `DATA_STRATEGY`; empty: the
    /// gate is off).
    pub data_loss_strategy: String,
}

/// The header fields required by default.
pub const DEFAULT_REQUIRED_HEADER: &[&str] = &[
    "MIGRATION_ID",
    "TITLE",
    "CHANGE_TYPE",
    "RISK_LEVEL",
    "FORWARD_ONLY",
    "ROLLBACK_STRATEGY",
];

impl Default for PolicySection {
    fn default() -> Self {
        PolicySection {
            require_header: DEFAULT_REQUIRED_HEADER
                .iter()
                .map(|s| s.to_string())
                .collect(),
            additive_only: false,
            bypass_reference: r"(ADR-\d+|[A-Z]+-\d+)".into(),
            allowed_tables: vec![],
            require_rls_in_schemas: vec![],
            protected_indexes: vec![],
            migration_id: "revision".into(),
            high_risk_rationale: "JUSTIFICATION".into(),
            data_loss_strategy: "DATA_STRATEGY".into(),
        }
    }
}

/// `[domains.<name>]` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DomainSection {
    /// The header flag (`TOUCHES_PRIVACY`): `Yes` when a migration touches
    /// the domain.
    pub header: String,
    /// Its tables, or `table.column`.
    pub objects: Vec<String>,
    /// A pattern a header field must match when the flag is Yes (the
    /// domain's document).
    pub reference: Option<String>,
    /// Extra approvals by role (`{ privacy-officer = 1 }`) that a migration
    /// declaring the domain needs in every environment that requires
    /// approvals, on top of its risk's.
    pub approvals: BTreeMap<String, u32>,
}

/// What one risk level needs: a number of distinct approvers (any role, or
/// anyone in `approvers`), or, per role, how many of its people.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Requirement {
    /// That many distinct approvers.
    Count(u32),
    /// Role → how many distinct people of that role.
    Roles(BTreeMap<String, u32>),
}

impl Default for Requirement {
    fn default() -> Self {
        Requirement::Count(0)
    }
}

impl From<u32> for Requirement {
    fn from(n: u32) -> Self {
        Requirement::Count(n)
    }
}

impl Requirement {
    /// How many approvals it takes in all.
    pub fn total(&self) -> u32 {
        match self {
            Requirement::Count(n) => *n,
            Requirement::Roles(r) => r.values().sum(),
        }
    }

    /// The roles it names.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        let names: Vec<&str> = match self {
            Requirement::Count(_) => vec![],
            Requirement::Roles(r) => r.keys().map(String::as_str).collect(),
        };
        names.into_iter()
    }
}

/// Approvals needed per risk level.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalCounts {
    /// For Low risk.
    pub low: Requirement,
    /// For Medium risk.
    pub medium: Requirement,
    /// For High risk.
    pub high: Requirement,
}

impl ApprovalCounts {
    /// Whether nothing needs an approval.
    pub fn none(&self) -> bool {
        self.low.total() == 0 && self.medium.total() == 0 && self.high.total() == 0
    }

    /// The requirement for a risk level.
    pub fn for_risk(&self, risk: crate::header::RiskLevel) -> &Requirement {
        match risk {
            crate::header::RiskLevel::Low => &self.low,
            crate::header::RiskLevel::Medium => &self.medium,
            crate::header::RiskLevel::High => &self.high,
        }
    }

    /// Every role any level names.
    pub fn roles(&self) -> Vec<&str> {
        let mut r: Vec<&str> = self
            .low
            .roles()
            .chain(self.medium.roles())
            .chain(self.high.roles())
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    }
}

/// `[environments.NAME]` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EnvironmentSection {
    /// Database URL (interpolated).
    pub url: Option<String>,
    /// Whether `down` may run here.
    pub allow_down: Option<bool>,
    /// Whether `sluice reset` may drop everything here and apply every
    /// migration again (early-stage projects; never production-like).
    pub allow_reset: bool,
    /// Approvals needed per risk.
    pub approvals: Option<ApprovalCounts>,
    /// Who may approve.
    pub approvers: Vec<String>,
    /// A pattern every approval's `--ref` must match (a ticket id such as
    /// `OPS-\d+`); unset: any reference.
    pub approval_reference: Option<String>,
    /// OpenSSH allowed_signers file for signed approvals.
    pub allowed_signers: Option<String>,
    /// `lock_timeout` set on the migration session.
    pub lock_timeout: Option<String>,
    /// `statement_timeout` set on the migration session.
    pub statement_timeout: Option<String>,
    /// Bounded wait for the migration lock.
    pub lock_wait: Option<String>,
    /// Retries of a statement that hit `lock_timeout`.
    pub lock_retries: Option<u32>,
    /// Bound on the total time a transactional migration spends acquiring its
    /// locks, from its first lock request (default: `lock_timeout`), so no
    /// session waits behind a lock it holds while it waits for another.
    pub lock_timeout_total: Option<String>,
    /// Server for scratch databases (plan, verify).
    pub scratch_url: Option<String>,
    /// Treat as production-like even if the name does not say so.
    pub production: Option<bool>,
    /// Session variables set on the migration session (`sql_mode` on MySQL,
    /// `search_path` on Postgres): name → string, number or boolean.
    #[schemars(with = "std::collections::BTreeMap<String, serde_json::Value>")]
    pub session: std::collections::BTreeMap<String, toml::Value>,
}

/// One `[[guard.signals]]` entry.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GuardSignal {
    /// Path globs.
    pub paths: Vec<String>,
    /// Regex matched against changed lines.
    pub pattern: String,
}

/// `[guard]`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GuardSection {
    /// Waiver file.
    pub exceptions: String,
    /// Longest allowed waiver.
    pub max_exception_days: u32,
    /// Schema-affecting code.
    pub signals: Vec<GuardSignal>,
}

impl Default for GuardSection {
    fn default() -> Self {
        GuardSection {
            exceptions: ".sluice/guard-exceptions.txt".into(),
            max_exception_days: 30,
            signals: vec![],
        }
    }
}

/// `[startup]`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StartupSection {
    /// Files that must never migrate at start-up (globs; empty = defaults).
    pub paths: Vec<String>,
    /// Patterns that mean "migrates at start-up" (empty = defaults).
    pub patterns: Vec<String>,
}

/// `[evidence]` (an extension of DESIGN.md: where evidence records go).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceSection {
    /// Directory under the project root; records go to `<dir>/<sha>/migration.json`.
    pub dir: String,
    /// Set to false to write no evidence.
    pub enabled: bool,
    /// Where records go, as a template relative to the project root:
    /// `{sha}` (git HEAD, or `nogit`), `{env}` (the environment), `{date}`
    /// (UTC, `YYYY-MM-DD`), `{work_order}` (`--work-order`, or
    /// `SLUICE_WORK_ORDER`). Default: `<dir>/{sha}/migration.json`.
    pub path: Option<String>,
}

impl Default for EvidenceSection {
    fn default() -> Self {
        EvidenceSection {
            path: None,
            dir: ".artifacts/deploy".into(),
            enabled: true,
        }
    }
}

/// `[history]` (an extension of DESIGN.md: where sluice's tables live).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HistorySection {
    /// Postgres schema for `sluice_history` and `sluice_audit`.
    pub schema: String,
}

impl Default for HistorySection {
    fn default() -> Self {
        HistorySection {
            schema: "public".into(),
        }
    }
}

/// `[schema]` (an extension of DESIGN.md: what `verify`, `snapshot`, `diff`
/// and `adopt` read, and where their files live).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaSection {
    /// Only these database schemas (empty: every non-system schema).
    pub include: Vec<String>,
    /// Never these database schemas.
    pub exclude: Vec<String>,
    /// Where `snapshot` writes the canonical schema.
    pub snapshot: String,
    /// The emergency changes register `adopt` appends to.
    pub exceptions: String,
}

impl Default for SchemaSection {
    fn default() -> Self {
        SchemaSection {
            include: vec![],
            exclude: vec![],
            snapshot: "db/schema/snapshot.json".into(),
            exceptions: "db/schema/EXCEPTIONS.md".into(),
        }
    }
}

/// `sluice.toml` as written.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// `[migrations]`.
    pub migrations: MigrationsSection,
    /// `[policy]`.
    pub policy: PolicySection,
    /// `[rules]`: rule id → `error` | `warn` | `off`.
    pub rules: BTreeMap<String, String>,
    /// `[domains.<name>]`: data domains (privacy, billing) and the header
    /// flag that declares a migration touches one.
    pub domains: BTreeMap<String, DomainSection>,
    /// `[risk]`: rule id → `low` | `medium` | `high`, the risk a rule's
    /// findings carry for this team.
    /// `large_table_rows = N` (a number) lifts the risk of a migration
    /// that locks a table of at least N rows one level.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub risk: BTreeMap<String, toml::Value>,
    /// `[roles]`: role → the people in it (names as given to `approve
    /// --by`, which are also the principals of `allowed_signers`).
    pub roles: BTreeMap<String, Vec<String>>,
    /// `[environments.NAME]`.
    pub environments: BTreeMap<String, EnvironmentSection>,
    /// `[guard]`.
    pub guard: GuardSection,
    /// `[startup]`.
    pub startup: StartupSection,
    /// `[evidence]`.
    pub evidence: EvidenceSection,
    /// `[history]`.
    pub history: HistorySection,
    /// `[schema]`.
    pub schema: SchemaSection,
}
