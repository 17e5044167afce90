//! `sluice reset --env E`: for early-stage projects, drops every object of
//! the environment's database but sluice's own tables, forgets the history,
//! and applies every migration again, under the lock, through apply's gates.
//! Only where the environment sets `allow_reset = true`, which a
//! production-like environment cannot. One `reset` audit row records what
//! was dropped and forgotten (in the same transaction as the drops where
//! DDL is transactional); the evidence is the run's, command `reset`.
//! Exit 0 reset and applied, 1 refused, 2 failed.

use crate::cli::Outcome;
use crate::commands::apply::{self, Plan};
use crate::project::Project;
use crate::session::Session;
use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::json;
use sluice_db::HistoryStore as _;
use sluice_lint::{Diagnostic, RuleId};

/// Options for `reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {}

/// Runs `reset`.
pub fn run(project: &Project, _a: &ResetArgs) -> Result<Outcome> {
    let session = Session::start(project, "reset")?;
    let catalog = project.catalog()?;
    let mut db = session.lock()?;
    let env = &session.env;
    if !env.section.allow_reset {
        let finding = Diagnostic::new(
            RuleId::ResetForbidden,
            project.rel(&project.config.root.join("sluice.toml")),
            1,
            1,
            format!(
                "`sluice reset` drops everything on `{}`, which does not allow it",
                env.name
            ),
            format!(
                "set [environments.{}] allow_reset = true for a disposable early-stage database (never a production-like one), or use `sluice down` / a new migration",
                env.name
            ),
        );
        return session.refuse(&mut db, vec![finding]);
    }
    // Every migration is pending once the history is forgotten: the gates,
    // the policy and the approvals judge them all before anything drops.
    let steps = match apply::plan(project, &session, &mut *db, false, &catalog, &[], None)? {
        Plan::Blocked(findings) => return session.refuse(&mut db, findings),
        Plan::Ready { steps, .. } => steps,
    };
    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables: {e}"))?;
    let drops = db
        .reset_statements()
        .map_err(|e| anyhow!("reading what to drop on `{}`: {e}", env.name))?;
    let forgotten: Vec<String> = db
        .load_history()
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?
        .into_iter()
        .map(|r| r.version)
        .collect();
    let mut bookkeeping: Vec<String> = forgotten.iter().map(|v| db.delete_sql(v)).collect();
    let dropped: Vec<&String> = drops.iter().filter(|s| s.starts_with("DROP")).collect();
    let details = json!({ "dropped": dropped, "forgotten": forgotten });
    bookkeeping.push(db.audit_sql(&session.info().audit(
        sluice_db::AuditKind::Reset,
        None,
        sluice_db::AuditOutcome::Ok,
        Some(format!(
            "dropped {} objects and forgot {} applied migrations",
            dropped.len(),
            forgotten.len()
        )),
        details.clone(),
    )));
    let statements: Vec<&str> = drops.iter().map(String::as_str).collect();
    db.run_in_transaction(&statements, &bookkeeping)
        .map_err(|f| anyhow!("resetting `{}` failed: {}", env.name, f.error))?;
    if !project.json() && !project.global.quiet {
        println!(
            "reset `{}`: dropped {} objects, forgot {} applied migrations",
            env.name,
            dropped.len(),
            forgotten.len()
        );
    }
    apply::run_steps(project, &session, db, &steps, json!({ "reset": details }))
}
