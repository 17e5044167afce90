//! The two mechanisms every rule shares: destructive bypasses
//! (`-- CI:DESTRUCTIVE_OK <reference> <why>`) and `sluice:allow`
//! suppressions.

use super::*;

struct Allow {
    line: usize,
    rules: Vec<&'static str>,
    target: Option<usize>,
    used: bool,
}

/// Destructive findings with a valid `CI:DESTRUCTIVE_OK` bypass are allowed
/// (their risk stays); one with an invalid reference is `bypass-invalid`.
pub(super) fn bypasses(
    m: &Migration,
    analysis: &Analysis,
    p: &Policy<'_>,
    findings: Vec<Finding>,
    stmt_risk: &mut [RiskLevel],
) -> Vec<Finding> {
    // Bypasses.
    let comment_text = |c: &sluice_sql::Comment| m.text()[c.range.clone()].trim().to_string();
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        let destructive =
            f.rule.info().group == Group::Destructive && f.rule != crate::RuleId::BypassInvalid;
        if let (true, Some(i)) = (destructive, f.statement) {
            let st = &analysis.statements[i].stmt;
            let bypass = analysis
                .comments
                .iter()
                .filter(|c| c.line >= st.line && c.line <= st.end_line)
                .map(comment_text)
                .find_map(|t| {
                    t.strip_prefix("CI:DESTRUCTIVE_OK")
                        .map(|r| r.trim().to_string())
                });
            if let Some(rest) = bypass {
                if p.bypass.is_match(&rest) {
                    // Allowed, but still as risky as it was.
                    if let Some(r) = f.risk {
                        stmt_risk[i] = stmt_risk[i].max(r);
                    }
                    continue;
                }
                out.push(Finding {
                    rule: crate::RuleId::BypassInvalid,
                    message: format!(
                        "`CI:DESTRUCTIVE_OK` on this line cites no reference matching `{}` ({} needs one)",
                        p.bypass.as_str(),
                        f.rule
                    ),
                    help: "write `-- CI:DESTRUCTIVE_OK ADR-123 why this is safe` with a reference to the decision that allows it".into(),
                    risk: f.risk,
                    ..f
                });
                continue;
            }
        }
        out.push(f);
    }
    out
}

/// `sluice:allow` suppressions: the findings they do not suppress (whose risk
/// counts), plus invalid and unused suppressions.
pub(super) fn suppressions(
    m: &Migration,
    analysis: &Analysis,
    mut out: Vec<Finding>,
    stmt_risk: &mut [RiskLevel],
) -> Vec<Finding> {
    let comment_text = |c: &sluice_sql::Comment| m.text()[c.range.clone()].trim().to_string();
    // Suppressions.
    let mut allows: Vec<Allow> = Vec::new();
    for c in &analysis.comments {
        let t = comment_text(c);
        // `-- squawk-ignore RULE` (squawk's own syntax) suppresses the
        // equivalent sluice rules, with the same reason requirement; a squawk
        // rule sluice has no equivalent of is left alone.
        let (rest, squawk) = match (
            t.strip_prefix("sluice:allow"),
            t.strip_prefix("squawk-ignore "),
        ) {
            (Some(rest), _) => (rest, false),
            (None, Some(rest)) => (rest, true),
            _ => continue,
        };
        let (ids, reason) = match rest.split_once("reason:") {
            Some((ids, reason)) => (ids, reason.trim()),
            None => (rest, ""),
        };
        let mut rules = Vec::new();
        let mut bad = Vec::new();
        for id in ids
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if squawk {
                rules.extend(squawk_equivalents(id));
                continue;
            }
            match lookup(id) {
                Some(r) => rules.push(r.id),
                None => bad.push(id.to_string()),
            }
        }
        if squawk && rules.is_empty() {
            continue;
        }
        if !bad.is_empty() || rules.is_empty() || reason.is_empty() {
            let what = if rules.is_empty() && bad.is_empty() {
                "names no rule".to_string()
            } else if !bad.is_empty() {
                format!(
                    "names unknown rule{} {}",
                    if bad.len() > 1 { "s" } else { "" },
                    bad.join(", ")
                )
            } else {
                "gives no reason".to_string()
            };
            out.push(Finding {
                rule: crate::RuleId::SuppressionInvalid,
                line: c.line,
                column: 1,
                message: format!(
                    "this {} {what}",
                    if squawk { "squawk-ignore" } else { "sluice:allow" }
                ),
                help: if squawk {
                    "add the reason sluice requires: `-- squawk-ignore RULE reason: why the statement is safe`".into()
                } else {
                    "write `-- sluice:allow RULE-ID reason: why the statement is safe`".into()
                },
                risk: None,
                statement: None,
                span: None,
                fix: None,
            });
            continue;
        }
        let target = if c.trailing {
            analysis
                .statements
                .iter()
                .position(|s| s.stmt.line <= c.line && c.line <= s.stmt.end_line)
        } else {
            analysis
                .statements
                .iter()
                .position(|s| s.stmt.line > c.line)
        };
        allows.push(Allow {
            line: c.line,
            rules,
            target,
            used: false,
        });
    }
    let mut kept = Vec::new();
    for f in out {
        let allow = allows.iter_mut().find(|a| {
            a.target.is_some() && a.target == f.statement && a.rules.contains(&f.rule.as_str())
        });
        match allow {
            Some(a) => a.used = true,
            None => {
                if let (Some(i), Some(r)) = (f.statement, f.risk) {
                    stmt_risk[i] = stmt_risk[i].max(r);
                }
                kept.push(f);
            }
        }
    }
    for a in allows.iter().filter(|a| !a.used) {
        kept.push(Finding {
            rule: crate::RuleId::SuppressionUnused,
            line: a.line,
            column: 1,
            message: format!(
                "this sluice:allow {} suppresses nothing",
                a.rules.join(", ")
            ),
            help: "remove it (the statement it precedes does not trigger that rule)".into(),
            risk: None,
            statement: None,
            span: None,
            fix: None,
        });
    }
    kept
}

/// The sluice rules a squawk rule id stands for (none when sluice has no
/// equivalent).
pub(crate) fn squawk_equivalents(squawk: &str) -> Vec<&'static str> {
    let ids: &[&'static str] = match squawk {
        "adding-field-with-default" => &["volatile-default-rewrite"],
        "adding-foreign-key-constraint" | "constraint-missing-not-valid" => {
            &["constraint-not-valid"]
        }
        "adding-not-nullable-field" | "adding-required-field" => &["not-null-without-default"],
        "adding-serial-primary-key-field" | "disallowed-unique-constraint" => {
            &["unique-constraint-lock"]
        }
        "ban-drop-column" => &["drop-column"],
        "ban-drop-database" => &["drop-database"],
        "ban-drop-not-null" => &["drop-not-null"],
        "ban-drop-table" => &["drop-table"],
        "ban-truncate-cascade" => &["truncate"],
        "changing-column-type" => &["column-type-change"],
        "renaming-column" => &["rename-column"],
        "renaming-table" => &["rename-table"],
        "require-concurrent-index-creation" => &["index-not-concurrent"],
        "require-concurrent-index-deletion" => &["drop-index-not-concurrent"],
        "ban-concurrent-index-creation-in-transaction" => &["concurrently-in-transaction"],
        "transaction-nesting" => &["transaction-nesting"],
        "require-timeout-settings" => &["missing-lock-timeout"],
        _ => &[],
    };
    ids.to_vec()
}
