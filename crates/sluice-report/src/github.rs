//! `--format github`: GitHub Actions workflow commands, one per diagnostic:
//! `::error file=PATH,line=L,col=C,title=RULE::MESSAGE`. Properties and messages
//! are escaped as the workflow-command syntax requires.

use sluice_lint::{Diagnostic, Severity};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotations, one per line.
pub fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warn => "warning",
        };
        out.push_str(&format!(
            "::{kind} file={},line={},col={},title={}::{}\n",
            escape_property(&d.path),
            d.line,
            d.column,
            escape_property(d.rule),
            escape_data(&format!("{}\nhelp: {}", d.message, d.help)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_stable() {
        let d = Diagnostic::new(
            sluice_lint::RuleId::DropTable,
            "db/migrations/1_a,b.sql",
            12,
            3,
            "DROP TABLE t: 100% gone",
            "bypass",
        );
        insta::assert_snapshot!(render(&[d]));
    }
}
