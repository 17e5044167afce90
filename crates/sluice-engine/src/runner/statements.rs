//! A `sluice:no-transaction` step: statement by statement, progress recorded
//! after each, dirty at the statement that fails.

use super::locks::{blockers, describe_blockers, is_lock_timeout, retry_after_lock_timeout};
use super::*;
use sluice_db::HistoryStore as _;

/// A `sluice:no-transaction` step: statement by statement, progress recorded
/// after each, dirty at the statement that fails.
pub(super) fn statement_by_statement(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
) -> Result<MigrationRecord, Box<Stop>> {
    let (step, n) = (cx.step, cx.n);
    let mark = db.upsert_sql(&in_progress(info, cx, 0));
    if let Err(f) = db.run_in_transaction(&[], &[mark]) {
        return Err(Box::new(Stop {
            at: None,
            record: record(
                step,
                RecordResult::Failed,
                0,
                cx.start,
                Some(f.error.to_string()),
            ),
            message: format!(
                "migration {}: could not record that it is starting: {}",
                step.migration.version, f.error
            ),
        }));
    }
    for (i, sql) in cx.stmts.iter().enumerate() {
        if let Err(e) = run_with_retries(db, info, cx, i, sql) {
            return Err(dirty_stop(db, info, cx, i, e));
        }
        if i + 1 < n {
            // Progress is best effort: if this write fails the row still says
            // dirty (at an earlier statement), which errs on the side of caution.
            let progress = db.upsert_sql(&in_progress(info, cx, i + 1));
            let _ = db.run_alone(&progress);
        }
    }
    finish(db, info, cx)
}

/// The history row of a step that is running: dirty, `applied` statements done.
fn in_progress(info: &RunInfo<'_>, cx: &StepCx<'_>, applied: usize) -> HistoryRow {
    let (verb, n) = (cx.verb, cx.n);
    let mut row = info.row(
        cx.step,
        Status::Dirty,
        applied,
        Some(format!(
            "{verb} in progress: {applied} of {n} statements done"
        )),
    );
    row.execution_ms = Some(cx.start.elapsed().as_millis() as i64);
    row
}

/// What to do about an INVALID index sluice could not drop.
const LEFTOVER_HELP: &str =
    "drop it with DROP INDEX CONCURRENTLY, then `sluice resolve` this migration as rolled back";

/// Runs statement `i`, retrying after lock timeouts. A `CREATE INDEX
/// CONCURRENTLY` that timed out may leave an INVALID index behind; it is
/// dropped before the next attempt (and before the first, when an earlier run
/// resolved as rolled back left one). That drop waits on the same sessions and
/// can time out too: it is retried under the same policy (each attempt
/// audited), never skipped, so a retry never fails on "already exists". The
/// error, when the attempts run out, says what is left and who blocks.
fn run_with_retries(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    i: usize,
    sql: &str,
) -> Result<(), sluice_db::DbError> {
    let step = cx.step;
    let details = |extra: serde_json::Value| cx.details(extra);
    let mut attempt = 1u32;
    // The driver knows which statements can leave something behind (and does
    // nothing for the others).
    let mut cleanup_needed = true;
    let outcome = loop {
        if cleanup_needed {
            match db.cleanup_after_failure(sql) {
                Ok(()) => cleanup_needed = false,
                Err(e) if is_lock_timeout(db, &e) && attempt <= info.env.lock_retries => {
                    let where_ = format!(
                        "{} (dropping the INVALID index it left)",
                        locate(step, Some(i), None)
                    );
                    retry_after_lock_timeout(db, info, step, attempt, &where_, sql, &e, &details);
                    attempt += 1;
                    continue;
                }
                Err(mut e) => {
                    e.message = format!(
                        "the INVALID index it left could not be dropped ({}): {LEFTOVER_HELP}",
                        e.message
                    );
                    // Said once: no last-chance cleanup below.
                    cleanup_needed = false;
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
    let Err(mut e) = outcome else {
        return Ok(());
    };
    if is_lock_timeout(db, &e) {
        if cleanup_needed {
            // Last chance, once: say what is left when it fails.
            if let Err(c) = db.cleanup_after_failure(sql) {
                e.message.push_str(&format!(
                    "; the INVALID index it left could not be dropped ({}): {LEFTOVER_HELP}",
                    c.message
                ));
            }
        }
        let b = blockers(db, sql);
        e.message.push_str(&format!(
            " after {attempt} attempt{}; {}",
            if attempt == 1 { "" } else { "s" },
            describe_blockers(db, &b)
        ));
    }
    Err(e)
}

/// Records statement `i`'s failure (dirty at `i` statements, audit row) and
/// says how to resolve it.
fn dirty_stop(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    i: usize,
    e: sluice_db::DbError,
) -> Box<Stop> {
    let (step, n, verb) = (cx.step, cx.n, cx.verb);
    let m = step.migration;
    let where_ = locate(step, Some(i), e.position);
    let msg = db_message(&e);
    let recorded = record_dirty(
        db,
        info,
        cx,
        i,
        &format!("{verb} failed at {where_}: {msg}"),
        serde_json::json!({ "statements_applied": i }),
    );
    // Outside a transaction because the file says so, or because the
    // database commits DDL itself (MySQL).
    let why = if step.no_transaction {
        "it runs outside a transaction (sluice:no-transaction)"
    } else {
        "this database commits each DDL statement itself (no transactional DDL), so it runs statement by statement"
    };
    let mut message = format!(
        "migration {} ({}) failed at {where_}: {msg}\n  {why}: {i} of {n} statements ran and stay committed, so it is now dirty\n  inspect the database, then run `sluice resolve {} --env {} --applied|--rolled-back --reason \"...\"`; nothing runs against this database until then",
        m.version,
        super::failing_file(step, Some(i), e.position),
        m.version,
        crate::shell_word(&info.env.name)
    );
    message.push_str(&recorded);
    Box::new(Stop {
        at: failing_at(step, Some(i), e.position),
        record: record(
            step,
            RecordResult::Dirty,
            i,
            cx.start,
            Some(format!("{where_}: {msg}")),
        ),
        message,
    })
}

/// Records that every statement ran (applied, or the row removed for a down).
fn finish(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
) -> Result<MigrationRecord, Box<Stop>> {
    let (step, n, start) = (cx.step, cx.n, cx.start);
    let m = step.migration;
    let book = done_bookkeeping(db, info, cx, Some(start.elapsed().as_millis() as i64));
    match db.run_in_transaction(&[], &book) {
        Ok(()) => Ok(completed(step, n, start)),
        Err(f) => Err(Box::new(Stop {
            at: None,
            record: record(step, RecordResult::Dirty, n, start, Some(f.error.to_string())),
            message: format!(
                "migration {}: every statement ran, but recording that failed ({}); it stays dirty: run `sluice resolve {} --env {} --applied --reason \"...\"`",
                m.version,
                f.error,
                m.version,
                crate::shell_word(&info.env.name)
            ),
        })),
    }
}
