//! `--format gitlab`: GitLab Code Quality, a JSON array of issues that a
//! merge request shows inline (`artifacts: reports: codequality:`): one
//! issue per diagnostic, with `description`, `check_name`, a `fingerprint`
//! stable across runs (the rule, file, line and message, hashed),
//! `severity` (`major` for errors, `minor` for warnings) and `location`
//! (`path`, `lines.begin`).

use serde_json::{json, Value};
use sluice_lint::{Diagnostic, Severity};

/// The issues, as one JSON array.
pub fn render(diags: &[Diagnostic]) -> String {
    let issues: Vec<Value> = diags
        .iter()
        .map(|d| {
            let fingerprint = sluice_core::Checksum::of(
                format!("{}\u{0}{}\u{0}{}\u{0}{}", d.rule, d.path, d.line, d.message).as_bytes(),
            )
            .to_hex();
            json!({
                "type": "issue",
                "description": format!("{}: {} (help: {})", d.rule, d.message, d.help),
                "check_name": d.rule,
                "fingerprint": &fingerprint[..32],
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warn => "minor",
                },
                "location": { "path": d.path, "lines": { "begin": d.line.max(1) } },
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("JSON values serialize");
    out.push('\n');
    out
}
