//! `sluice plan --env E [--to V] [--scratch-url URL] [--no-replay]`: what
//! `apply` would do now, proven on a scratch database (see `crate::plan`).
//! Exit 0 would apply (or nothing to do), 1 blocked, 2 error. `sluice apply
//! --dry-run` is the same command.

use crate::cli::{Format, Outcome};
use crate::plan::{self, PlanOptions};
use crate::project::Project;
use crate::session::Session;
use anyhow::Result;
use clap::Args;
use serde_json::json;

/// Options for `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan pending migrations up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Server for the scratch database (overrides the environment's scratch_url).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
    /// Skip the scratch replay (no observed locks, no proof that migrations apply).
    #[arg(long)]
    pub no_replay: bool,
}

/// Runs `plan`.
pub fn run(project: &Project, a: &PlanArgs) -> Result<Outcome> {
    let session = Session::start(project, "plan")?;
    let catalog = project.catalog()?;
    let to = crate::commands::apply::target_version(&catalog, &a.to)?;
    let opts = PlanOptions {
        to,
        scratch_url: a.scratch_url.clone(),
        no_replay: a.no_replay,
    };
    execute(&session, &catalog, &opts)
}

/// Plans, prints, records evidence; shared with `apply --dry-run`.
pub fn execute(
    session: &Session<'_>,
    catalog: &sluice_core::Catalog,
    opts: &PlanOptions,
) -> Result<Outcome> {
    let project = session.project;
    catalog.read_texts()?;
    let report = plan::plan(session, catalog, opts)?;
    let outcome = if report.blocked() {
        crate::evidence::RunOutcome::Blocked
    } else if report.pending.is_empty() {
        crate::evidence::RunOutcome::Noop
    } else {
        crate::evidence::RunOutcome::WouldApply
    };
    let details = json!({
        "applied": report.applied,
        "pending": report.pending,
        "risk": report.risk,
        "gates": report.gates,
        "replay": report.replay,
        "locks": report.locks,
        "sizes": report.sizes,
        "rollback": report.rollback,
    });
    session.finish(
        outcome,
        vec![],
        report.blocking.clone(),
        details.clone(),
        None,
    );
    match project.global.format {
        Format::Json => crate::output::print_json(&session.document(
            outcome,
            &[],
            &report.blocking,
            None,
            details,
        )),
        Format::Markdown => print!(
            "{}",
            crate::secrets::scrub(&sluice_report::plan::markdown(&session.env.name, &report))
        ),
        Format::Html => {
            let root = project.config.root.clone();
            let src = move |p: &str| std::fs::read_to_string(root.join(p)).ok();
            print!(
                "{}",
                crate::secrets::scrub(&sluice_report::html::plan(&session.env.name, &report, &src))
            )
        }
        Format::Gitlab => print!(
            "{}",
            crate::secrets::scrub(&sluice_report::gitlab::render(&report.blocking))
        ),
        Format::Junit => {
            let cases: Vec<String> = report.pending.iter().map(|p| p.path.clone()).collect();
            print!(
                "{}",
                crate::secrets::scrub(&sluice_report::junit::render(
                    "plan",
                    &report.blocking,
                    &cases
                ))
            )
        }
        _ => {
            if !project.global.quiet {
                print!(
                    "{}",
                    crate::secrets::scrub(&sluice_report::plan::text(
                        &session.env.name,
                        &session.env.redacted_url(),
                        &report
                    ))
                );
            }
            if report.blocked() {
                crate::output::print_findings(project, &report.blocking);
                eprintln!(
                    "plan: apply on `{}` would be blocked ({} finding{}); nothing was changed",
                    session.env.name,
                    report.blocking.len(),
                    if report.blocking.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(if report.blocked() {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}
