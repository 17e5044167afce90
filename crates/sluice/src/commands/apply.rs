//! `sluice apply --env E [--to V] [--dry-run]`: runs pending migrations through
//! the gates. Exit 0 applied (or nothing to do), 1 refused by a gate, 2 failed.

use crate::cli::Outcome;
use crate::project::Project;
use crate::runner::{self, Direction};
use crate::session::Session;
use crate::state;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde_json::json;
use sluice_core::{Migration, Version};
use sluice_db::HistoryStore as _;

/// Options for `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Apply pending migrations up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Run the plan (pending, gates, scratch replay, locks, rollback guide) and stop before the target.
    #[arg(long)]
    pub dry_run: bool,
}

/// Parses `--to`, which must name a migration in the directory.
pub fn target_version(
    catalog: &sluice_core::Catalog,
    to: &Option<String>,
) -> Result<Option<Version>> {
    let Some(t) = to else { return Ok(None) };
    if let Some(m) = catalog.find(t) {
        return Ok(Some(m.version.clone()));
    }
    let v = Version::parse(t)
        .ok_or_else(|| anyhow!("--to {t:?} is not a version (digits, like 1732190000000)"))?;
    if v != Version::parse("0").expect("valid") {
        bail!("--to {t}: no migration in the directory has that version");
    }
    Ok(Some(v))
}

/// What a run would do, or why it may not: the gates and approvals decided on
/// a history read under the lock (a real run) or without it (a dry run).
pub(crate) enum Plan<'a> {
    /// A gate or the approvals refuse the run.
    Blocked(Vec<sluice_lint::Diagnostic>),
    /// These steps would run; `applied` migrations are already clean.
    Ready {
        steps: Vec<runner::Step<'a>>,
        applied: usize,
    },
}

/// The gates, the policy, the data-loss gate (when `judge_rows`: not for
/// `reset`, whose drops empty every table) and the approvals, on the history
/// `history` (read under the lock for a real run).
pub(crate) fn plan<'a>(
    project: &Project,
    session: &Session<'_>,
    db: &mut dyn sluice_db::Database,
    judge_rows: bool,
    catalog: &'a sluice_core::Catalog,
    history: &'a [sluice_db::HistoryRow],
    to: Option<&Version>,
) -> Result<Plan<'a>> {
    let entries = state::join(catalog, history);
    let gates = state::apply_gates(
        catalog,
        &entries,
        &project.rel(&project.config.migrations_dir),
        &session.env.name,
        project.config.file.migrations.allow_out_of_order,
    );
    if !gates.is_empty() {
        return Ok(Plan::Blocked(gates));
    }
    let within = state::up_to(catalog, to);
    let pending: Vec<&'a Migration> = entries
        .iter()
        .filter(|e| e.is_pending() && within(&e.version))
        .filter_map(|e| e.migration)
        .collect();
    let mut steps = runner::prepare_with(
        &pending,
        Direction::Up,
        project.config.dialect,
        project.runner().as_ref(),
    )?;
    let refused = runner::transaction_control(&steps);
    if !refused.is_empty() {
        return Ok(Plan::Blocked(refused));
    }
    // The policy: what `plan` calls blocking, `apply` refuses.
    // One lint of the pending migrations serves the policy gate and the
    // approvals.
    let mut lints = crate::gate::judge(project, &session.env, &pending)?;
    let policy = crate::gate::policy_findings(&lints, false);
    if !policy.is_empty() {
        return Ok(Plan::Blocked(policy));
    }
    let analyses: Vec<_> = pending
        .iter()
        .map(|m| crate::risk::analyze(project, m))
        .collect();
    // Data lost from a table with rows on the target needs a strategy.
    if judge_rows {
        let losses = sluice_engine::data_loss::gate(
            db,
            &session.env.name,
            &pending,
            &analyses,
            &crate::risk::policy_for(project, &session.env)?,
        )?;
        if !losses.is_empty() {
            return Ok(Plan::Blocked(losses));
        }
    }
    crate::risk::lift_for_size(project, db, &analyses, &mut lints)?;
    let risks: Vec<_> = lints.iter().map(|l| l.risk).collect();
    let approvals = crate::gate::check_approvals(project, &session.env, &pending, &risks)?;
    if !approvals.findings.is_empty() {
        return Ok(Plan::Blocked(approvals.findings));
    }
    for s in &mut steps {
        if let Some(used) = approvals.used.get(s.migration.version.as_str()) {
            s.approvals = used.clone();
        }
    }
    let applied = entries.iter().filter(|e| e.state.is_clean()).count();
    Ok(Plan::Ready { steps, applied })
}

/// Prints what a dry run (or a no-op run) found.
fn print_pending(
    project: &Project,
    session: &Session<'_>,
    steps: &[runner::Step<'_>],
    applied: usize,
    outcome: crate::evidence::RunOutcome,
) {
    if project.json() {
        let pending_json: Vec<_> = steps
            .iter()
            .map(|s| json!({ "version": s.migration.version.to_string(), "name": s.migration.name, "statements": s.statements.len(), "transactional": !s.no_transaction }))
            .collect();
        crate::output::print_json(&session.document(
            outcome,
            &[],
            &[],
            None,
            json!({ "pending": pending_json }),
        ));
    } else if !project.global.quiet {
        if steps.is_empty() {
            println!(
                "nothing to apply: environment `{}` is up to date ({applied} migrations applied)",
                session.env.name
            );
        } else {
            println!(
                "would apply {} migrations to `{}` (dry run, nothing changed):",
                steps.len(),
                session.env.name
            );
            for s in steps {
                println!(
                    "  {}_{}  {} statements{}",
                    s.migration.version,
                    s.migration.name,
                    s.statements.len(),
                    if s.no_transaction {
                        ", no transaction"
                    } else {
                        ""
                    }
                );
            }
        }
    }
}

/// Runs `apply`.
pub fn run(project: &Project, a: &ApplyArgs) -> Result<Outcome> {
    let session = Session::start(project, "apply")?;
    let catalog = project.catalog()?;
    let to = target_version(&catalog, &a.to)?;
    let read_history = |db: &mut dyn sluice_db::Database| {
        state::load_history(db, &catalog).map_err(|e| anyhow!("reading sluice_history: {e}"))
    };

    if a.dry_run {
        // The plan: read-only on the target (no lock, nothing written), the
        // replay on a scratch database; it stops before the target.
        let opts = crate::plan::PlanOptions {
            to,
            ..Default::default()
        };
        return crate::commands::plan::execute(&session, &catalog, &opts);
    }

    let mut db = session.lock()?;
    let history = read_history(&mut *db)?;
    let steps = match plan(
        project,
        &session,
        &mut *db,
        true,
        &catalog,
        &history,
        to.as_ref(),
    )? {
        Plan::Blocked(findings) => return session.refuse(&mut db, findings),
        Plan::Ready { steps, applied } if steps.is_empty() => {
            print_pending(
                project,
                &session,
                &steps,
                applied,
                crate::evidence::RunOutcome::Noop,
            );
            session.finish(
                crate::evidence::RunOutcome::Noop,
                vec![],
                vec![],
                json!({ "applied": applied }),
                None,
            );
            return Ok(Outcome::Ok);
        }
        Plan::Ready { steps, .. } => steps,
    };

    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables: {e}"))?;
    run_steps(project, &session, db, &steps, serde_json::Value::Null)
}

/// Runs `steps` under the lock `db` holds, printing progress, then writes
/// the evidence (with `details`) and prints the outcome.
pub(crate) fn run_steps(
    project: &Project,
    session: &Session<'_>,
    mut db: sluice_db::LockGuard,
    steps: &[runner::Step<'_>],
    details: serde_json::Value,
) -> Result<Outcome> {
    let text = !project.json() && !project.global.quiet;
    if text {
        println!(
            "applying {} migration{} to `{}` ({})",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" },
            session.env.name,
            session.env.redacted_url()
        );
    }
    let info = session.info();
    let mut progress = crate::progress::Progress::start(project, session.command, steps.len(), 2);
    if let Some(first) = steps.first() {
        progress.working_on(&format!(
            "{}_{}",
            first.migration.version, first.migration.name
        ));
    }
    let mut next = 1;
    let (done, stop) = runner::run(&mut db, &info, steps, &mut |rec| {
        if text {
            progress.suspend(|| {
                println!(
                    "  {}_{}  ok ({} ms)",
                    rec.version, rec.name, rec.duration_ms
                )
            });
        }
        progress.tick(&format!("{}_{}", rec.version, rec.name));
        if let Some(s) = steps.get(next) {
            progress.working_on(&format!("{}_{}", s.migration.version, s.migration.name));
        }
        next += 1;
    });
    drop(progress);
    drop(db); // releases the lock before the slower file writes
    let (records, outcome) = session.finish_run_with(done, stop, details);
    if outcome == Outcome::Ok && text {
        let ms: u128 = records.iter().map(|r| r.duration_ms).sum();
        println!(
            "applied {} migration{} in {ms} ms",
            records.len(),
            if records.len() == 1 { "" } else { "s" }
        );
    }
    Ok(outcome)
}
