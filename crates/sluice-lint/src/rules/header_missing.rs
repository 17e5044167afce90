//! `header-missing`: a required header field is absent (`[policy]
//! require_header`, default MIGRATION_ID, TITLE, CHANGE_TYPE, RISK_LEVEL,
//! FORWARD_ONLY, ROLLBACK_STRATEGY).
//!
//! Why: reviewers and auditors read the header to know what a migration does, how
//! risky it is and how to roll it back. Example: a file that starts with SQL.
//! Instead: start the file with the header `sluice new` writes.

use super::define::*;
use super::Context;
use crate::Diagnostic;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "header-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a required header field is absent",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for m in &ctx.catalog.migrations {
        let missing: Vec<&str> = ctx
            .require_header
            .iter()
            .map(String::as_str)
            .filter(|k| m.header.get(k).is_none())
            .collect();
        for key in missing {
            let example = match key {
                "MIGRATION_ID" => m.version.to_string(),
                "RISK_LEVEL" => "Low".into(),
                "FORWARD_ONLY" => "No".into(),
                "TITLE" => "What this migration does".into(),
                "CHANGE_TYPE" => "Table".into(),
                "ROLLBACK_STRATEGY" => "down section below".into(),
                _ => "...".into(),
            };
            out.push(Diagnostic::new(
                crate::RuleId::HeaderMissing,
                m.header_path(),
                1,
                1,
                format!("migration {} has no {key} header field", m.version),
                format!("add `-- {key}: {example}` to the comment block at the top of the file"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn each_missing_field_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let partial = good("1000000000001")
            .replace("-- TITLE: Create a\n", "")
            .replace("-- RISK_LEVEL: Low\n", "");
        write(
            d.path(),
            &[
                ("1000000000001_a.sql", &partial),
                ("1000000000002_b.sql", &good("1000000000002")),
            ],
        );
        hash(d.path());
        let diags = lint(d.path(), "header-missing");
        let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(diags.len(), 2, "{msgs:?}");
        assert!(msgs[0].contains("TITLE") || msgs[1].contains("TITLE"));
    }

    #[test]
    fn header_after_sql_does_not_count() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[(
                "1000000000001_a.sql",
                "CREATE TABLE a (id int);\n-- MIGRATION_ID: 1000000000001\n",
            )],
        );
        hash(d.path());
        assert_eq!(lint(d.path(), "header-missing").len(), 6);
    }
}
