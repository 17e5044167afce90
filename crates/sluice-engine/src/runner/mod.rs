//! The run loop for `apply` and `down`, written once over the driver traits.
//!
//! A transactional step sends its statements, its history row and its audit row
//! in one transaction: either all of it commits or none of it does, so a crash or
//! a kill at any point leaves nothing half-recorded. A `-- sluice:no-transaction`
//! step first records itself `dirty` (in progress), runs its statements one by
//! one recording progress after each, and only then records the final state; a
//! failure or a kill leaves it `dirty` at the statement that did not complete,
//! and every later run refuses until `sluice resolve`. The first failure stops
//! the run (fail closed) and is recorded; nothing after it runs.
//!
//! - `refusal`: what the loop refuses to send (transaction control inside a
//!   transactional migration, [`transaction_control`]);
//! - `transactional`: one transaction per step (batched, or statement by
//!   statement with an [`Observer`]);
//! - `statements`: `sluice:no-transaction` steps, with progress and dirty
//!   state;
//! - `locks`: lock timeouts, up-front locking, blockers and backoff.

pub mod external;
mod locks;
mod refusal;
mod statements;
mod transactional;

pub use refusal::transaction_control;

use crate::record::{MigrationRecord, RecordDirection, RecordResult};
use anyhow::{anyhow, Result};
use sluice_core::{Environment, Migration};
use sluice_db::HistoryStore as _;
use sluice_db::{AuditEvent, HistoryRow, LockGuard, Status};
use sluice_sql::Statement;
use std::time::Instant;

/// Which way a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The up section.
    Up,
    /// The down section.
    Down,
}

/// A migration section ready to run: already split, so malformed SQL is found
/// before anything touches the database.
pub struct Step<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// Which section.
    pub direction: Direction,
    /// Its statements (ranges into `migration.text`).
    pub statements: Vec<Statement>,
    /// Whether it runs statement by statement outside a transaction.
    pub no_transaction: bool,
    /// The approvals that let it run (JSON array), recorded in history and audit.
    pub approvals: serde_json::Value,
    /// The SQL dialect it is written in.
    pub dialect: sluice_core::config::Dialect,
    /// Another program runs it: the command (no statements then).
    pub command: Option<external::Command>,
}

impl Step<'_> {
    /// The statements' SQL.
    pub fn texts(&self) -> Vec<&str> {
        self.statements
            .iter()
            .map(|s| s.text(self.migration.text()))
            .collect()
    }
}

/// Splits the sections to run. An unterminated quote or comment is an error that
/// names the file, line and column, before any database work.
pub fn prepare<'a>(
    migrations: &[&'a Migration],
    direction: Direction,
    dialect: sluice_core::config::Dialect,
) -> Result<Vec<Step<'a>>> {
    prepare_with(migrations, direction, dialect, None)
}

/// [`prepare`], with the project's runner for migrations whose body another
/// program runs (`[migrations] run`): each becomes one command.
pub fn prepare_with<'a>(
    migrations: &[&'a Migration],
    direction: Direction,
    dialect: sluice_core::config::Dialect,
    runner: Option<&external::Runner>,
) -> Result<Vec<Step<'a>>> {
    migrations
        .iter()
        .map(|m| {
            if let (Some(r), true) = (runner, m.body != sluice_core::layout::BodyKind::Sql) {
                return Ok(Step {
                    migration: m,
                    direction,
                    statements: vec![],
                    no_transaction: true,
                    approvals: serde_json::json!([]),
                    dialect,
                    command: Some(r.command_for(m, direction)?),
                });
            }
            let section = match direction {
                Direction::Up => &m.up,
                Direction::Down => m.down.as_ref().expect("callers check for a down section"),
            };
            if m.body != sluice_core::layout::BodyKind::Sql {
                anyhow::bail!(
                    "{}: its body is not SQL ({:?}): the program its layout names runs it, not sluice (nothing was run)",
                    m.display_path,
                    m.body
                );
            }
            let text = m.load_text()?;
            let statements = sluice_sql::split_section(text, section.range.clone(), dialect)
                .map_err(|e| {
                    let (path, line, _) = m.locate(e.line, None);
                    anyhow!(
                        "{path}:{line}:{}: {}; fix the file and run the command again (nothing was run)",
                        e.column,
                        e.message
                    )
                })?;
            // A tool that sends a lone statement alone (golang-migrate): so
            // does sluice.
            let no_transaction =
                section.no_transaction || (section.alone_if_single && statements.len() == 1);
            Ok(Step {
                migration: m,
                direction,
                statements,
                no_transaction,
                approvals: serde_json::json!([]),
                dialect,
                command: None,
            })
        })
        .collect()
}

/// Who and what a run is, for the rows it writes.
pub struct RunInfo<'a> {
    /// The environment.
    pub env: &'a Environment,
    /// The run id.
    pub run_id: String,
    /// Who.
    pub actor: String,
}

impl RunInfo<'_> {
    /// An audit event for this run.
    pub fn audit(
        &self,
        event: sluice_db::AuditKind,
        m: Option<&Migration>,
        outcome: sluice_db::AuditOutcome,
        reason: Option<String>,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            at: String::new(),
            event: event.as_str().into(),
            version: m.map(|m| m.version.to_string()),
            checksum: m.map(|m| m.checksum.to_hex()),
            environment: self.env.name.clone(),
            actor: self.actor.clone(),
            run_id: self.run_id.clone(),
            outcome: outcome.as_str().into(),
            reason: reason.map(|r| crate::secrets::scrub(&r)),
            details: details.to_string(),
            tool_version: sluice_core::TOOL_VERSION.into(),
        }
    }

    /// The history row this run writes for `step`.
    pub fn row(
        &self,
        step: &Step<'_>,
        status: Status,
        applied: usize,
        error: Option<String>,
    ) -> HistoryRow {
        let m = step.migration;
        HistoryRow {
            version: m.version.to_string(),
            name: m.name.clone(),
            checksum: m.checksum.to_hex(),
            status,
            applied_at: sluice_core::clock::now_rfc3339(),
            applied_by: self.actor.clone(),
            environment: self.env.name.clone(),
            approvals: step.approvals.to_string(),
            statements_total: step.statements.len() as i64,
            statements_applied: applied as i64,
            execution_ms: None,
            tool_version: sluice_core::TOOL_VERSION.into(),
            run_id: self.run_id.clone(),
            error: error.map(|e| crate::secrets::scrub(&e)),
        }
    }
}

/// Why a run stopped.
pub struct Stop {
    /// The record of the failing step.
    pub record: MigrationRecord,
    /// The operator-facing explanation.
    pub message: String,
    /// The failing statement (0-based) and its line in the file, when known.
    pub at: Option<(usize, usize)>,
}

/// Runs steps in order; stops at the first failure.
pub fn run(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    steps: &[Step<'_>],
    on_done: &mut dyn FnMut(&MigrationRecord),
) -> (Vec<MigrationRecord>, Option<Stop>) {
    let mut done = Vec::new();
    for step in steps {
        match run_step(db, info, step) {
            Ok(rec) => {
                on_done(&rec);
                done.push(rec);
            }
            Err(stop) => return (done, Some(*stop)),
        }
    }
    (done, None)
}

pub(super) fn record(
    step: &Step<'_>,
    result: RecordResult,
    applied: usize,
    start: Instant,
    error: Option<String>,
) -> MigrationRecord {
    MigrationRecord {
        version: step.migration.version.to_string(),
        name: step.migration.name.clone(),
        checksum: step.migration.checksum.to_hex(),
        direction: match step.direction {
            Direction::Up => RecordDirection::Up,
            Direction::Down => RecordDirection::Down,
        },
        transactional: !step.no_transaction,
        result,
        statements_total: step.statements.len(),
        statements_applied: applied,
        duration_ms: start.elapsed().as_millis(),
        error: error.map(|e| crate::secrets::scrub(&e)),
    }
}

/// The record of a step whose every statement ran: applied (up) or reverted
/// (down).
pub(super) fn completed(step: &Step<'_>, n: usize, start: Instant) -> MigrationRecord {
    let result = match step.direction {
        Direction::Up => RecordResult::Applied,
        Direction::Down => RecordResult::Reverted,
    };
    record(step, result, n, start, None)
}

/// The bookkeeping of a step that ran to the end: its history row (applied,
/// or removed for a down) and its audit row. `execution_ms` None lets the
/// database measure the duration inside the migration's own transaction.
pub(super) fn done_bookkeeping(
    db: &LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    execution_ms: Option<i64>,
) -> [String; 2] {
    let step = cx.step;
    let history = match step.direction {
        Direction::Up => {
            let mut row = info.row(step, Status::Applied, cx.n, None);
            row.execution_ms = execution_ms;
            db.upsert_sql(&row)
        }
        Direction::Down => db.delete_sql(step.migration.version.as_str()),
    };
    let audit = db.audit_sql(&info.audit(
        cx.kind(),
        Some(step.migration),
        sluice_db::AuditOutcome::Ok,
        None,
        cx.details(serde_json::Value::Null),
    ));
    [history, audit]
}

/// Records a step that stopped part-way as dirty: its history row (with
/// `applied` statements done and `why`) and a `dirty` audit row, in one
/// transaction. Returns what to add to the operator's message when recording
/// itself failed (empty when it worked).
pub(super) fn record_dirty(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    applied: usize,
    why: &str,
    extra: serde_json::Value,
) -> String {
    let step = cx.step;
    let mut row = info.row(step, Status::Dirty, applied, Some(why.to_string()));
    row.execution_ms = Some(cx.start.elapsed().as_millis() as i64);
    let bookkeeping = [
        db.upsert_sql(&row),
        db.audit_sql(&info.audit(
            sluice_db::AuditKind::Dirty,
            Some(step.migration),
            sluice_db::AuditOutcome::Failed,
            Some(why.to_string()),
            cx.details(extra),
        )),
    ];
    match db.run_in_transaction(&[], &bookkeeping) {
        Ok(()) => String::new(),
        Err(e) => format!("\n  recording the failure also failed: {}", e.error),
    }
}

/// The failing statement and the line of the error in the file (the
/// statement's line plus the lines before the server's error position).
pub(super) fn failing_at(
    step: &Step<'_>,
    index: Option<usize>,
    position: Option<usize>,
) -> Option<(usize, usize)> {
    let i = index.or((step.statements.len() == 1).then_some(0))?;
    let st = step.statements.get(i)?;
    let extra = position
        .filter(|_| index.is_some())
        .map(|p| {
            st.text(step.migration.text())
                .chars()
                .take(p)
                .filter(|&c| c == '\n')
                .count()
        })
        .unwrap_or(0);
    Some((i, st.line + extra))
}

/// "statement 2 of 3 (line 7)": where in the file a failure happened.
pub(super) fn locate(step: &Step<'_>, index: Option<usize>, position: Option<usize>) -> String {
    let total = step.statements.len();
    match (index, failing_at(step, index, position)) {
        (Some(i), Some((_, line))) => {
            // The line in the file that holds it (a migration may be several).
            let (_, line, _) = step.migration.locate(line, None);
            format!("statement {} of {total} (line {line})", i + 1)
        }
        (None, _) if total == 1 => "statement 1 of 1".to_string(),
        _ => format!("one of its {total} statements"),
    }
}

/// The file (display path) that holds the failing statement: the
/// migration's own path unless it is made of several files.
pub(super) fn failing_file(
    step: &Step<'_>,
    index: Option<usize>,
    position: Option<usize>,
) -> String {
    match failing_at(step, index, position) {
        Some((_, line)) => step.migration.locate(line, None).0.to_string(),
        None => step.migration.display_path.clone(),
    }
}

/// The database's message with its SQLSTATE.
pub fn db_message(e: &sluice_db::DbError) -> String {
    match &e.code {
        Some(c) => format!("{e} [{c}]"),
        None => e.to_string(),
    }
}

/// Called after each statement of a transactional step, inside its
/// transaction, with the statement's index and the session: `plan` observes
/// the locks each statement holds through this hook, so it runs migrations on
/// the same loop as `apply`.
pub type Observer<'o> = dyn FnMut(usize, &mut LockGuard) -> Result<(), sluice_db::DbError> + 'o;

fn run_step(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    step: &Step<'_>,
) -> Result<MigrationRecord, Box<Stop>> {
    run_step_observed(db, info, step, None)
}

/// What the two paths of a step share.
pub(super) struct StepCx<'a> {
    step: &'a Step<'a>,
    start: Instant,
    n: usize,
    verb: &'static str,
    stmts: Vec<&'a str>,
}

impl StepCx<'_> {
    /// The audit event of this step when it completes.
    fn kind(&self) -> sluice_db::AuditKind {
        match self.step.direction {
            Direction::Up => sluice_db::AuditKind::Apply,
            Direction::Down => sluice_db::AuditKind::Down,
        }
    }

    /// The audit details of this step.
    fn details(&self, extra: serde_json::Value) -> serde_json::Value {
        let s = self.step;
        serde_json::json!({ "name": s.migration.name, "statements": self.n, "transactional": !s.no_transaction, "approvals": s.approvals, "extra": extra })
    }
}

/// Runs one step with the run loop, calling `observe` (when given) after each
/// statement of a transactional step. Observation runs the statements one by
/// one inside the transaction and takes no locks up front (it reports what
/// each statement itself takes).
pub fn run_step_observed<'a>(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    step: &'a Step<'a>,
    observe: Option<&mut Observer<'_>>,
) -> Result<MigrationRecord, Box<Stop>> {
    let cx = StepCx {
        step,
        start: Instant::now(),
        n: step.statements.len(),
        verb: match step.direction {
            Direction::Up => "apply",
            Direction::Down => "down",
        },
        stmts: step.texts(),
    };
    if let Some(command) = &step.command {
        external::run(db, info, &cx, command)
    } else if step.no_transaction || !db.capabilities().transactional_ddl {
        // A database whose DDL commits itself (MySQL) runs every migration
        // statement by statement, recording progress after each.
        statements::statement_by_statement(db, info, &cx)
    } else {
        transactional::transactional(db, info, &cx, observe)
    }
}
