//! Shared output helpers for commands that are not plain diagnostics reports.

use crate::project::Project;
use serde_json::Value;
use sluice_lint::Diagnostic;
use sluice_report::Summary;

/// Version of every JSON document sluice prints (see docs/json.md).
pub const SCHEMA_VERSION: u32 = sluice_report::SCHEMA_VERSION;

/// Prints a JSON document.
pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).expect("serialises"));
}

/// Renders findings (gate refusals) as text on stderr.
pub fn print_findings(project: &Project, diags: &[Diagnostic]) {
    let root = project.config.root.clone();
    let src = move |p: &str| std::fs::read_to_string(root.join(p)).ok();
    let mut text = sluice_report::text::render(diags, Summary::of(diags, 0), &src);
    // The summary line counts files; gate reports are about a run instead.
    if let Some(i) = text.trim_end().rfind('\n') {
        text.truncate(i + 1);
    }
    eprint!("{}", crate::secrets::scrub(&text));
}
