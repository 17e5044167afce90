//! `--format markdown`: a findings table for pull-request comments.

use crate::Summary;
use sluice_lint::Diagnostic;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The findings as a Markdown table with a summary line.
pub fn render(diags: &[Diagnostic], summary: Summary) -> String {
    let mut out = String::from("### sluice check\n\n");
    if diags.is_empty() {
        out.push_str(&format!("No findings in {} migrations.\n", summary.files));
        return out;
    }
    out.push_str("| severity | rule | location | message | help |\n|---|---|---|---|---|\n");
    for d in diags {
        out.push_str(&format!(
            "| {} | `{}` | `{}:{}:{}` | {} | {} |\n",
            d.severity.as_str(),
            d.rule,
            d.path,
            d.line,
            d.column,
            cell(&d.message),
            cell(&d.help)
        ));
    }
    out.push_str(&format!("\n{}\n", crate::text::summary_line(summary)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_stable() {
        let d = Diagnostic::new(
            sluice_lint::RuleId::DropTable,
            "db/migrations/1_a.sql",
            7,
            1,
            "DROP TABLE a | b",
            "bypass",
        );
        insta::assert_snapshot!(render(
            std::slice::from_ref(&d),
            Summary::of(std::slice::from_ref(&d), 1)
        ));
    }
}
