//! `sluice resolve VERSION --env E --applied|--rolled-back --reason TEXT`: after
//! a person has inspected a dirty (or failed) migration, records what state it is
//! really in, with an audit row carrying the reason.
//!
//! `--applied`: the migration's effect is in the schema (finish it by hand first
//! if needed); it becomes `applied`. `--rolled-back`: its effect is not in the
//! schema (undo partial work by hand first); its history row is removed and it
//! is pending again.

use crate::cli::Outcome;
use crate::project::Project;
use crate::session::Session;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde_json::json;
use sluice_db::HistoryStore as _;
use sluice_db::Status;

/// Options for `resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The dirty migration's version.
    pub version: String,
    /// Its effect is in the schema: record it as applied.
    #[arg(
        long,
        conflicts_with = "rolled_back",
        required_unless_present = "rolled_back"
    )]
    pub applied: bool,
    /// Its effect is not in the schema: record it as not applied.
    #[arg(long)]
    pub rolled_back: bool,
    /// Why (kept in the audit trail).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

/// Runs `resolve`.
pub fn run(project: &Project, a: &ResolveArgs) -> Result<Outcome> {
    if a.reason.trim().is_empty() {
        bail!("--reason must say why (it is kept in the audit trail)");
    }
    let session = Session::start(project, "resolve")?;
    let mut db = session.lock()?;
    let history = db
        .load_history()
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
    let Some(row) = history.iter().find(|h| h.version == a.version) else {
        bail!(
            "migration {} has no history on environment `{}`; nothing to resolve",
            a.version,
            session.env.name
        );
    };
    if !matches!(row.status, Status::Dirty | Status::Failed) {
        bail!(
            "migration {} is {} on environment `{}`, not dirty; nothing to resolve",
            a.version,
            row.status.as_str(),
            session.env.name
        );
    }
    let resolution = if a.applied { "applied" } else { "rolled-back" };
    let change = if a.applied {
        let mut r = row.clone();
        r.status = Status::Applied;
        r.statements_applied = r.statements_total;
        r.error = None;
        r.run_id = session.run_id.clone();
        db.upsert_sql(&r)
    } else {
        db.delete_sql(&row.version)
    };
    let info = session.info();
    let mut audit = info.audit(
        sluice_db::AuditKind::Resolve,
        None,
        sluice_db::AuditOutcome::Ok,
        Some(a.reason.clone()),
        json!({
            "resolution": resolution,
            "previous_status": row.status.as_str(),
            "statements_applied": row.statements_applied,
            "statements_total": row.statements_total,
            "error": row.error,
        }),
    );
    audit.version = Some(row.version.clone());
    audit.checksum = Some(row.checksum.clone());
    let audit_sql = db.audit_sql(&audit);
    db.run_in_transaction(&[], &[change, audit_sql])
        .map_err(|f| anyhow!("recording the resolution failed: {}", f.error))?;
    drop(db);
    let details = json!({ "version": row.version, "resolution": resolution, "reason": a.reason });
    if session.conclude(details) {
        println!(
            "migration {} resolved as {resolution} on `{}` (audited)",
            row.version, session.env.name
        );
    }
    Ok(Outcome::Ok)
}
