//! `sluice check`: every static rule over the migrations directory. No database.
//! Exit 0 clean (warnings allowed), 1 when an error-severity finding remains, 2
//! when the input cannot be read (a malformed ledger, a non-UTF-8 file).
//!
//! Migrations are independent until policy, so they are analysed on all cores.

use crate::cli::{Format, Outcome};
use crate::project::Project;
use anyhow::Result;
use sluice_core::Migration;
use sluice_lint::registry::apply_overrides;
use sluice_lint::{lint_contract, Context, Diagnostic, Severity};
use sluice_report::Summary;

/// Runs `check`.
pub fn run(project: &Project) -> Result<Outcome> {
    let catalog = project.catalog()?;
    let ledger = project.ledger()?;
    let ledger_display = project.rel(&project.config.ledger_path);
    let ctx = Context {
        catalog: &catalog,
        ledger: ledger.as_ref().map(|(l, _)| l),
        ledger_text: ledger.as_ref().map(|(_, t)| t.as_str()),
        ledger_display: &ledger_display,
        require_header: &project.config.file.policy.require_header,
    };
    let mut diags = lint_contract(&ctx);
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
    match project.global.format {
        Format::Json => print!(
            "{}",
            sluice_report::json::render(&diags, summary, sluice_core::TOOL_VERSION)
        ),
        Format::Sarif => print!(
            "{}",
            sluice_report::sarif::render(&diags, sluice_core::TOOL_VERSION)
        ),
        Format::Github => print!("{}", sluice_report::github::render(&diags)),
        Format::Markdown => print!("{}", sluice_report::markdown::render(&diags, summary)),
        Format::Text => {
            let root = project.config.root.clone();
            let src = move |p: &str| std::fs::read_to_string(root.join(p)).ok();
            let text = sluice_report::text::render(&diags, summary, &src);
            if project.global.quiet && diags.is_empty() {
                // Nothing to say.
            } else {
                print!("{text}");
            }
        }
    }
    Ok(if diags.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else {
        Outcome::Ok
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
