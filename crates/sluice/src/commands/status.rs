//! `sluice status --env E [--exit-code]`: applied, pending, modified, missing,
//! dirty and failed migrations. Read-only: no lock, no tables created.

use crate::cli::Outcome;
use crate::project::Project;
use crate::session::Session;
use crate::state::{self, State};
use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::json;

/// Options for `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 1 unless every migration is applied and unchanged.
    #[arg(long)]
    pub exit_code: bool,
}

/// Runs `status`.
pub fn run(project: &Project, a: &StatusArgs) -> Result<Outcome> {
    let session = Session::start(project, "status")?;
    let catalog = project.catalog()?;
    let mut db = session.connect()?;
    let history = state::load_history(&mut *db, &catalog)
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
    drop(db);
    let entries = state::join(&catalog, &history);
    let count = |s: State| entries.iter().filter(|e| e.state == s).count();
    let clean = entries.iter().all(|e| e.state.is_clean());
    let summary = json!({
        "applied": count(State::Applied) + count(State::Adopted) + count(State::Baseline),
        "pending": count(State::Pending),
        "failed": count(State::Failed),
        "modified": count(State::Modified),
        "missing": count(State::Missing),
        "dirty": count(State::Dirty),
    });
    session.finish(
        crate::evidence::RunOutcome::Ok,
        vec![],
        vec![],
        json!({ "summary": summary, "clean": clean }),
        None,
    );
    if project.json() {
        let migrations: Vec<_> = entries
        .iter()
        .map(|e| {
            json!({
                "version": e.version.to_string(),
                "name": e.name(),
                "state": e.state,
                "checksum": e.migration.map(|m| m.checksum.to_hex()).or(e.history.map(|h| h.checksum.clone())),
                "applied_at": e.history.filter(|_| !e.is_pending()).map(|h| h.applied_at.clone()),
                "applied_by": e.history.filter(|_| !e.is_pending()).map(|h| h.applied_by.clone()),
                "error": e.history.and_then(|h| h.error.clone()),
            })
        })
        .collect();
        crate::output::print_json(&json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "environment": session.env.name,
            "target": session.env.redacted_url(),
            "migrations": migrations,
            "summary": summary,
            "clean": clean,
        }));
    } else {
        println!(
            "environment `{}` ({})",
            session.env.name,
            session.env.redacted_url()
        );
        if !project.global.quiet || !clean {
            let width = entries
                .iter()
                .map(|e| e.version.as_str().len())
                .max()
                .unwrap_or(7)
                .max(7);
            if !entries.is_empty() {
                println!("  {:width$}  {:8}  NAME", "VERSION", "STATE");
            }
            for e in &entries {
                let state = serde_json::to_value(e.state).expect("serialises");
                let mut line = format!(
                    "  {:width$}  {:8}  {}",
                    e.version.as_str(),
                    state.as_str().unwrap_or(""),
                    e.name()
                );
                if let (State::Dirty | State::Failed, Some(h)) = (e.state, e.history) {
                    if let Some(err) = &h.error {
                        line.push_str(&format!("  ({})", crate::secrets::scrub(err)));
                    }
                }
                println!("{line}");
            }
        }
        let parts: Vec<String> = summary
            .as_object()
            .expect("object")
            .iter()
            .filter(|(_, v)| v.as_u64() != Some(0))
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        println!(
            "{}",
            if parts.is_empty() {
                "no migrations".to_string()
            } else {
                parts.join(", ")
            }
        );
        if let Some(d) = entries.iter().find(|e| e.state == State::Dirty) {
            println!(
                "migration {} is dirty: inspect it, then run `sluice resolve {} --env {} --applied|--rolled-back --reason \"...\"`",
                d.version, d.version, session.env.name
            );
        }
    }
    Ok(if a.exit_code && !clean {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}
