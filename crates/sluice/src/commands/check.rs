//! `sluice check`: every static rule over the migrations directory. No database.
//! Exit 0 clean (warnings allowed), 1 when an error-severity finding remains, 2
//! when the input cannot be read (a malformed ledger, a non-UTF-8 file).
//!
//! Each migration is judged against the schema model of the history before
//! it; they are parsed on all cores, then judged in apply order.

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::Result;
use sluice_core::Migration;
use sluice_lint::registry::apply_overrides;
use sluice_lint::{lint_contract, Context, Diagnostic};
use sluice_report::Summary;

/// Runs `check`.
pub fn run(project: &Project) -> Result<Outcome> {
    // Every environment's settings are valid (roles, patterns, durations,
    // allow_reset), whatever its URL's variables are set to here: a pull
    // request's CI finds a broken [environments.production] before a deploy.
    for name in project.config.environment_names() {
        project.config.environment(
            Some(&name),
            Some("sqlite://check.invalid"),
            &crate::project::overrides(&project.global),
        )?;
    }
    let catalog = project.catalog()?;
    let mut diags = contract(project, &catalog, project.ledger()?);
    diags.extend(crate::progress::watch(project, "check", 500, || {
        lint_statements(project, &catalog.migrations)
    })?);
    let startup = &project.config.file.startup;
    // One listing of the project for both automation scans.
    let files = sluice_lint::rules::startup_migration::ProjectFiles::walk(&project.config.root);
    diags.extend(
        sluice_lint::rules::startup_migration::check(&files, &startup.paths, &startup.patterns)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?,
    );
    diags.extend(sluice_lint::rules::downgrade_in_automation::check(&files));
    let mut diags = apply_overrides(diags, &project.rule_overrides);
    diags.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    let summary = Summary::of(&diags, catalog.migrations.len());
    let cases: Vec<String> = catalog
        .migrations
        .iter()
        .map(|m| m.display_path.clone())
        .collect();
    crate::output::print_diagnostics(project, &diags, summary, None, "check", &cases);
    Ok(crate::cli::lint_outcome(&project.global, &diags))
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
        migration_id: &project.config.file.policy.migration_id,
    })
}

/// Statement and migration rules over every migration, each judged against
/// the history before it: unchanged migrations from the analysis cache, the
/// others parsed on all cores.
fn lint_statements(project: &Project, migrations: &[Migration]) -> Result<Vec<Diagnostic>> {
    let policy = crate::risk::policy(project)?;
    Ok(
        crate::risk::lint_history(project, &policy, migrations, &|_| true)?
            .into_iter()
            .flat_map(|(_, lint)| lint.diagnostics)
            .collect(),
    )
}
