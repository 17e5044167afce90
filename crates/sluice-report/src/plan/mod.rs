//! The plan (`sluice plan`) as a typed document, what `--format json`
//! serialises, and its renderers: [`text`] for people and [`markdown`] for a
//! pull request. The engine builds a [`PlanReport`]; a new format is one more
//! function over it.

use serde::Serialize;
use sluice_lint::Diagnostic;

/// Approvals of one pending migration.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalStatus {
    /// How many distinct valid approvers its computed risk needs here.
    pub needed: u32,
    /// Who approved it (valid approvals only).
    pub present: Vec<String>,
    /// Whether the requirement is met.
    pub ok: bool,
}

/// One pending migration.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Path relative to the project.
    pub path: String,
    /// Runs in one transaction.
    pub transactional: bool,
    /// Statements in its up section.
    pub statements: usize,
    /// RISK_LEVEL from the header.
    pub declared_risk: Option<String>,
    /// Risk computed from its statements.
    pub computed_risk: &'static str,
    /// `check` findings on it.
    pub findings: Vec<Diagnostic>,
    /// Approvals needed and present.
    pub approvals: ApprovalStatus,
    /// Where DDL commits itself (MySQL, MariaDB) and the migration changes
    /// rows before a DDL statement: what would stay applied if that
    /// statement failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub if_it_fails: Vec<PartialFailure>,
}

/// What stays applied when one statement of a migration that is not atomic
/// fails.
#[derive(Debug, Clone, Serialize)]
pub struct PartialFailure {
    /// Line of the statement that fails.
    pub line: usize,
    /// Its kind (`ALTER TABLE`).
    pub kind: String,
    /// The statements before it that stay applied, as `line N: KIND`.
    pub remain: Vec<String>,
}

/// What a statement does to a relation it locks, worst first (serialised
/// `rewrite`, `scan`, `lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// A catalog change under the lock.
    Lock,
    /// Reads every row under the lock.
    Scan,
    /// Rewrites the table under the lock.
    Rewrite,
}

/// Where in the replay a migration failed (serialised `applied`, `pending`,
/// `down`, `reapply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Replaying what the target has applied.
    Applied,
    /// Applying a pending migration.
    Pending,
    /// Its down section.
    Down,
    /// Applying it again after down.
    Reapply,
}

macro_rules! display_as_serde {
    ($($t:ty { $($v:ident => $s:literal),* })*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self { $(Self::$v => $s,)* })
            }
        }
    )*};
}

display_as_serde! {
    Work { Lock => "lock", Scan => "scan", Rewrite => "rewrite" }
    Phase { Applied => "applied", Pending => "pending", Down => "down", Reapply => "reapply" }
}

/// A lock seen on the scratch database.
#[derive(Debug, Clone, Serialize)]
pub struct ObservedLock {
    /// `users`, or `app.users` outside `public`.
    pub relation: String,
    /// `table`, `index`, ...
    pub kind: &'static str,
    /// As in `pg_locks.mode`.
    pub mode: String,
    /// Taken (or strengthened) by this statement; false when an earlier
    /// statement of the migration already held it.
    pub acquired: bool,
    /// The relation did not exist before this migration (nobody else can be
    /// waiting on it).
    pub created: bool,
}

/// A lock expected from static analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedLock {
    /// The relation as the statement names it.
    pub relation: String,
    /// As in `pg_locks.mode`.
    pub mode: &'static str,
}

/// Locks of one pending statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementLocks {
    /// Version.
    pub version: String,
    /// 1-based index in the up section.
    pub statement: usize,
    /// Line in the file.
    pub line: usize,
    /// Its first line.
    pub sql: String,
    /// Whether `locks` were observed (Postgres, in a transaction).
    pub observed: bool,
    /// Observed locks.
    pub locks: Vec<ObservedLock>,
    /// Locks static analysis expects.
    pub expected: Vec<ExpectedLock>,
    /// Why locks were not observed, or how long they last.
    pub note: Option<String>,
}

/// What one statement does to a relation.
#[derive(Debug, Clone, Serialize)]
pub struct SizeUse {
    /// Version.
    pub version: String,
    /// Line in the file.
    pub line: usize,
    /// `rewrite`, `scan` or `lock` (a catalog change under the lock).
    pub work: Work,
    /// The lock it takes.
    pub mode: &'static str,
}

/// The target's estimates for a relation pending statements lock.
#[derive(Debug, Clone, Serialize)]
pub struct SizeEstimate {
    /// `users`, or `app.users` outside `public`.
    pub relation: String,
    /// `pg_class.reltuples` (null when never analysed).
    pub rows: Option<i64>,
    /// `pg_total_relation_size`.
    pub bytes: i64,
    /// `bytes`, for people.
    pub size: String,
    /// The statements.
    pub statements: Vec<SizeUse>,
}

/// up → down → up of one migration on the scratch database.
#[derive(Debug, Clone, Serialize)]
pub struct DownCheck {
    /// Version.
    pub version: String,
    /// The down section ran.
    pub down_ran: bool,
    /// After down, the schema equals the schema before up.
    pub restores_previous_schema: bool,
    /// After up again, the schema equals the schema after the first up.
    pub reapply_same_schema: bool,
    /// Differences found (`- expected`, `+ found`), at most 20.
    pub differences: Vec<String>,
}

/// Where the replay stopped.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayFailure {
    /// `applied` (a migration the target has), `pending`, `down` or `reapply`.
    pub phase: Phase,
    /// Version.
    pub version: String,
    /// File.
    pub path: String,
    /// Line of the failing statement.
    pub line: usize,
    /// Its first line.
    pub sql: String,
    /// What the database said.
    pub error: String,
}

/// The scratch replay.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Replay {
    /// Whether it ran.
    pub performed: bool,
    /// Why not.
    pub skipped: Option<String>,
    /// `postgres` or `sqlite`.
    pub backend: Option<&'static str>,
    /// The scratch database (server redacted).
    pub scratch: Option<String>,
    /// Migrations the target has applied, replayed from empty.
    pub replayed_applied: usize,
    /// Pending migrations that applied.
    pub pending_applied: usize,
    /// Every pending migration applied.
    pub applies: Option<bool>,
    /// A second apply found nothing to do.
    pub second_apply_noop: Option<bool>,
    /// Status was clean afterwards.
    pub status_clean: Option<bool>,
    /// up → down → up per migration with a down section.
    pub down_checks: Vec<DownCheck>,
    /// Where it stopped.
    pub failure: Option<ReplayFailure>,
    /// The scratch database was dropped.
    pub dropped: bool,
    /// Wall time.
    pub duration_ms: u128,
    /// What the output cannot show on this backend.
    pub notes: Vec<String>,
}

/// The whole plan.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    /// Migrations applied on the target.
    pub applied: usize,
    /// Pending migrations, oldest first.
    pub pending: Vec<Pending>,
    /// Highest computed risk of the pending migrations.
    pub risk: Option<&'static str>,
    /// Gate findings (history gates and approvals).
    pub gates: Vec<Diagnostic>,
    /// The replay.
    pub replay: Replay,
    /// Locks per pending statement.
    pub locks: Vec<StatementLocks>,
    /// Size estimates on the target.
    pub sizes: Vec<SizeEstimate>,
    /// Rollback guide per pending migration.
    pub rollback: Vec<Rollback>,
    /// Everything that blocks: gates, error findings, replay failures.
    pub blocking: Vec<Diagnostic>,
}

impl PlanReport {
    /// Whether `apply` would run (exit 0) or is blocked (exit 1).
    pub fn blocked(&self) -> bool {
        !self.blocking.is_empty()
    }
}

/// A statement the generated inverse cannot undo.
#[derive(Debug, Clone, Serialize)]
pub struct Irreversible {
    /// Its line in the file.
    pub line: usize,
    /// What it does (`DROP TABLE users`).
    pub statement: String,
    /// Why, and what to do instead.
    pub reason: String,
}

/// Where a migration's rollback comes from (serialised `down-section`,
/// `generated`, `partial`, `irreversible`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackKind {
    /// Its down section.
    DownSection,
    /// Generated from its statements.
    Generated,
    /// Generated, with statements that have no inverse.
    Partial,
    /// None.
    Irreversible,
}

impl std::fmt::Display for RollbackKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RollbackKind::DownSection => "down-section",
            RollbackKind::Generated => "generated",
            RollbackKind::Partial => "partial",
            RollbackKind::Irreversible => "irreversible",
        })
    }
}

/// How to roll back one migration.
#[derive(Debug, Clone, Serialize)]
pub struct Rollback {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Where the rollback comes from.
    pub kind: RollbackKind,
    /// The down section, or the generated inverse.
    pub sql: Option<String>,
    /// Statements with no inverse.
    pub irreversible: Vec<Irreversible>,
    /// The header's ROLLBACK_STRATEGY.
    pub strategy: Option<String>,
    /// The header says FORWARD_ONLY: Yes.
    pub forward_only: bool,
}

mod markdown;
mod text;

pub use markdown::markdown;
pub use text::text;

pub(crate) fn yes(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "not checked",
    }
}

pub(crate) fn lock_summary(l: &StatementLocks) -> String {
    if l.observed {
        if l.locks.is_empty() {
            return "no relation locks".into();
        }
        l.locks
            .iter()
            .map(|x| {
                let mut s = format!("{} on {}", x.mode, x.relation);
                match (x.created, x.acquired) {
                    (true, _) => s.push_str(" (created here)"),
                    (false, false) => s.push_str(" (already held)"),
                    _ => {}
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else if l.expected.is_empty() {
        "not observed".into()
    } else {
        format!(
            "not observed; expected {}",
            l.expected
                .iter()
                .map(|x| format!("{} on {}", x.mode, x.relation))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

pub(crate) fn rows(r: Option<i64>) -> String {
    match r {
        Some(n) => format!("~{n} rows"),
        None => "rows unknown (never analysed)".into(),
    }
}
