//! Rows of `sluice_history` and `sluice_audit`.

use serde::Serialize;

/// A version's state in `sluice_history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ran and committed.
    Applied,
    /// The last attempt failed and was rolled back: nothing of it remains, and the
    /// next `apply` runs it again.
    Failed,
    /// A non-transactional migration stopped part-way (failure or kill): some of
    /// it may have run. Nothing runs until `sluice resolve`.
    Dirty,
    /// Recorded as applied by `adopt` (it was already in the schema).
    Adopted,
    /// Recorded as applied by a baseline.
    Baseline,
}

impl Status {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Failed => "failed",
            Status::Dirty => "dirty",
            Status::Adopted => "adopted",
            Status::Baseline => "baseline",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "applied" => Status::Applied,
            "failed" => Status::Failed,
            "dirty" => Status::Dirty,
            "adopted" => Status::Adopted,
            "baseline" => Status::Baseline,
            _ => return None,
        })
    }

    /// Whether the version counts as present in the schema.
    pub fn is_applied(self) -> bool {
        matches!(self, Status::Applied | Status::Adopted | Status::Baseline)
    }
}

/// One row of `sluice_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Hex checksum of the file that ran.
    pub checksum: String,
    /// State.
    pub status: Status,
    /// RFC 3339 UTC.
    pub applied_at: String,
    /// OS user, plus the CI identity when present.
    pub applied_by: String,
    /// Environment name.
    pub environment: String,
    /// Approvals used, as a JSON array.
    pub approvals: String,
    /// Statements in the migration.
    pub statements_total: i64,
    /// Statements that completed.
    pub statements_applied: i64,
    /// Wall time of the migration. `None` when writing: the database measures
    /// it inside the migration's own transaction (the row is written there, so the
    /// client cannot know the duration yet).
    pub execution_ms: Option<i64>,
    /// sluice version.
    pub tool_version: String,
    /// The run that wrote the row.
    pub run_id: String,
    /// The error, for failed and dirty rows.
    pub error: Option<String>,
}

/// What an audit row records (the `event` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// A migration's up section ran.
    Apply,
    /// A migration's down section ran.
    Down,
    /// A transactional migration failed and was rolled back.
    Failure,
    /// A migration outside a transaction stopped part-way.
    Dirty,
    /// A gate refused the run.
    Refusal,
    /// `sluice resolve` settled a dirty or failed migration.
    Resolve,
    /// `sluice adopt` recorded drift as a migration.
    Adopt,
    /// A lock wait ran out and the migration is retried.
    LockTimeout,
    /// `sluice baseline` recorded migrations as applied without running them.
    Baseline,
    /// `sluice reset` dropped everything and forgot the history.
    Reset,
}

impl AuditKind {
    /// The value stored in the `event` column.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Apply => "apply",
            AuditKind::Down => "down",
            AuditKind::Failure => "failure",
            AuditKind::Dirty => "dirty",
            AuditKind::Refusal => "refusal",
            AuditKind::Resolve => "resolve",
            AuditKind::Adopt => "adopt",
            AuditKind::LockTimeout => "lock-timeout",
            AuditKind::Baseline => "baseline",
            AuditKind::Reset => "reset",
        }
    }
}

/// How what an audit row records ended (the `outcome` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// It succeeded.
    Ok,
    /// It failed.
    Failed,
    /// It was refused.
    Refused,
    /// It will be tried again.
    Retry,
}

impl AuditOutcome {
    /// The value stored in the `outcome` column.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Failed => "failed",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Retry => "retry",
        }
    }
}

/// One row of `sluice_audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// RFC 3339 UTC (filled by the database on read; ignored on write).
    pub at: String,
    /// `apply`, `down`, `failure`, `dirty`, `resolve`, `refusal`, ...
    pub event: String,
    /// Version concerned, if one.
    pub version: Option<String>,
    /// Checksum concerned, if one.
    pub checksum: Option<String>,
    /// Environment name.
    pub environment: String,
    /// Who.
    pub actor: String,
    /// The run.
    pub run_id: String,
    /// `ok`, `failed`, `refused`, ...
    pub outcome: String,
    /// Why (operator's reason, or the refusal's).
    pub reason: Option<String>,
    /// Anything else, as JSON.
    pub details: String,
    /// sluice version.
    pub tool_version: String,
}

/// The columns of `sluice_history`, in the order [`row_values`] renders them.
pub(crate) const HISTORY_COLUMNS: &str = "version, name, checksum, status, applied_at, applied_by, environment, approvals, statements_total, statements_applied, execution_ms, tool_version, run_id, error";

/// The columns of `sluice_audit` written by sluice (`id` and `at` are the
/// database's).
pub(crate) const AUDIT_COLUMNS: &str =
    "event, version, checksum, environment, actor, run_id, outcome, reason, details, tool_version";

fn opt(q: Quote<'_>, s: &Option<String>) -> String {
    s.as_deref().map(q).unwrap_or_else(|| "NULL".into())
}

/// How a backend quotes a string literal.
pub(crate) type Quote<'a> = &'a dyn Fn(&str) -> String;

/// `(…)` values for a history row, quoted with `q`. `ts` and `json` wrap the
/// timestamp and the approvals for the backend (casts in Postgres, nothing in
/// SQLite).
pub(crate) fn row_values(
    row: &HistoryRow,
    q: Quote<'_>,
    ts: &dyn Fn(String) -> String,
    json: &dyn Fn(String) -> String,
    elapsed: &dyn Fn(&HistoryRow) -> String,
) -> String {
    format!(
        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        q(&row.version),
        q(&row.name),
        q(&row.checksum),
        q(row.status.as_str()),
        ts(q(&row.applied_at)),
        q(&row.applied_by),
        q(&row.environment),
        json(q(&row.approvals)),
        row.statements_total,
        row.statements_applied,
        row.execution_ms
            .map(|n| n.to_string())
            .unwrap_or_else(|| elapsed(row)),
        q(&row.tool_version),
        q(&row.run_id),
        opt(q, &row.error),
    )
}

/// `(…)` values for an audit event, quoted with `q`.
pub(crate) fn audit_values(
    ev: &AuditEvent,
    q: Quote<'_>,
    json: &dyn Fn(String) -> String,
) -> String {
    format!(
        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        q(&ev.event),
        opt(q, &ev.version),
        opt(q, &ev.checksum),
        q(&ev.environment),
        q(&ev.actor),
        q(&ev.run_id),
        q(&ev.outcome),
        opt(q, &ev.reason),
        json(q(&ev.details)),
        q(&ev.tool_version),
    )
}

/// Builds a history row from text columns in [`HISTORY_COLUMNS`] order.
pub(crate) fn row_from_text(cols: &[Option<String>]) -> Result<HistoryRow, crate::DbError> {
    let s = |i: usize| cols.get(i).cloned().flatten().unwrap_or_default();
    let n = |i: usize| s(i).parse::<i64>().unwrap_or(0);
    let status = Status::parse(&s(3)).ok_or_else(|| {
        crate::DbError::msg(format!(
            "sluice_history row for version {} has an unknown status {:?}; fix the row by hand or run `sluice resolve`",
            s(0),
            s(3)
        ))
    })?;
    Ok(HistoryRow {
        version: s(0),
        name: s(1),
        checksum: s(2),
        status,
        applied_at: s(4),
        applied_by: s(5),
        environment: s(6),
        approvals: s(7),
        statements_total: n(8),
        statements_applied: n(9),
        execution_ms: Some(n(10)),
        tool_version: s(11),
        run_id: s(12),
        error: cols.get(13).cloned().flatten(),
    })
}

/// Builds an audit event from text columns: at, then [`AUDIT_COLUMNS`].
pub(crate) fn audit_from_text(cols: &[Option<String>]) -> AuditEvent {
    let s = |i: usize| cols.get(i).cloned().flatten().unwrap_or_default();
    let o = |i: usize| cols.get(i).cloned().flatten();
    AuditEvent {
        at: s(0),
        event: s(1),
        version: o(2),
        checksum: o(3),
        environment: s(4),
        actor: s(5),
        run_id: s(6),
        outcome: s(7),
        reason: o(8),
        details: s(9),
        tool_version: s(10),
    }
}

/// The reads of `sluice_history` / `sluice_audit` where they sit unqualified
/// in the connection's database (SQLite, MySQL): the same SQL on both.
pub(crate) mod unqualified {
    use super::*;
    use crate::{DbError, Executor, History};

    /// Every history row (none when the tables do not exist yet).
    pub(crate) fn load(h: &dyn History, ex: &mut dyn Executor) -> Result<Vec<HistoryRow>, DbError> {
        if !h.exists(ex)? {
            return Ok(vec![]);
        }
        ex.query_rows(&format!(
            "SELECT {HISTORY_COLUMNS} FROM sluice_history ORDER BY applied_at, version"
        ))?
        .iter()
        .map(|c| row_from_text(c))
        .collect()
    }

    /// Every audit event, oldest first.
    pub(crate) fn load_audit(
        h: &dyn History,
        ex: &mut dyn Executor,
    ) -> Result<Vec<AuditEvent>, DbError> {
        if !h.exists(ex)? {
            return Ok(vec![]);
        }
        Ok(ex
            .query_rows(&format!(
                "SELECT at, {AUDIT_COLUMNS} FROM sluice_audit ORDER BY id"
            ))?
            .iter()
            .map(|c| audit_from_text(c))
            .collect())
    }

    /// Removes `version`'s row, quoted with `q`.
    pub(crate) fn delete_sql(version: &str, q: Quote<'_>) -> String {
        format!("DELETE FROM sluice_history WHERE version = {}", q(version))
    }

    /// Inserts an audit event, quoted with `q`.
    pub(crate) fn audit_sql(ev: &AuditEvent, q: Quote<'_>) -> String {
        format!(
            "INSERT INTO sluice_audit ({AUDIT_COLUMNS}) VALUES {}",
            audit_values(ev, q, &|s| s)
        )
    }
}
