//! A transactional step: statements, history row and audit row in one
//! transaction (one batch, or statement by statement with an observer),
//! retried after a lock timeout.

use super::locks::{
    blockers, describe_blockers, is_lock_timeout, retry_after_lock_timeout, upfront_locks,
};
use super::*;
use sluice_db::HistoryStore as _;

/// Runs one transactional step statement by statement inside its transaction
/// (instead of one batch), calling `observe` after each statement.
pub(super) fn observed_transaction(
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

/// A transactional step: its statements, history row and audit row in one
/// transaction, retried after a lock timeout.
pub(super) fn transactional(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    mut observe: Option<&mut Observer<'_>>,
) -> Result<MigrationRecord, Box<Stop>> {
    let step = cx.step;
    let start = cx.start;
    let n = cx.n;
    let details = |extra: serde_json::Value| cx.details(extra);
    let stmts = &cx.stmts;
    // Callers refuse these before the run (see `transaction_control`); a
    // step that still has one is never sent.
    if let Some(d) = transaction_control(std::slice::from_ref(step)).first() {
        return Err(Box::new(Stop {
            at: None,
            record: record(
                step,
                RecordResult::Refused,
                0,
                start,
                Some(d.message.clone()),
            ),
            message: format!("{}:{}: {} [{}]", d.path, d.line, d.message, d.rule),
        }));
    }
    let book = done_bookkeeping(db, info, cx, None);
    // Every lock the migration needs, taken first within the total bound
    // (lock_timeout_total): no session waits behind a lock it holds while
    // it waits for another.
    let upfront = info
        .env
        .lock_timeout_total
        .filter(|_| observe.is_none())
        // The locks come from the Postgres analysis of the statements.
        .filter(|_| {
            step.dialect == sluice_core::config::Dialect::Postgres && db.capabilities().lock_upfront
        })
        .and_then(|budget| {
            let u = upfront_locks(stmts)?;
            Some((db.lock_upfront_sql(&u.locks, budget)?, u.first_locking))
        });
    let (prelude, first_locking) = match upfront {
        Some((sql, first)) => (Some(sql), first),
        None => (None, None),
    };
    let mut run_tx = |db: &mut LockGuard, book: &[String]| match &prelude {
        None => match observe.as_deref_mut() {
            Some(obs) => observed_transaction(db, stmts, book, obs),
            None => db.run_in_transaction(stmts, book),
        },
        Some(p) => upfront_batch(db, info, stmts, p, first_locking, book),
    };
    let mut attempt = 1u32;
    let result = loop {
        match run_tx(db, &book) {
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
    match result {
        Ok(()) => Ok(completed(step, n, start)),
        Err(f) => Err(failed_stop(db, info, cx, &f, attempt)),
    }
}

/// Runs the step's statements after the up-front locking statement `prelude`;
/// a failure of the prelude is reported at the first statement that locks.
fn upfront_batch(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    stmts: &[&str],
    prelude: &str,
    first_locking: Option<usize>,
    book: &[String],
) -> Result<(), sluice_db::StatementFailure> {
    let mut all = Vec::with_capacity(stmts.len() + 1);
    all.push(prelude);
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

/// Records a transactional step's failure (history `failed`, audit row) after
/// its transaction was rolled back, naming the blockers of a lock timeout.
fn failed_stop(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    f: &sluice_db::StatementFailure,
    attempt: u32,
) -> Box<Stop> {
    let (step, stmts, start) = (cx.step, &cx.stmts, cx.start);
    let m = step.migration;
    let where_ = locate(step, f.index, f.error.position);
    let mut msg = db_message(&f.error);
    if is_lock_timeout(db, &f.error) {
        let sql = f
            .index
            .map(|i| stmts[i].to_string())
            .unwrap_or_else(|| stmts.join(";\n"));
        let b = blockers(db, &sql);
        msg.push_str(&format!(
            " after {} attempt{} (lock_timeout {}, lock_retries {}); {}",
            attempt,
            if attempt == 1 { "" } else { "s" },
            info.env
                .lock_timeout
                .map(sluice_core::duration::to_postgres)
                .unwrap_or_else(|| "unset".into()),
            info.env.lock_retries,
            describe_blockers(db, &b)
        ));
    }
    let mut bookkeeping = Vec::new();
    if step.direction == Direction::Up {
        let mut row = info.row(step, Status::Failed, 0, Some(format!("{where_}: {msg}")));
        row.execution_ms = Some(start.elapsed().as_millis() as i64);
        bookkeeping.push(db.upsert_sql(&row));
    }
    bookkeeping.push(db.audit_sql(&info.audit(
        sluice_db::AuditKind::Failure,
        Some(m),
        sluice_db::AuditOutcome::Failed,
        Some(format!("{} failed at {where_}: {msg}", cx.verb)),
        cx.details(serde_json::Value::Null),
    )));
    let recorded = db.run_in_transaction(&[], &bookkeeping);
    let mut message = format!(
        "migration {} ({}) failed at {where_}: {msg}\n  its transaction was rolled back: nothing of it was {}, and nothing after it ran",
        m.version,
        super::failing_file(step, f.index, f.error.position),
        if step.direction == Direction::Up { "applied" } else { "reverted" }
    );
    if let Err(e) = recorded {
        message.push_str(&format!(
            "\n  recording the failure also failed: {}",
            e.error
        ));
    }
    Box::new(Stop {
        at: failing_at(step, f.index, f.error.position),
        record: record(
            step,
            RecordResult::Failed,
            0,
            start,
            Some(format!("{where_}: {msg}")),
        ),
        message,
    })
}
