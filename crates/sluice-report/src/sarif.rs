//! `--format sarif`: SARIF 2.1.0 for code-scanning tools. One run, with the
//! driver's rules (id, short description, help URI to the rule's page) and one
//! result per diagnostic (level, message, physical location with a 1-based
//! region).

use serde_json::{json, Value};
use sluice_lint::{Diagnostic, Severity, RULES};

/// Where rule pages live, relative to the repository.
pub const HELP_BASE: &str = "https://example.invalid/sluice/docs/rules/";

/// The SARIF log.
pub fn document(diags: &[Diagnostic], tool_version: &str) -> Value {
    let mut used: Vec<&str> = diags.iter().map(|d| d.rule).collect();
    used.sort_unstable();
    used.dedup();
    let rules: Vec<Value> = used
        .iter()
        .filter_map(|id| RULES.iter().find(|r| r.id == *id))
        .map(|r| {
            json!({
                "id": r.id,
                // SARIF1001: a rule's name must differ from its id.
                "name": pascal(r.id),
                "shortDescription": { "text": r.summary },
                "helpUri": format!("{HELP_BASE}{}.md", r.id),
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            json!({
                "ruleId": d.rule,
                "ruleIndex": used.iter().position(|u| *u == d.rule),
                "level": level(d.severity),
                "message": { "text": format!("{} (help: {})", d.message, d.help) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.path, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": d.line, "startColumn": d.column },
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "sluice",
                "version": tool_version,
                "informationUri": "https://example.invalid/sluice",
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "file:///" } },
            "results": results,
        }],
    })
}

/// `drop-table` → `DropTable`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warn => "warning",
    }
}

/// Pretty-printed, with a trailing newline.
pub fn render(diags: &[Diagnostic], tool_version: &str) -> String {
    let mut s = serde_json::to_string_pretty(&document(diags, tool_version)).expect("serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_stable() {
        let mut w = Diagnostic::new(
            sluice_lint::RuleId::IndexNotConcurrent,
            "db/migrations/1_a.sql",
            9,
            1,
            "CREATE INDEX blocks writes",
            "use CONCURRENTLY",
        );
        w.severity = Severity::Warn;
        let e = Diagnostic::new(
            sluice_lint::RuleId::DropTable,
            "db/migrations/1_a.sql",
            12,
            1,
            "DROP TABLE t destroys",
            "bypass with an ADR",
        );
        insta::assert_snapshot!(render(&[w, e], "0.0.0-test"));
    }
}
