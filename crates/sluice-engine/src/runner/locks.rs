//! Lock timeouts under live traffic: up-front locking, blockers, backoff.

use super::{RunInfo, Step};
use sluice_db::HistoryStore as _;
use sluice_db::{Blocker, LockGuard};

/// What a section takes up front: the relations its statements lock that
/// exist before it (not those it creates), each with the mode needed, and the
/// first statement that takes a lock (where an up-front timeout is reported).
pub(super) struct UpfrontLocks {
    /// Relations and modes, in statement order.
    pub(super) locks: Vec<(sluice_sql::facts::ObjectName, sluice_sql::facts::LockMode)>,
    /// The first statement that takes a lock.
    pub(super) first_locking: Option<usize>,
}

/// Parses the section once; None when it locks fewer than two existing
/// relations (one relation's single wait is bounded by `lock_timeout`
/// already).
pub(super) fn upfront_locks(stmts: &[&str]) -> Option<UpfrontLocks> {
    let facts: Vec<Option<sluice_sql::facts::Facts>> = stmts
        .iter()
        .map(|s| sluice_sql::pg::analyze(s).ok())
        .collect();
    let created: std::collections::HashSet<&sluice_sql::facts::ObjectName> = facts
        .iter()
        .flatten()
        .flat_map(|f| &f.actions)
        .filter_map(|a| match a {
            sluice_sql::facts::Action::CreateTable { table, .. } => Some(table),
            _ => None,
        })
        .collect();
    let locks: Vec<_> = facts
        .iter()
        .flatten()
        .flat_map(|f| f.locks.iter().cloned())
        .filter(|(r, _)| !created.contains(r))
        .collect();
    let distinct: std::collections::BTreeSet<_> = locks.iter().map(|(r, _)| r).collect();
    if distinct.len() < 2 {
        return None;
    }
    let first_locking = facts
        .iter()
        .position(|f| f.as_ref().is_some_and(|f| !f.locks.is_empty()));
    Some(UpfrontLocks {
        locks,
        first_locking,
    })
}

/// Whether the driver says `e` is a lock timeout (`lock_timeout` expired).
pub(super) fn is_lock_timeout(db: &LockGuard, e: &sluice_db::DbError) -> bool {
    db.classify(e) == sluice_db::ErrorKind::LockTimeout
}

/// Sessions that hold granted locks on the relations `sql` needs (from its
/// facts), as the driver sees them. Asked right after the timeout, while they
/// still hold them. A driver that cannot tell locks per relation (MySQL)
/// names the sessions that could hold them; one that cannot tell at all
/// names none.
pub(super) fn blockers(db: &mut LockGuard, sql: &str) -> Vec<Blocker> {
    if !db.capabilities().observable_locks {
        return db.blockers(&[]);
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

pub(super) fn describe_blockers(db: &LockGuard, b: &[Blocker]) -> String {
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
pub(super) fn backoff(attempt: u32) -> std::time::Duration {
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
pub(super) fn retry_after_lock_timeout(
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
        sluice_db::AuditKind::LockTimeout,
        Some(m),
        sluice_db::AuditOutcome::Retry,
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
