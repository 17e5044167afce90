//! `sluice check`: every static rule over the migrations directory. No database.
//! Exit 0 clean (warnings allowed), 1 when an error-severity finding remains, 2
//! when the input cannot be read (a malformed ledger, a non-UTF-8 file).
//!
//! Migrations are independent until policy, so they are analysed on all cores.

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::Result;
use sluice_core::Migration;
use sluice_lint::registry::apply_overrides;
use sluice_lint::{lint_contract, Context, Diagnostic, Severity};
use sluice_report::Summary;

/// Runs `check`.
pub fn run(project: &Project) -> Result<Outcome> {
    let catalog = project.catalog()?;
    let mut diags = contract(project, &catalog, project.ledger()?);
    diags.extend(lint_statements(project, &catalog.migrations)?);
    let startup = &project.config.file.startup;
    diags.extend(
        sluice_lint::rules::startup_migration::check(
            &project.config.root,
            &startup.paths,
            &startup.patterns,
        )
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?,
    );
    let mut diags = apply_overrides(diags, &project.rule_overrides);
    diags.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    let summary = Summary::of(&diags, catalog.migrations.len());
    crate::output::print_diagnostics(project, &diags, summary, None);
    Ok(if diags.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

/// The contract rules (filenames, duplicates, headers, the ledger) over a
/// catalog and its ledger (`check`, and `guard` at head).
pub fn contract(
    project: &Project,
    catalog: &sluice_core::Catalog,
    ledger: Option<(sluice_core::Ledger, String)>,
) -> Vec<Diagnostic> {
    let display = project.rel(&project.config.ledger_path);
    lint_contract(&Context {
        catalog,
        ledger: ledger.as_ref().map(|(l, _)| l),
        ledger_text: ledger.as_ref().map(|(_, t)| t.as_str()),
        ledger_display: &display,
        require_header: &project.config.file.policy.require_header,
    })
}

/// Statement and migration rules over every migration, on all cores.
fn lint_statements(project: &Project, migrations: &[Migration]) -> Result<Vec<Diagnostic>> {
    let policy = crate::risk::policy(project)?;
    let lint_one = |m: &Migration| crate::risk::lint(project, &policy, m).diagnostics;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if migrations.len() < 16 || threads == 1 {
        return Ok(migrations.iter().flat_map(lint_one).collect());
    }
    let chunk = migrations.len().div_ceil(threads);
    Ok(std::thread::scope(|s| {
        let handles: Vec<_> = migrations
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().flat_map(lint_one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("lint thread panicked"))
            .collect()
    }))
}
