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
    // Each file is read once and indexed by line, so rendering is linear in
    // the number of findings however many there are in one file.
    let mut cache: HashMap<&str, Option<Lines>> = HashMap::new();
    for d in diags {
        let text = cache
            .entry(d.path.as_str())
            .or_insert_with(|| source(&d.path).map(Lines::new));
        let _ = writeln!(
            out,
            "{}[{}]{}: {}",
            d.severity.as_str(),
            d.rule,
            if d.in_down_section() {
                " (down section)"
            } else {
                ""
            },
            d.message
        );
        let line_text = text.as_ref().and_then(|t| t.line(d.line));
        let gutter = d.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {}:{}:{}", d.path, d.line, d.column);
        if let Some(l) = line_text {
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {}", d.line, l);
            let col = d.column.saturating_sub(1);
            let rest: String = l.chars().skip(col).collect();
            // The span's part on this line when the diagnostic has one (the
            // statement or clause), else the word at the column.
            let spanned = text
                .as_ref()
                .zip(d.span.as_ref())
                .and_then(|(t, sp)| t.span_width(d.line, col, sp));
            let width = spanned
                .unwrap_or_else(|| rest.chars().take_while(|c| !c.is_whitespace()).count())
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

/// A file's text with the offset of each line.
struct Lines {
    text: String,
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: String) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// How many characters of line `n`, from character `col`, lie inside the
    /// byte range `span` (None when the span does not start on this line).
    fn span_width(&self, n: usize, col: usize, span: &std::ops::Range<usize>) -> Option<usize> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let line = self.line(n)?;
        let end = start + line.len();
        if span.start < start || span.start > end {
            return None;
        }
        let from = start + line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
        let to = span.end.min(end);
        let text = self.text.get(from..to)?;
        Some(text.trim_end().chars().count())
    }

    /// Line `n` (1-based) without its line ending, as `str::lines` gives it.
    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        if start == self.text.len() {
            return None; // after a final newline there is no line
        }
        let end = self.starts.get(n).map(|e| e - 1).unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches('\r'))
    }
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

    #[test]
    fn a_span_is_underlined_to_its_end_on_the_line() {
        let text = "-- x\nALTER TABLE t ADD COLUMN c int NOT NULL;\n";
        let start = text.find("ALTER").unwrap();
        let end = text.find(';').unwrap();
        let d = Diagnostic::new(
            sluice_lint::RuleId::NotNullWithoutDefault,
            "m.sql",
            2,
            1,
            "m",
            "",
        )
        .with_span(Some(start..end));
        let out = render(&[d], Summary::default(), &|_| Some(text.to_string()));
        assert!(
            out.contains(&format!("  | {}\n", "^".repeat(end - start))),
            "{out}"
        );
    }

    #[test]
    fn lines_match_str_lines() {
        for t in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "x\n\ny"] {
            let l = Lines::new(t.to_string());
            let want: Vec<&str> = t.lines().map(|x| x.trim_end_matches('\r')).collect();
            let got: Vec<&str> = (1..=want.len() + 1).filter_map(|n| l.line(n)).collect();
            assert_eq!(got, want, "{t:?}");
        }
    }
    use sluice_lint::Diagnostic;

    #[test]
    fn renders_rustc_style() {
        let d = Diagnostic::new(
            sluice_lint::RuleId::HeaderInvalid,
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
