//! `header-invalid`: a header value is not allowed.
//!
//! Fires on: a MIGRATION_ID that is not the file's version; a RISK_LEVEL other
//! than Low, Medium or High; a FORWARD_ONLY other than Yes or No; an empty value;
//! a field given twice; an unknown `-- sluice:` directive in the header.
//! Why: a header that lies is worse than none: gates and reviewers trust it.
//! Example: `-- RISK_LEVEL: Extreme`. Instead: use an allowed value.

use super::define::*;
use super::Context;
use crate::Diagnostic;
use sluice_core::header::{parse_yes_no, RiskLevel, KNOWN_DIRECTIVES};

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "header-invalid",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a header value is not allowed",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // `[policy] migration_id`: the version itself, any id, or a pattern
    // (validated when the configuration is read).
    let pattern = match ctx.migration_id {
        "revision" | "any" => None,
        p => regex::Regex::new(p).ok(),
    };
    let id_ok = |value: &str, version: &str| match ctx.migration_id {
        "revision" => value == version,
        "any" => true,
        _ => pattern.as_ref().is_none_or(|re| re.is_match(value)),
    };
    for m in &ctx.catalog.migrations {
        let mut seen = std::collections::HashSet::new();
        for f in &m.header.fields {
            let mut bad = |message: String, help: String| {
                out.push(Diagnostic::new(
                    crate::RuleId::HeaderInvalid,
                    m.header_path(),
                    f.line,
                    f.value_column,
                    message,
                    help,
                ))
            };
            if !seen.insert(f.key.as_str()) {
                bad(
                    format!("{} is given more than once", f.key),
                    "keep one line per header field".into(),
                );
                continue;
            }
            let known = matches!(
                f.key.as_str(),
                "MIGRATION_ID"
                    | "TITLE"
                    | "CHANGE_TYPE"
                    | "RISK_LEVEL"
                    | "FORWARD_ONLY"
                    | "JUSTIFICATION"
                    | "ROLLBACK_STRATEGY"
            ) || f.key.starts_with("TOUCHES_");
            if f.value.is_empty() && (known || ctx.require_header.contains(&f.key)) {
                bad(
                    format!("{} is empty", f.key),
                    format!("write a value after `-- {}:`", f.key),
                );
                continue;
            }
            match f.key.as_str() {
                "MIGRATION_ID" if !id_ok(&f.value, m.version.as_str()) => bad(
                    match ctx.migration_id {
                        "revision" => format!(
                            "MIGRATION_ID {} is not this file's version {}",
                            f.value, m.version
                        ),
                        p => format!(
                            "MIGRATION_ID {} does not match [policy] migration_id `{p}`",
                            f.value
                        ),
                    },
                    format!(
                        "write `-- MIGRATION_ID: {}` (the version in the file name), or set [policy] migration_id to \"any\" or the pattern of your own ids",
                        m.version
                    ),
                ),
                "RISK_LEVEL" if RiskLevel::parse(&f.value).is_none() => bad(
                    format!("RISK_LEVEL `{}` is not allowed", f.value),
                    "use Low, Medium or High".into(),
                ),
                "FORWARD_ONLY" if parse_yes_no(&f.value).is_none() => bad(
                    format!("FORWARD_ONLY `{}` is not allowed", f.value),
                    "use Yes or No".into(),
                ),
                _ => {}
            }
        }
        for d in &m.header.directives {
            if !KNOWN_DIRECTIVES.contains(&d.name.as_str()) && d.name != "down" {
                out.push(Diagnostic::new(
                    crate::RuleId::HeaderInvalid,
                    m.header_path(),
                    d.line,
                    1,
                    format!("unknown directive `-- sluice:{}`", d.name),
                    format!(
                        "known directives: {}",
                        KNOWN_DIRECTIVES
                            .iter()
                            .map(|k| format!("sluice:{k}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn bad_values_are_located() {
        let d = tempfile::tempdir().unwrap();
        let bad = good("1000000000001")
            .replace("RISK_LEVEL: Low", "RISK_LEVEL: Extreme")
            .replace("MIGRATION_ID: 1000000000001", "MIGRATION_ID: 42")
            .replace(
                "FORWARD_ONLY: No",
                "FORWARD_ONLY: Maybe\n-- sluice:no-transactoin",
            );
        write(
            d.path(),
            &[
                ("1000000000001_a.sql", &bad),
                ("1000000000002_b.sql", &good("1000000000002")),
            ],
        );
        hash(d.path());
        let diags = lint(d.path(), "header-invalid");
        let lines: Vec<_> = diags.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(lines, vec![(1, 18), (4, 16), (5, 18), (6, 1)], "{diags:#?}");
    }

    #[test]
    fn valid_header_is_clean() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &[("1000000000001_a.sql", &good("1000000000001"))]);
        hash(d.path());
        assert!(lint(d.path(), "header-invalid").is_empty());
    }
}
