//! `--format junit`: JUnit XML, which most CI systems display as test
//! results. One `<testsuite>` for the command, one `<testcase>` per
//! migration (named by its file; `classname` is the command), passing when
//! it has no error finding. An error finding is a `<failure>` (its rule as
//! `type`, the message, and `file:line` with the help in the body);
//! warnings are listed in the case's `<system-out>`. Findings about files
//! that are not migrations (a deploy config, the ledger) get a case of
//! their own.

use sluice_lint::{Diagnostic, Severity};
use std::collections::BTreeMap;

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// One case: a name and its outcome.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// The case's name (a migration's file).
    pub name: String,
    /// Why it failed (error findings), each as (type, message, body).
    pub failures: Vec<(String, String, String)>,
    /// Other lines for `<system-out>`.
    pub output: Vec<String>,
}

/// The document for `suite` (the command) with `cases`.
pub fn render_cases(suite: &str, cases: &[Case]) -> String {
    let failures: usize = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"sluice\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"sluice {}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        cases.len(),
        escape(suite),
        cases.len()
    ));
    for c in cases {
        out.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"sluice.{}\"",
            escape(&c.name),
            escape(suite)
        ));
        if c.failures.is_empty() && c.output.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for (kind, message, body) in &c.failures {
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                escape(kind),
                escape(message),
                escape(body)
            ));
        }
        if !c.output.is_empty() {
            out.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                escape(&c.output.join("\n"))
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The cases of a linting command: one per path in `paths` (every
/// migration, in order), then one per other path a diagnostic names.
pub fn render(suite: &str, diags: &[Diagnostic], paths: &[String]) -> String {
    let mut by_path: BTreeMap<&str, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diags {
        by_path.entry(d.path.as_str()).or_default().push(d);
    }
    let mut names: Vec<&str> = paths.iter().map(String::as_str).collect();
    for p in by_path.keys() {
        if !names.contains(p) {
            names.push(p);
        }
    }
    let cases: Vec<Case> = names
        .into_iter()
        .map(|name| {
            let mut case = Case {
                name: name.to_string(),
                ..Default::default()
            };
            for d in by_path.get(name).into_iter().flatten() {
                let at = format!("{}:{}:{}", d.path, d.line, d.column);
                match d.severity {
                    Severity::Error => case.failures.push((
                        d.rule.to_string(),
                        d.message.clone(),
                        format!("{at}\nhelp: {}", d.help),
                    )),
                    Severity::Warn => case
                        .output
                        .push(format!("warning[{}] {at}: {}", d.rule, d.message)),
                }
            }
            case
        })
        .collect();
    render_cases(suite, &cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;?");
    }
}
