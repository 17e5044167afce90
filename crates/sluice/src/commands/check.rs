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
        migration_id: &project.config.file.policy.migration_id,
    })
}

/// Statement and migration rules over every migration: unchanged migrations
/// from the analysis cache, the others on all cores.
fn lint_statements(project: &Project, migrations: &[Migration]) -> Result<Vec<Diagnostic>> {
    let policy = crate::risk::policy(project)?;
    let mut cache = crate::lint_cache::LintCache::load(project, &policy);
    let mut diags = Vec::new();
    let mut misses = Vec::new();
    for m in migrations {
        match cache.get(m) {
            Some(lint) => diags.extend(lint.diagnostics),
            None => misses.push(m),
        }
    }
    for (m, lint) in lint_all(project, &policy, misses)? {
        cache.put(m, &lint);
        diags.extend(lint.diagnostics);
    }
    cache.save();
    Ok(diags)
}

/// Analyses migrations on all cores. Work is taken from a shared queue, largest
/// file first, so one large file does not leave the other cores idle at the end.
fn lint_all<'m>(
    project: &Project,
    policy: &sluice_lint::Policy<'_>,
    mut migrations: Vec<&'m Migration>,
) -> Result<Vec<(&'m Migration, sluice_lint::MigrationLint)>> {
    // Reading the text is the only fallible step; do it first, in order.
    for m in &migrations {
        m.load_text()?;
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(migrations.len().max(1));
    let lint_one = |m: &'m Migration| (m, crate::risk::lint(project, policy, m));
    if migrations.len() < 4 || threads == 1 {
        return Ok(migrations.into_iter().map(lint_one).collect());
    }
    migrations.sort_by_key(|m| std::cmp::Reverse(m.text().len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let queue = &migrations;
    Ok(std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(m) = queue.get(i) else { break };
                        out.push(lint_one(m));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("lint thread panicked"))
            .collect()
    }))
}
