//! The evidence pack (`sluice report`) as a typed document: what `--format
//! json` prints (its keys documented in docs/json.md) and what each format's
//! renderer reads ([`crate::markdown::pack`]). A new format (HTML) is one more
//! renderer over [`Pack`]; no renderer reads the database or the config.

use serde::Serialize;
use serde_json::Value;
use sluice_lint::Diagnostic;

/// The evidence pack for a pull request.
#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    /// [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The environment reported on, when one was given.
    pub environment: Option<String>,
    /// Each pending migration.
    pub migrations: Vec<MigrationPack>,
    /// The latest evidence record for this commit, when there is one.
    pub evidence: Option<LatestEvidence>,
}

/// One pending migration.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationPack {
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Its file, relative to the project root.
    pub path: String,
    /// `TITLE`.
    pub title: Option<String>,
    /// `CHANGE_TYPE`.
    pub change_type: Option<String>,
    /// `RISK_LEVEL` as declared.
    pub declared_risk: Option<String>,
    /// The risk sluice computes.
    pub computed_risk: String,
    /// Hex checksum.
    pub checksum: String,
    /// Whether the up section runs in one transaction.
    pub transactional: bool,
    /// How it is applied.
    pub upgrade: Upgrade,
    /// How it is undone.
    pub rollback: Rollback,
    /// Queries that confirm it took effect.
    pub verification: Vec<String>,
    /// Approvals needed and present.
    pub approvals: Approvals,
    /// Its findings.
    pub findings: Vec<Diagnostic>,
    /// The tables it touches, before and after (the schema change).
    pub schema_change: Vec<TableChange>,
}

/// The upgrade path.
#[derive(Debug, Clone, Serialize)]
pub struct Upgrade {
    /// The command that applies it.
    pub command: String,
    /// Its SQL, header lines left out; for a migration another program runs,
    /// its own text.
    pub sql: String,
    /// The language of `sql` (`sql`, `python`, `javascript`, …).
    pub language: String,
    /// The program that runs it, when it is not sluice (`alembic -c
    /// alembic.ini upgrade 0002`, `node db/migrate.mjs up …`).
    pub runner: Option<String>,
    /// The program's command that reverses it (`alembic -c alembic.ini
    /// downgrade 0001`), when it is not sluice and there is one.
    pub runner_down: Option<String>,
    /// In a revision graph, the revisions it follows (`base` for a root).
    pub previous: Option<String>,
    /// One entry per statement.
    pub changes: Vec<Change>,
}

/// One statement of the upgrade.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Its 1-based line.
    pub line: usize,
    /// What it does (`CREATE TABLE users`).
    pub statement: String,
    /// The locks it takes.
    pub locks: Vec<Lock>,
    /// Whether it is purely additive.
    pub additive: bool,
}

/// A lock a statement takes.
#[derive(Debug, Clone, Serialize)]
pub struct Lock {
    /// The relation.
    pub relation: String,
    /// The lock mode (`ShareLock`).
    pub mode: String,
    /// The target's row estimate of the relation (with an environment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<i64>,
    /// Its size on the target, for people (`1.2 GB`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

/// A table the migration touches, before and after it, as the history
/// model knows them (the columns in order; None: it does not exist).
#[derive(Debug, Clone, Serialize)]
pub struct TableChange {
    /// The table.
    pub table: String,
    /// Its columns before the migration.
    pub before: Option<Vec<String>>,
    /// Its columns after it.
    pub after: Option<Vec<String>>,
}

/// The rollback path.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Rollback {
    /// `sluice down` runs the down section.
    DownSection {
        /// Its SQL.
        sql: String,
    },
    /// No down section: the header's strategy.
    Irreversible {
        /// `ROLLBACK_STRATEGY`, or what to do without one.
        strategy: String,
    },
}

/// Approvals.
#[derive(Debug, Clone, Serialize)]
pub struct Approvals {
    /// How many the environment requires at the computed risk (unknown
    /// without an environment).
    pub needed: Option<u32>,
    /// The approvals that count, as recorded in history and audit rows.
    pub present: Value,
}

/// The latest evidence record.
#[derive(Debug, Clone, Serialize)]
pub struct LatestEvidence {
    /// The evidence file, relative to the project root.
    pub file: String,
    /// Its last run, as written (a record may come from another version of
    /// sluice, so it is kept whole).
    pub last_run: Option<Value>,
}

impl LatestEvidence {
    /// A string field of the last run (empty when absent).
    pub fn run_field(&self, key: &str) -> &str {
        self.last_run
            .as_ref()
            .and_then(|r| r.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}
