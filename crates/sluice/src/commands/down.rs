//! `sluice down --env E [--to V]`: reverses applied migrations, newest first,
//! where the environment allows it (`allow_down`). Without `--to`, reverses the
//! newest applied migration; with `--to V`, every applied migration newer than V
//! (`--to 0` reverses all). A forward-only migration (FORWARD_ONLY: Yes, or no
//! down section) is refused everywhere, with its ROLLBACK_STRATEGY.

use crate::cli::Outcome;
use crate::project::Project;
use crate::runner::{self, Direction};
use crate::session::Session;
use crate::state::{self, State};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde_json::json;
use sluice_core::{Migration, Version};
use sluice_lint::Diagnostic;

/// Options for `down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Reverse every applied migration newer than this version (0 = all).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
}

/// The migrations among `targets` that cannot be reversed (FORWARD_ONLY, or
/// no down section), as `downgrade-forbidden` findings.
fn irreversible(targets: &[&state::Entry<'_>], external_down: bool) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    for t in targets {
        if t.state != State::Applied {
            continue;
        }
        let m = t.migration.expect("applied has a file");
        // Another program reverses it when `run_down` is set.
        let runs_elsewhere = external_down && m.body != sluice_core::layout::BodyKind::Sql;
        if m.forward_only() || (m.down.is_none() && !runs_elsewhere) {
            let why = if m.forward_only() {
                "it is FORWARD_ONLY: Yes"
            } else {
                "it has no down section"
            };
            findings.push(Diagnostic::new(
                sluice_lint::RuleId::DowngradeForbidden,
                &m.display_path,
                m.down_marker_line.unwrap_or(1),
                1,
                format!("migration {} cannot be reversed: {why}", m.version),
                format!(
                    "its ROLLBACK_STRATEGY: {}",
                    m.header
                        .value("ROLLBACK_STRATEGY")
                        .unwrap_or("none given; restore from backup or write a new migration")
                ),
            ));
        }
    }
    findings
}

/// Runs `down`.
pub fn run(project: &Project, a: &DownArgs) -> Result<Outcome> {
    let session = Session::start(project, "down")?;
    let env_name = session.env.name.clone();
    let catalog = project.catalog_with_text()?;
    let mut db = session.lock()?;
    if !session.env.allow_down {
        let f = Diagnostic::new(
            sluice_lint::RuleId::DowngradeForbidden,
            project.rel(&project.config.migrations_dir),
            1,
            1,
            format!("`down` is forbidden in environment `{env_name}` (allow_down = false)"),
            "roll forward instead: write a new migration that reverses the change; `down` is for environments with allow_down = true",
        );
        return session.refuse(&mut db, vec![f]);
    }
    let history = state::load_history(&mut *db, &catalog)
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
    let entries = state::join(&catalog, &history);
    let to = match &a.to {
        Some(t) => Some(Version::parse(t).ok_or_else(|| anyhow!("--to {t:?} is not a version"))?),
        None => None,
    };
    // Repeatables (Flyway `R__`) are never reversed.
    let applied: Vec<_> = entries
        .iter()
        .filter(|e| e.history.is_some() && !e.is_pending())
        .filter(|e| !e.migration.is_some_and(|m| m.repeatable))
        .collect();
    if let Some(t) = &to {
        if *t != Version::parse("0").expect("valid") && !applied.iter().any(|e| &e.version == t) {
            bail!("--to {t}: that version is not applied on `{env_name}`");
        }
    }
    let mut targets: Vec<_> = match &to {
        Some(t) => applied.iter().filter(|e| e.version > *t).copied().collect(),
        None => applied.last().copied().into_iter().collect(),
    };
    targets.reverse();
    let dir = project.rel(&project.config.migrations_dir);
    // Dirty anywhere blocks; modified or missing blocks only what would be reversed.
    let mut findings: Vec<Diagnostic> = entries
        .iter()
        .filter(|e| e.state == State::Dirty || targets.iter().any(|t| t.version == e.version))
        .filter_map(|e| state::entry_gate(e, &dir, &env_name))
        .collect();
    let external_down = project.config.file.migrations.run_down.is_some();
    findings.extend(irreversible(&targets, external_down));
    if !findings.is_empty() {
        return session.refuse(&mut db, findings);
    }
    if targets.is_empty() {
        if !project.global.quiet && !project.json() {
            println!("nothing to reverse on `{env_name}`");
        }
        if project.json() {
            crate::output::print_json(&session.document(
                crate::evidence::RunOutcome::Noop,
                &[],
                &[],
                None,
                json!({}),
            ));
        }
        session.finish(
            crate::evidence::RunOutcome::Noop,
            vec![],
            vec![],
            json!({}),
            None,
        );
        return Ok(Outcome::Ok);
    }
    let migrations: Vec<&Migration> = targets.iter().filter_map(|t| t.migration).collect();
    let steps = runner::prepare_with(
        &migrations,
        Direction::Down,
        project.config.dialect,
        project.runner().as_ref(),
    )?;
    let refused = runner::transaction_control(&steps);
    if !refused.is_empty() {
        return session.refuse(&mut db, refused);
    }
    // A down section's own findings (a drop of what its up section did not
    // create, without a bypass) gate `down`, as up-section ones gate `apply`.
    let policy = crate::gate::policy_findings(
        &crate::gate::judge(project, &session.env, &migrations)?,
        true,
    );
    if !policy.is_empty() {
        return session.refuse(&mut db, policy);
    }
    let text = !project.json() && !project.global.quiet;
    if text {
        println!(
            "reversing {} migration(s) on `{env_name}` ({})",
            steps.len(),
            session.env.redacted_url()
        );
    }
    let info = session.info();
    let (done, stop) = runner::run(&mut db, &info, &steps, &mut |rec| {
        if text {
            println!(
                "  {}_{}  reverted ({} ms)",
                rec.version, rec.name, rec.duration_ms
            );
        }
    });
    drop(db);
    Ok(session.finish_run(done, stop).1)
}
