//! Shared output helpers for commands that are not plain diagnostics reports.

use crate::project::Project;
use serde_json::Value;
use sluice_lint::Diagnostic;
use sluice_report::Summary;

/// Version of every JSON document sluice prints (see docs/json.md).
pub const SCHEMA_VERSION: u32 = sluice_report::SCHEMA_VERSION;

pub use sluice_engine::shell_word;

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

/// Prints diagnostics in the selected format (`check`, `guard`). In text, a
/// clean result prints `clean_text` when given, else the summary; `-q` prints
/// only error-severity findings (and nothing when there are none).
pub fn print_diagnostics(
    project: &Project,
    diags: &[Diagnostic],
    summary: Summary,
    clean_text: Option<String>,
    suite: &str,
    cases: &[String],
) {
    use crate::cli::Format;
    match project.global.format {
        Format::Gitlab => print!("{}", sluice_report::gitlab::render(diags)),
        Format::Junit => print!("{}", sluice_report::junit::render(suite, diags, cases)),
        Format::Json => print!(
            "{}",
            sluice_report::json::render(diags, summary, sluice_core::TOOL_VERSION)
        ),
        Format::Sarif => print!(
            "{}",
            sluice_report::sarif::render(diags, sluice_core::TOOL_VERSION)
        ),
        Format::Github => print!("{}", sluice_report::github::render(diags)),
        Format::Markdown => print!("{}", sluice_report::markdown::render(diags, summary)),
        Format::Text | Format::Html => {
            // `-q`: errors only (the exit code still says what was found).
            let errors: Vec<Diagnostic>;
            let diags = if project.global.quiet {
                errors = diags
                    .iter()
                    .filter(|d| d.severity == sluice_lint::Severity::Error)
                    .cloned()
                    .collect();
                if errors.is_empty() {
                    return;
                }
                &errors[..]
            } else {
                diags
            };
            match clean_text.filter(|_| diags.is_empty()) {
                Some(t) => println!("{t}"),
                None => {
                    let root = project.config.root.clone();
                    let src = move |p: &str| std::fs::read_to_string(root.join(p)).ok();
                    print!("{}", sluice_report::text::render(diags, summary, &src));
                }
            }
        }
    }
}
