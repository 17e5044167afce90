//! Rustc-style text:
//!
//! ```text
//! error[header-invalid]: RISK_LEVEL `Extreme` is not allowed
//!   --> db/migrations/1732190000000_add_key.sql:4:16
//!    |
//!  4 | -- RISK_LEVEL: Extreme
//!    |                ^^^^^^^
//!    = help: use Low, Medium or High
//! ```

use crate::Summary;
use sluice_lint::Diagnostic;
use std::collections::HashMap;
use std::fmt::Write;

/// Renders diagnostics; `source` returns a file's text by its relative path.
pub fn render(
    diags: &[Diagnostic],
    summary: Summary,
    source: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut cache: HashMap<&str, Option<String>> = HashMap::new();
    for d in diags {
        let text = cache
            .entry(d.path.as_str())
            .or_insert_with(|| source(&d.path));
        let _ = writeln!(out, "{}[{}]: {}", d.severity.as_str(), d.rule, d.message);
        let line_text = text
            .as_deref()
            .and_then(|t| t.lines().nth(d.line - 1))
            .map(|l| l.trim_end_matches('\r'));
        let gutter = d.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {}:{}:{}", d.path, d.line, d.column);
        if let Some(l) = line_text {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {}", d.line, l);
            let col = d.column.saturating_sub(1);
            let rest: String = l.chars().skip(col).collect();
            let width = rest
                .chars()
                .take_while(|c| !c.is_whitespace())
                .count()
                .max(1);
            let lead: String = l
                .chars()
                .take(col)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
        }
        if !d.help.is_empty() {
            let _ = writeln!(out, "{pad} = help: {}", d.help);
        }
        out.push('\n');
    }
    out.push_str(&summary_line(summary));
    out.push('\n');
    out
}

/// The closing line.
pub fn summary_line(s: Summary) -> String {
    let files = plural(s.files, "migration");
    if s.errors == 0 && s.warnings == 0 {
        return format!("ok: {files} checked, no findings");
    }
    format!(
        "{}: {} and {} in {files}",
        if s.errors > 0 { "failed" } else { "ok" },
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_lint::Diagnostic;

    #[test]
    fn renders_rustc_style() {
        let d = Diagnostic::new(
            "header-invalid",
            "db/migrations/1732190000000_add_key.sql",
            4,
            16,
            "RISK_LEVEL `Extreme` is not allowed",
            "use Low, Medium or High",
        );
        let src = |_: &str| {
            Some("-- MIGRATION_ID: 1732190000000\n-- TITLE: x\n-- CHANGE_TYPE: Column\n-- RISK_LEVEL: Extreme\n".to_string())
        };
        let out = render(
            std::slice::from_ref(&d),
            Summary::of(std::slice::from_ref(&d), 1),
            &src,
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn clean_summary() {
        assert_eq!(
            summary_line(Summary {
                errors: 0,
                warnings: 0,
                files: 3
            }),
            "ok: 3 migrations checked, no findings"
        );
        assert_eq!(
            summary_line(Summary {
                errors: 1,
                warnings: 2,
                files: 1
            }),
            "failed: 1 error and 2 warnings in 1 migration"
        );
    }
}
