//! `--format json` for diagnostics:
//!
//! ```json
//! { "schema_version": 1, "tool": "sluice", "version": "0.1.0",
//!   "diagnostics": [ { "rule": "...", "severity": "error", "path": "...",
//!                      "line": 1, "column": 1, "message": "...", "help": "..." } ],
//!   "summary": { "errors": 1, "warnings": 0, "files": 3 } }
//! ```

use crate::{Summary, SCHEMA_VERSION};
use serde_json::{json, Value};
use sluice_lint::Diagnostic;

/// The JSON document for a diagnostics report.
pub fn document(diags: &[Diagnostic], summary: Summary, tool_version: &str) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": "sluice",
        "version": tool_version,
        "diagnostics": diags,
        "summary": summary,
    })
}

/// Pretty-printed, with a trailing newline.
pub fn render(diags: &[Diagnostic], summary: Summary, tool_version: &str) -> String {
    let mut s =
        serde_json::to_string_pretty(&document(diags, summary, tool_version)).expect("serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_stable() {
        let d = Diagnostic::new(
            sluice_lint::RuleId::LedgerOrphan,
            "db/migrations/checksums.json",
            7,
            1,
            "gone",
            "restore it",
        );
        insta::assert_snapshot!(render(
            std::slice::from_ref(&d),
            Summary::of(std::slice::from_ref(&d), 2),
            "0.0.0-test"
        ));
    }
}
