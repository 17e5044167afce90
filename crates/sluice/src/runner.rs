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

use crate::evidence::MigrationRecord;
use anyhow::{anyhow, Result};
use sluice_core::{Environment, Migration};
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
}

impl Step<'_> {
    /// The statements' SQL.
    pub fn texts(&self) -> Vec<&str> {
        self.statements
            .iter()
            .map(|s| s.text(&self.migration.text))
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
    migrations
        .iter()
        .map(|m| {
            let section = match direction {
                Direction::Up => &m.up,
                Direction::Down => m.down.as_ref().expect("callers check for a down section"),
            };
            let statements = sluice_sql::split_section(&m.text, section.range.clone(), dialect)
                .map_err(|e| {
                    anyhow!(
                        "{}:{}:{}: {}; fix the file and run the command again (nothing was run)",
                        m.display_path,
                        e.line,
                        e.column,
                        e.message
                    )
                })?;
            Ok(Step {
                migration: m,
                direction,
                statements,
                no_transaction: section.no_transaction,
                approvals: serde_json::json!([]),
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
        event: &str,
        m: Option<&Migration>,
        outcome: &str,
        reason: Option<String>,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            at: String::new(),
            event: event.into(),
            version: m.map(|m| m.version.to_string()),
            checksum: m.map(|m| m.checksum.to_hex()),
            environment: self.env.name.clone(),
            actor: self.actor.clone(),
            run_id: self.run_id.clone(),
            outcome: outcome.into(),
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

fn record(
    step: &Step<'_>,
    result: &'static str,
    applied: usize,
    start: Instant,
    error: Option<String>,
) -> MigrationRecord {
    MigrationRecord {
        version: step.migration.version.to_string(),
        name: step.migration.name.clone(),
        checksum: step.migration.checksum.to_hex(),
        direction: match step.direction {
            Direction::Up => "up",
            Direction::Down => "down",
        },
        transactional: !step.no_transaction,
        result,
        statements_total: step.statements.len(),
        statements_applied: applied,
        duration_ms: start.elapsed().as_millis(),
        error: error.map(|e| crate::secrets::scrub(&e)),
    }
}

/// "statement 2 of 3 (line 7)": where in the file a failure happened.
fn locate(step: &Step<'_>, index: Option<usize>, position: Option<usize>) -> String {
    let total = step.statements.len();
    match index {
        Some(i) => {
            let st = &step.statements[i];
            let extra = position
                .map(|p| {
                    st.text(&step.migration.text)
                        .chars()
                        .take(p)
                        .filter(|&c| c == '\n')
                        .count()
                })
                .unwrap_or(0);
            format!("statement {} of {total} (line {})", i + 1, st.line + extra)
        }
        None => format!("one of its {total} statements"),
    }
}

/// The database's message with its SQLSTATE.
pub fn db_message(e: &sluice_db::DbError) -> String {
    match &e.code {
        Some(c) => format!("{e} [{c}]"),
        None => e.to_string(),
    }
}

fn run_step(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    step: &Step<'_>,
) -> Result<MigrationRecord, Box<Stop>> {
    let m = step.migration;
    let start = Instant::now();
    let n = step.statements.len();
    let verb = match step.direction {
        Direction::Up => "apply",
        Direction::Down => "down",
    };
    let details = |extra: serde_json::Value| serde_json::json!({ "name": m.name, "statements": n, "transactional": !step.no_transaction, "approvals": step.approvals, "extra": extra });
    let stmts = step.texts();

    if !step.no_transaction {
        let done_sql = match step.direction {
            Direction::Up => db.upsert_sql(&info.row(step, Status::Applied, n, None)),
            Direction::Down => db.delete_sql(m.version.as_str()),
        };
        let audit =
            db.audit_sql(&info.audit(verb, Some(m), "ok", None, details(serde_json::Value::Null)));
        return match db.run_in_transaction(&stmts, &[done_sql, audit]) {
            Ok(()) => Ok(record(
                step,
                if step.direction == Direction::Up {
                    "applied"
                } else {
                    "reverted"
                },
                n,
                start,
                None,
            )),
            Err(f) => {
                let where_ = locate(step, f.index, f.error.position);
                let msg = db_message(&f.error);
                let mut bookkeeping = Vec::new();
                if step.direction == Direction::Up {
                    let mut row =
                        info.row(step, Status::Failed, 0, Some(format!("{where_}: {msg}")));
                    row.execution_ms = Some(start.elapsed().as_millis() as i64);
                    bookkeeping.push(db.upsert_sql(&row));
                }
                bookkeeping.push(db.audit_sql(&info.audit(
                    "failure",
                    Some(m),
                    "failed",
                    Some(format!("{verb} failed at {where_}: {msg}")),
                    details(serde_json::Value::Null),
                )));
                let recorded = db.run_in_transaction(&[], &bookkeeping);
                let mut message = format!(
                    "migration {} ({}) failed at {where_}: {msg}\n  its transaction was rolled back: nothing of it was {}, and nothing after it ran",
                    m.version,
                    m.display_path,
                    if step.direction == Direction::Up { "applied" } else { "reverted" }
                );
                if let Err(e) = recorded {
                    message.push_str(&format!(
                        "\n  recording the failure also failed: {}",
                        e.error
                    ));
                }
                Err(Box::new(Stop {
                    record: record(step, "failed", 0, start, Some(format!("{where_}: {msg}"))),
                    message,
                }))
            }
        };
    }

    // Statement by statement, outside a transaction.
    let in_progress = |applied: usize| {
        let mut row = info.row(
            step,
            Status::Dirty,
            applied,
            Some(format!(
                "{verb} in progress: {applied} of {n} statements done"
            )),
        );
        row.execution_ms = Some(start.elapsed().as_millis() as i64);
        row
    };
    let mark = db.upsert_sql(&in_progress(0));
    if let Err(f) = db.run_in_transaction(&[], &[mark]) {
        return Err(Box::new(Stop {
            record: record(step, "failed", 0, start, Some(f.error.to_string())),
            message: format!(
                "migration {}: could not record that it is starting: {}",
                m.version, f.error
            ),
        }));
    }
    for (i, sql) in stmts.iter().enumerate() {
        if let Err(e) = db.run_alone(sql) {
            let where_ = locate(step, Some(i), e.position);
            let msg = db_message(&e);
            let mut row = info.row(
                step,
                Status::Dirty,
                i,
                Some(format!("{verb} failed at {where_}: {msg}")),
            );
            row.execution_ms = Some(start.elapsed().as_millis() as i64);
            let bookkeeping = [
                db.upsert_sql(&row),
                db.audit_sql(&info.audit(
                    "dirty",
                    Some(m),
                    "failed",
                    Some(format!("{verb} failed at {where_}: {msg}")),
                    details(serde_json::json!({ "statements_applied": i })),
                )),
            ];
            let recorded = db.run_in_transaction(&[], &bookkeeping);
            let mut message = format!(
                "migration {} ({}) failed at {where_}: {msg}\n  it runs outside a transaction (sluice:no-transaction): {i} of {n} statements ran and stay committed, so it is now dirty\n  inspect the database, then run `sluice resolve {} --env {} --applied|--rolled-back --reason \"...\"`; nothing runs against this database until then",
                m.version, m.display_path, m.version, info.env.name
            );
            if let Err(e) = recorded {
                message.push_str(&format!(
                    "\n  recording the failure also failed: {}",
                    e.error
                ));
            }
            return Err(Box::new(Stop {
                record: record(step, "dirty", i, start, Some(format!("{where_}: {msg}"))),
                message,
            }));
        }
        if i + 1 < n {
            // Progress is best effort: if this write fails the row still says
            // dirty (at an earlier statement), which errs on the side of caution.
            let progress = db.upsert_sql(&in_progress(i + 1));
            let _ = db.run_alone(&progress);
        }
    }
    let finish = match step.direction {
        Direction::Up => {
            let mut row = info.row(step, Status::Applied, n, None);
            row.execution_ms = Some(start.elapsed().as_millis() as i64);
            db.upsert_sql(&row)
        }
        Direction::Down => db.delete_sql(m.version.as_str()),
    };
    let audit =
        db.audit_sql(&info.audit(verb, Some(m), "ok", None, details(serde_json::Value::Null)));
    match db.run_in_transaction(&[], &[finish, audit]) {
        Ok(()) => Ok(record(step, if step.direction == Direction::Up { "applied" } else { "reverted" }, n, start, None)),
        Err(f) => Err(Box::new(Stop {
            record: record(step, "dirty", n, start, Some(f.error.to_string())),
            message: format!(
                "migration {}: every statement ran, but recording that failed ({}); it stays dirty: run `sluice resolve {} --env {} --applied --reason \"...\"`",
                m.version, f.error, m.version, info.env.name
            ),
        })),
    }
}
