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
use sluice_db::{AuditEvent, Blocker, HistoryRow, LockGuard, Status};
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
    migrations
        .iter()
        .map(|m| {
            let section = match direction {
                Direction::Up => &m.up,
                Direction::Down => m.down.as_ref().expect("callers check for a down section"),
            };
            let text = m.load_text()?;
            let statements = sluice_sql::split_section(text, section.range.clone(), dialect)
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
                dialect,
            })
        })
        .collect()
}

/// The first word of a statement that may be transaction control.
const TRANSACTION_WORDS: [&str; 7] = [
    "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE",
];

/// Transaction control (`BEGIN`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`,
/// `ROLLBACK AND CHAIN`, `PREPARE TRANSACTION`, `COMMIT/ROLLBACK PREPARED`) in
/// a section that sluice runs in one transaction, as `transaction-nesting`
/// gate findings. Such a statement would end sluice's transaction early: what
/// ran before it would stay committed while the history said otherwise. `apply`,
/// `down` and `plan` refuse the run before anything touches the database.
pub fn transaction_control(steps: &[Step<'_>]) -> Vec<sluice_lint::Diagnostic> {
    let mut out = Vec::new();
    for step in steps.iter().filter(|s| !s.no_transaction) {
        let text = step.migration.text();
        for st in &step.statements {
            let sql = st.text(text);
            let first: String = sql
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<String>()
                .to_ascii_uppercase();
            if !TRANSACTION_WORDS.contains(&first.as_str()) {
                continue;
            }
            let facts = match step.dialect {
                sluice_core::config::Dialect::Postgres => sluice_sql::pg::analyze(sql).ok(),
                d => Some(sluice_sql::generic::analyze(sql, d)),
            };
            let kind = facts.iter().flat_map(|f| &f.actions).find_map(|a| match a {
                sluice_sql::facts::Action::Transaction { kind }
                    if matches!(
                        kind.as_str(),
                        "BEGIN" | "COMMIT" | "ROLLBACK" | "PREPARE TRANSACTION" | "COMMIT PREPARED"
                    ) =>
                {
                    Some(kind.clone())
                }
                _ => None,
            });
            if let Some(kind) = kind {
                let section = match step.direction {
                    Direction::Up => "",
                    Direction::Down => " (down section)",
                };
                out.push(sluice_lint::Diagnostic::new(
                    "transaction-nesting",
                    &step.migration.display_path,
                    st.line,
                    st.column,
                    format!(
                        "{}{section} inside migration {}, which sluice runs in one transaction: it would end that transaction early, leaving part of the migration committed; nothing was run",
                        {
                            let shown = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                            if shown.eq_ignore_ascii_case(&kind) {
                                format!("`{shown}`")
                            } else {
                                format!("`{shown}` ({kind})")
                            }
                        },
                        step.migration.version
                    ),
                    "remove it: the migration is atomic already (or mark it `-- sluice:no-transaction` and make each statement safe to re-run)",
                ));
            }
        }
    }
    out
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

/// The failing statement and the line of the error in the file (the
/// statement's line plus the lines before the server's error position).
fn failing_at(
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
fn locate(step: &Step<'_>, index: Option<usize>, position: Option<usize>) -> String {
    let total = step.statements.len();
    match (index, failing_at(step, index, position)) {
        (Some(i), Some((_, line))) => format!("statement {} of {total} (line {line})", i + 1),
        (None, _) if total == 1 => "statement 1 of 1".to_string(),
        _ => format!("one of its {total} statements"),
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

/// Runs one transactional step statement by statement inside its transaction
/// (instead of one batch), calling `observe` after each statement.
fn observed_transaction(
    db: &mut LockGuard,
    stmts: &[&str],
    book: &[String],
    observe: &mut Observer<'_>,
) -> Result<(), sluice_db::StatementFailure> {
    let fail = |index, error| sluice_db::StatementFailure {
        index,
        error: Box::new(error),
    };
    db.begin().map_err(|e| fail(None, e))?;
    let mut result = Ok(());
    for (i, s) in stmts.iter().enumerate() {
        result = db.run_alone(s).map_err(|e| fail(Some(i), e));
        if result.is_ok() {
            result = observe(i, db).map_err(|e| fail(None, e));
        }
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        for b in book {
            result = db.run_alone(b).map_err(|e| fail(None, e));
            if result.is_err() {
                break;
            }
        }
    }
    if result.is_ok() {
        result = db.commit().map_err(|e| fail(None, e));
    }
    if result.is_err() {
        let _ = db.rollback();
    }
    result
}

/// Runs one step with the run loop, calling `observe` (when given) after each
/// statement of a transactional step. Observation runs the statements one by
/// one inside the transaction and takes no locks up front (it reports what
/// each statement itself takes).
pub fn run_step_observed(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    step: &Step<'_>,
    mut observe: Option<&mut Observer<'_>>,
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
        // Callers refuse these before the run (see `transaction_control`); a
        // step that still has one is never sent.
        if let Some(d) = transaction_control(std::slice::from_ref(step)).first() {
            return Err(Box::new(Stop {
                at: None,
                record: record(step, "refused", 0, start, Some(d.message.clone())),
                message: format!("{}:{}: {} [{}]", d.path, d.line, d.message, d.rule),
            }));
        }
        let done_sql = match step.direction {
            Direction::Up => db.upsert_sql(&info.row(step, Status::Applied, n, None)),
            Direction::Down => db.delete_sql(m.version.as_str()),
        };
        let audit =
            db.audit_sql(&info.audit(verb, Some(m), "ok", None, details(serde_json::Value::Null)));
        // Every lock the migration needs, taken first within the total bound
        // (lock_timeout_total): no session waits behind a lock it holds while
        // it waits for another.
        let prelude = info
            .env
            .lock_timeout_total
            .filter(|_| observe.is_none())
            // The locks come from the Postgres analysis of the statements.
            .filter(|_| {
                step.dialect == sluice_core::config::Dialect::Postgres
                    && db.capabilities().lock_upfront
            })
            .and_then(|budget| db.lock_upfront_sql(&step_locks(&stmts), budget));
        let first_locking = prelude
            .as_ref()
            .and_then(|_| first_locking_statement(&stmts));
        let mut run_tx = |db: &mut LockGuard, book: &[String]| match &prelude {
            None => match observe.as_deref_mut() {
                Some(obs) => observed_transaction(db, &stmts, book, obs),
                None => db.run_in_transaction(&stmts, book),
            },
            Some(p) => {
                let mut all = Vec::with_capacity(stmts.len() + 1);
                all.push(p.as_str());
                all.extend(stmts.iter().copied());
                db.run_in_transaction(&all, book).map_err(|mut f| {
                    let upfront = f.index == Some(0)
                        || f.error.hint.as_deref() == Some(sluice_db::postgres::LOCK_UPFRONT_HINT);
                    f.index = if upfront {
                        f.error.position = None;
                        f.error.hint = None;
                        f.error.message.push_str(&format!(
                            " (while taking the migration's locks up front, within lock_timeout_total {})",
                            info.env
                                .lock_timeout_total
                                .map(sluice_core::duration::to_postgres)
                                .unwrap_or_default()
                        ));
                        first_locking
                    } else {
                        f.index.map(|i| i - 1)
                    };
                    f
                })
            }
        };
        let mut attempt = 1u32;
        let result = loop {
            match run_tx(db, &[done_sql.clone(), audit.clone()]) {
                Err(f) if is_lock_timeout(db, &f.error) && attempt <= info.env.lock_retries => {
                    let where_ = locate(step, f.index, f.error.position);
                    // Postgres gives no position for a lock timeout: ask about
                    // every relation the migration touches.
                    let sql = f
                        .index
                        .map(|i| stmts[i].to_string())
                        .unwrap_or_else(|| stmts.join(";\n"));
                    retry_after_lock_timeout(
                        db, info, step, attempt, &where_, &sql, &f.error, &details,
                    );
                    attempt += 1;
                }
                other => break other,
            }
        };
        return match result {
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
                let mut msg = db_message(&f.error);
                if is_lock_timeout(db, &f.error) {
                    let sql = f
                        .index
                        .map(|i| stmts[i].to_string())
                        .unwrap_or_else(|| stmts.join(";\n"));
                    msg.push_str(&format!(
                        " after {} attempt{} (lock_timeout {}, lock_retries {}); {}",
                        attempt,
                        if attempt == 1 { "" } else { "s" },
                        info.env
                            .lock_timeout
                            .map(sluice_core::duration::to_postgres)
                            .unwrap_or_else(|| "unset".into()),
                        info.env.lock_retries,
                        {
                            let b = blockers(db, &sql);
                            describe_blockers(db, &b)
                        }
                    ));
                }
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
                    at: failing_at(step, f.index, f.error.position),
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
            at: None,
            record: record(step, "failed", 0, start, Some(f.error.to_string())),
            message: format!(
                "migration {}: could not record that it is starting: {}",
                m.version, f.error
            ),
        }));
    }
    for (i, sql) in stmts.iter().enumerate() {
        let mut attempt = 1u32;
        // A CREATE INDEX CONCURRENTLY that timed out may leave an INVALID index
        // behind; it is dropped before the next attempt. The drop waits on the
        // same sessions and can time out too: it is retried under the same
        // policy (each attempt audited), and never skipped, so the retry never
        // fails on "already exists".
        // An INVALID index of the same name left by an earlier run (resolved
        // as rolled back) is dropped before the first attempt too.
        let mut cleanup_needed = sql
            .trim_start()
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("create"));
        let outcome = loop {
            if cleanup_needed {
                match db.cleanup_after_failure(sql) {
                    Ok(()) => cleanup_needed = false,
                    Err(e) if is_lock_timeout(db, &e) && attempt <= info.env.lock_retries => {
                        let where_ = format!(
                            "{} (dropping the INVALID index it left)",
                            locate(step, Some(i), None)
                        );
                        retry_after_lock_timeout(
                            db, info, step, attempt, &where_, sql, &e, &details,
                        );
                        attempt += 1;
                        continue;
                    }
                    Err(mut e) => {
                        e.message = format!(
                            "the INVALID index left by a timed-out attempt could not be dropped: {}",
                            e.message
                        );
                        break Err(e);
                    }
                }
            }
            match db.run_alone(sql) {
                Err(e) if is_lock_timeout(db, &e) && attempt <= info.env.lock_retries => {
                    cleanup_needed = true;
                    let where_ = locate(step, Some(i), e.position);
                    retry_after_lock_timeout(db, info, step, attempt, &where_, sql, &e, &details);
                    attempt += 1;
                }
                Err(e) if is_lock_timeout(db, &e) => {
                    cleanup_needed = true;
                    break Err(e);
                }
                other => break other,
            }
        };
        if let Err(mut e) = outcome {
            if is_lock_timeout(db, &e) {
                if cleanup_needed {
                    // Last chance, once: say what is left when it fails.
                    if let Err(c) = db.cleanup_after_failure(sql) {
                        e.message.push_str(&format!(
                            "; the INVALID index it left could not be dropped ({}): drop it with DROP INDEX CONCURRENTLY before resolving",
                            c.message
                        ));
                    }
                }
                e.message.push_str(&format!(
                    " after {attempt} attempt{}; {}",
                    if attempt == 1 { "" } else { "s" },
                    {
                        let b = blockers(db, sql);
                        describe_blockers(db, &b)
                    }
                ));
            }
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
                m.version, m.display_path, m.version, crate::output::shell_word(&info.env.name)
            );
            if let Err(e) = recorded {
                message.push_str(&format!(
                    "\n  recording the failure also failed: {}",
                    e.error
                ));
            }
            return Err(Box::new(Stop {
                at: failing_at(step, Some(i), e.position),
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
            at: None,
            record: record(step, "dirty", n, start, Some(f.error.to_string())),
            message: format!(
                "migration {}: every statement ran, but recording that failed ({}); it stays dirty: run `sluice resolve {} --env {} --applied --reason \"...\"`",
                m.version, f.error, m.version, crate::output::shell_word(&info.env.name)
            ),
        })),
    }
}

/// The relations a section's statements lock that exist before it (not those
/// it creates), with the mode each needs; empty when there are fewer than two
/// (one relation's single wait is bounded by `lock_timeout` already).
fn step_locks(stmts: &[&str]) -> Vec<(sluice_sql::facts::ObjectName, sluice_sql::facts::LockMode)> {
    let facts: Vec<_> = stmts
        .iter()
        .filter_map(|s| sluice_sql::pg::analyze(s).ok())
        .collect();
    let created: Vec<&sluice_sql::facts::ObjectName> = facts
        .iter()
        .flat_map(|f| &f.actions)
        .filter_map(|a| match a {
            sluice_sql::facts::Action::CreateTable { table, .. } => Some(table),
            _ => None,
        })
        .collect();
    let locks: Vec<_> = facts
        .iter()
        .flat_map(|f| f.locks.iter().cloned())
        .filter(|(r, _)| !created.contains(&r))
        .collect();
    let mut distinct: Vec<&sluice_sql::facts::ObjectName> = locks.iter().map(|(r, _)| r).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 {
        return vec![];
    }
    locks
}

/// The first statement that takes a lock (where an up-front lock timeout is
/// reported).
fn first_locking_statement(stmts: &[&str]) -> Option<usize> {
    stmts
        .iter()
        .position(|s| sluice_sql::pg::analyze(s).is_ok_and(|f| !f.locks.is_empty()))
}

/// Whether the driver says `e` is a lock timeout (`lock_timeout` expired).
fn is_lock_timeout(db: &LockGuard, e: &sluice_db::DbError) -> bool {
    db.classify(e) == sluice_db::ErrorKind::LockTimeout
}

/// Sessions that hold granted locks on the relations `sql` needs (from its
/// facts), as the driver sees them. Asked right after the timeout, while they
/// still hold them.
fn blockers(db: &mut LockGuard, sql: &str) -> Vec<Blocker> {
    if !db.capabilities().observable_locks {
        return vec![];
    }
    let rels: Vec<sluice_sql::facts::ObjectName> =
        sluice_sql::split(sql, sluice_core::config::Dialect::Postgres)
            .unwrap_or_default()
            .iter()
            .filter_map(|st| sluice_sql::pg::analyze(st.text(sql)).ok())
            .flat_map(|f| f.locks.into_iter().map(|(r, _)| r))
            .collect();
    db.blockers(&rels)
}

fn describe_blockers(db: &LockGuard, b: &[Blocker]) -> String {
    if b.is_empty() {
        return "no session holds a lock on its tables any more (the blocker has finished, or this database does not show who holds locks): run it again".into();
    }
    let list = b
        .iter()
        .map(|x| {
            format!(
                "pid {} (application `{}`, {} since {}, last query: {})",
                x.pid,
                x.application,
                if x.state.is_empty() {
                    "state unknown"
                } else {
                    &x.state
                },
                if x.query_start.is_empty() {
                    "?"
                } else {
                    &x.query_start
                },
                x.query
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "blocked by {list}: let it finish, or {}, then run again",
        db.end_session_hint()
    )
}

/// Exponential backoff with jitter: 500 ms doubling per attempt, at most 30 s,
/// each wait drawn from 50–150% of that.
fn backoff(attempt: u32) -> std::time::Duration {
    let base = 500u64
        .saturating_mul(1 << attempt.saturating_sub(1).min(6))
        .min(30_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0) as u64;
    let jitter = 50 + nanos % 101; // percent
    std::time::Duration::from_millis(base * jitter / 100)
}

/// Records a lock-timeout attempt (audit row), says so, and waits.
#[allow(clippy::too_many_arguments)]
fn retry_after_lock_timeout(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    step: &Step<'_>,
    attempt: u32,
    where_: &str,
    sql: &str,
    e: &sluice_db::DbError,
    details: &dyn Fn(serde_json::Value) -> serde_json::Value,
) {
    let m = step.migration;
    let wait = backoff(attempt);
    let who = blockers(db, sql);
    let reason = format!(
        "lock timeout at {where_} (attempt {attempt} of {}): {}; {}; retrying in {} ms",
        info.env.lock_retries + 1,
        e.message,
        describe_blockers(db, &who),
        wait.as_millis()
    );
    let audit = db.audit_sql(&info.audit(
        "lock-timeout",
        Some(m),
        "retry",
        Some(reason.clone()),
        details(serde_json::json!({
            "attempt": attempt,
            "wait_ms": wait.as_millis() as u64,
            "blockers": who.iter().map(|b| serde_json::json!({ "pid": b.pid, "application": b.application, "query_start": b.query_start, "state": b.state, "query": b.query })).collect::<Vec<_>>(),
        })),
    ));
    let _ = db.run_in_transaction(&[], &[audit]);
    eprintln!(
        "migration {}: {}",
        m.version,
        crate::secrets::scrub(&reason)
    );
    std::thread::sleep(wait);
}
