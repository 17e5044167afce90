//! `sluice check`: the static rules over the migrations directory. No database.
//! Exit 0 clean (warnings allowed), 1 when an error-severity finding remains, 2
//! when the input cannot be read (a malformed ledger, a non-UTF-8 file).

use crate::cli::{Format, Outcome};
use crate::project::Project;
use anyhow::Result;
use sluice_lint::registry::apply_overrides;
use sluice_lint::{lint_contract, Context, Severity};
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
    let diags = apply_overrides(lint_contract(&ctx), &project.rule_overrides);
    let summary = Summary::of(&diags, catalog.migrations.len());
    match project.global.format {
        Format::Json => print!(
            "{}",
            sluice_report::json::render(&diags, summary, sluice_core::TOOL_VERSION)
        ),
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
