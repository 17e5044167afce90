//! `--format html`: one self-contained page a reviewer opens (`report`,
//! `plan`): inline CSS, no script, no network. Per migration: what changes,
//! the statements with the locks they take and the sizes of what they lock,
//! declared against computed risk, the findings with their source lines,
//! approvals present against needed, the rollback guide, and (for
//! `report`) the schema change as before/after tables of the touched
//! tables. Every section has an `id` so tools (and tests) can find it.

use crate::junit::escape;
use crate::pack::{MigrationPack, Pack, Rollback, TableChange};
use crate::plan::PlanReport;
use sluice_lint::{Diagnostic, Severity};

const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;color:#1c2330}
header{background:#14324a;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}
main{max-width:1100px;margin:0 auto;padding:16px 32px 48px}
section.migration{background:#fff;border:1px solid #d8dde5;border-radius:8px;margin:20px 0;padding:8px 24px 20px}
h2{font-size:19px;margin:14px 0 4px}h3{font-size:15px;margin:18px 0 6px;color:#394b61;text-transform:uppercase;letter-spacing:.04em}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f1f3f6;border:1px solid #e1e5ea;border-radius:6px;padding:10px;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d8dde5;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#eef1f5}
.badge{display:inline-block;border-radius:10px;padding:1px 10px;font-size:13px;font-weight:600;margin-right:6px}
.Low{background:#dff3e4;color:#1d6b34}.Medium{background:#fff1cc;color:#7a5600}.High{background:#fde0e0;color:#a11d1d}
.ok{color:#1d6b34;font-weight:600}.no{color:#a11d1d;font-weight:600}
.finding{border-left:4px solid #c33;padding:4px 12px;margin:10px 0;background:#fff7f7}
.finding.warn{border-color:#d9a400;background:#fffbef}
.finding .rule{font-weight:600}.help{color:#394b61}
.schema{display:flex;flex-wrap:wrap;gap:24px}.schema .table{min-width:220px}
.schema td.added{background:#dff3e4}.schema td.removed{background:#fde0e0;text-decoration:line-through}
.schema .arrow{align-self:center;font-size:22px;color:#7b8794}
.muted{color:#7b8794}
";

fn page(title: &str, subtitle: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{t}</h1><p>{s}</p></header>\n<main>\n{body}</main>\n</body>\n</html>\n",
        t = escape(title),
        s = escape(subtitle),
    )
}

fn risk_badge(label: &str, risk: &str) -> String {
    let class = match risk.to_ascii_lowercase().as_str() {
        "high" => "High",
        "medium" => "Medium",
        _ => "Low",
    };
    format!(
        "<span class=\"badge {class}\">{} {}</span>",
        escape(label),
        escape(risk)
    )
}

/// A finding, with the source lines around it when the file can be read.
fn finding(d: &Diagnostic, src: &dyn Fn(&str) -> Option<String>) -> String {
    let class = match d.severity {
        Severity::Error => "finding",
        Severity::Warn => "finding warn",
    };
    let excerpt = src(&d.path)
        .map(|text| {
            let lines: Vec<&str> = text.lines().collect();
            let from = d.line.saturating_sub(2).max(1);
            let to = (d.line + 1).min(lines.len());
            (from..=to)
                .filter_map(|n| lines.get(n - 1).map(|l| (n, l)))
                .map(|(n, l)| {
                    let mark = if n == d.line { "&gt;" } else { " " };
                    format!("{mark}{n:>5} | {}", escape(l))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|e| !e.is_empty())
        .map(|e| format!("<pre>{e}</pre>"))
        .unwrap_or_default();
    format!(
        "<div class=\"{class}\"><span class=\"rule\">{}[{}]</span> <code>{}:{}:{}</code><br>{}<br><span class=\"help\">help: {}</span>{excerpt}</div>\n",
        d.severity.as_str(),
        escape(d.rule),
        escape(&d.path),
        d.line,
        d.column,
        escape(&d.message),
        escape(&d.help)
    )
}

fn findings(list: &[Diagnostic], src: &dyn Fn(&str) -> Option<String>) -> String {
    if list.is_empty() {
        return "<p class=\"ok\">No findings.</p>\n".into();
    }
    list.iter().map(|d| finding(d, src)).collect()
}

fn columns_table(
    title: &str,
    cols: Option<&Vec<String>>,
    other: Option<&Vec<String>>,
    mark: &str,
) -> String {
    let mut s = format!("<table class=\"table\"><tr><th>{}</th></tr>", escape(title));
    match cols {
        None => s.push_str("<tr><td class=\"muted\">(does not exist)</td></tr>"),
        Some(cols) if cols.is_empty() => {
            s.push_str("<tr><td class=\"muted\">(columns unknown)</td></tr>")
        }
        Some(cols) => {
            for c in cols {
                let changed = other.is_none_or(|o| !o.contains(c));
                let class = if changed {
                    format!(" class=\"{mark}\"")
                } else {
                    String::new()
                };
                s.push_str(&format!("<tr><td{class}>{}</td></tr>", escape(c)));
            }
        }
    }
    s.push_str("</table>");
    s
}

/// A row of a statements table: line, the statement (HTML), its locks and
/// the sizes of what they lock.
fn lock_row(line: usize, statement: &str, locks: &[String], sizes: &[String]) -> String {
    format!(
        "<tr><td>{line}</td><td>{statement}</td><td>{}</td><td>{}</td></tr>\n",
        if locks.is_empty() {
            "none".into()
        } else {
            locks.join("<br>")
        },
        if sizes.is_empty() {
            "<span class=\"muted\">unknown</span>".into()
        } else {
            sizes.join("<br>")
        },
    )
}

fn schema_change(changes: &[TableChange]) -> String {
    if changes.is_empty() {
        return "<p class=\"muted\">No table changes.</p>\n".into();
    }
    let mut s = String::new();
    for t in changes {
        s.push_str(&format!(
            "<div class=\"schema\" data-table=\"{}\">{}<span class=\"arrow\">&rarr;</span>{}</div>\n",
            escape(&t.table),
            columns_table(&format!("{} (before)", t.table), t.before.as_ref(), t.after.as_ref(), "removed"),
            columns_table(&format!("{} (after)", t.table), t.after.as_ref(), t.before.as_ref(), "added"),
        ));
    }
    s
}

fn migration(env: &str, m: &MigrationPack, src: &dyn Fn(&str) -> Option<String>) -> String {
    let mut s = format!(
        "<section class=\"migration\" id=\"migration-{v}\">\n<h2>{v} {name}</h2>\n<p>{title}<code>{path}</code> &middot; {kind} &middot; {how}</p>\n",
        v = escape(&m.version),
        name = escape(&m.name),
        title = m
            .title
            .as_deref()
            .map(|t| format!("<strong>{}</strong> &middot; ", escape(t)))
            .unwrap_or_default(),
        path = escape(&m.path),
        kind = escape(m.change_type.as_deref().unwrap_or("change type not stated")),
        how = if m.transactional {
            "one transaction"
        } else {
            "statement by statement (no transaction)"
        },
    );
    s.push_str(&format!(
        "<div id=\"risk-{}\">{}{}</div>\n",
        escape(&m.version),
        risk_badge("declared", m.declared_risk.as_deref().unwrap_or("none")),
        risk_badge("computed", &m.computed_risk)
    ));
    s.push_str("<h3>What changes</h3>\n<table class=\"changes\"><tr><th>line</th><th>statement</th><th>locks</th><th>size on the target</th></tr>\n");
    for c in &m.upgrade.changes {
        let locks: Vec<String> = c
            .locks
            .iter()
            .map(|l| format!("{} on {}", escape(&l.mode), escape(&l.relation)))
            .collect();
        let sizes: Vec<String> = c
            .locks
            .iter()
            .filter_map(|l| {
                l.size.as_ref().map(|sz| match l.rows {
                    Some(r) => format!("{}: ~{r} rows, {}", escape(&l.relation), escape(sz)),
                    None => format!("{}: {}", escape(&l.relation), escape(sz)),
                })
            })
            .collect();
        let statement = format!(
            "{}{}",
            escape(&c.statement),
            if c.additive {
                ""
            } else {
                " <span class=\"badge Medium\">not additive</span>"
            }
        );
        s.push_str(&lock_row(c.line, &statement, &locks, &sizes));
    }
    s.push_str("</table>\n");
    s.push_str(&format!(
        "<h3>Schema change</h3>\n<div id=\"schema-{}\">{}</div>\n",
        escape(&m.version),
        schema_change(&m.schema_change)
    ));
    s.push_str(&format!(
        "<h3>Findings</h3>\n<div id=\"findings-{}\">{}</div>\n",
        escape(&m.version),
        findings(&m.findings, src)
    ));
    let present = m.approvals.present.as_array().map_or(0, |a| a.len());
    let who: Vec<String> = m
        .approvals
        .present
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("by").and_then(|b| b.as_str()).map(escape))
        .collect();
    s.push_str(&format!(
        "<h3>Approvals</h3>\n<p id=\"approvals-{}\">{}</p>\n",
        escape(&m.version),
        match m.approvals.needed {
            Some(n) => format!(
                "<span class=\"{}\">{present} of {n} needed on <code>{}</code></span>{}",
                if present as u32 >= n { "ok" } else { "no" },
                escape(env),
                if who.is_empty() {
                    String::new()
                } else {
                    format!(" (approved by {})", who.join(", "))
                }
            ),
            None => "<span class=\"muted\">no environment: not judged</span>".into(),
        }
    ));
    s.push_str(&format!(
        "<h3>Upgrade</h3>\n<p><code>{}</code></p>\n<pre>{}</pre>\n",
        escape(&m.upgrade.command),
        escape(&m.upgrade.sql)
    ));
    s.push_str(&format!(
        "<h3>Rollback</h3>\n<div id=\"rollback-{}\">",
        escape(&m.version)
    ));
    match &m.rollback {
        Rollback::DownSection { sql } => s.push_str(&format!(
            "<p><code>sluice down --env {}</code> runs the down section:</p><pre>{}</pre>",
            escape(if env.is_empty() { "ENV" } else { env }),
            escape(sql)
        )),
        Rollback::Irreversible { strategy } => s.push_str(&format!(
            "<p class=\"no\">No down section.</p><p>Strategy: {}</p>",
            escape(strategy)
        )),
    }
    s.push_str("</div>\n");
    if !m.verification.is_empty() {
        s.push_str(&format!(
            "<h3>Verification</h3>\n<pre>{}</pre>\n",
            escape(&m.verification.join("\n"))
        ));
    }
    s.push_str("</section>\n");
    s
}

/// The evidence pack (`report --format html`).
pub fn pack(doc: &Pack, src: &dyn Fn(&str) -> Option<String>) -> String {
    let env = doc.environment.as_deref().unwrap_or("");
    let mut body = String::new();
    if doc.migrations.is_empty() {
        body.push_str("<p class=\"ok\">No pending migrations.</p>\n");
    }
    for m in &doc.migrations {
        body.push_str(&migration(env, m, src));
    }
    page(
        &if env.is_empty() {
            "Database migrations".to_string()
        } else {
            format!("Database migrations for {env}")
        },
        &format!(
            "{} pending migration{} · sluice report",
            doc.migrations.len(),
            if doc.migrations.len() == 1 { "" } else { "s" }
        ),
        &body,
    )
}

/// The plan (`plan --format html`).
pub fn plan(env: &str, r: &PlanReport, src: &dyn Fn(&str) -> Option<String>) -> String {
    let mut body = format!(
        "<p id=\"verdict\" class=\"{}\">{}</p>\n",
        if r.blocked() { "no" } else { "ok" },
        if r.blocked() {
            format!(
                "Blocked: apply on {} would be refused ({} findings).",
                escape(env),
                r.blocking.len()
            )
        } else {
            format!("apply on {} would proceed.", escape(env))
        }
    );
    if !r.blocking.is_empty() {
        body.push_str(&format!(
            "<section class=\"migration\" id=\"blocking\"><h2>What blocks apply</h2>{}</section>\n",
            findings(&r.blocking, src)
        ));
    }
    for p in &r.pending {
        body.push_str(&format!(
            "<section class=\"migration\" id=\"migration-{v}\">\n<h2>{v} {name}</h2>\n<p><code>{path}</code> &middot; {n} statements &middot; {how}</p>\n<div id=\"risk-{v}\">{}{}</div>\n",
            risk_badge("declared", p.declared_risk.as_deref().unwrap_or("none")),
            risk_badge("computed", p.computed_risk),
            v = escape(&p.version),
            name = escape(&p.name),
            path = escape(&p.path),
            n = p.statements,
            how = if p.transactional { "one transaction" } else { "statement by statement" },
        ));
        body.push_str("<h3>Locks</h3>\n<table class=\"changes\"><tr><th>line</th><th>statement</th><th>locks</th><th>size on the target</th></tr>\n");
        for l in r.locks.iter().filter(|l| l.version == p.version) {
            let locks: Vec<String> = if l.observed {
                l.locks
                    .iter()
                    .map(|o| format!("{} on {} (observed)", escape(&o.mode), escape(&o.relation)))
                    .collect()
            } else {
                l.expected
                    .iter()
                    .map(|e| escape(&format!("{e:?}")))
                    .collect()
            };
            let sizes: Vec<String> = r
                .sizes
                .iter()
                .filter(|s| {
                    s.statements
                        .iter()
                        .any(|u| u.version == p.version && u.line == l.line)
                })
                .map(|s| match s.rows {
                    Some(n) => format!("{}: ~{n} rows, {}", escape(&s.relation), escape(&s.size)),
                    None => format!("{}: {}", escape(&s.relation), escape(&s.size)),
                })
                .collect();
            let statement = format!("<code>{}</code>", escape(&l.sql));
            body.push_str(&lock_row(l.line, &statement, &locks, &sizes));
        }
        body.push_str("</table>\n");
        body.push_str(&format!(
            "<h3>Findings</h3>\n<div id=\"findings-{}\">{}</div>\n",
            escape(&p.version),
            findings(&p.findings, src)
        ));
        body.push_str(&format!(
            "<h3>Approvals</h3>\n<p id=\"approvals-{}\"><span class=\"{}\">{} of {} needed</span>{}</p>\n",
            escape(&p.version),
            if p.approvals.ok { "ok" } else { "no" },
            p.approvals.present.len(),
            p.approvals.needed,
            if p.approvals.present.is_empty() { String::new() } else { format!(" (approved by {})", escape(&p.approvals.present.join(", "))) }
        ));
        if let Some(rb) = r.rollback.iter().find(|rb| rb.version == p.version) {
            body.push_str(&format!(
                "<h3>Rollback</h3>\n<div id=\"rollback-{}\">",
                escape(&p.version)
            ));
            if let Some(sql) = &rb.sql {
                body.push_str(&format!("<pre>{}</pre>", escape(sql)));
            }
            if let Some(st) = &rb.strategy {
                body.push_str(&format!("<p>Strategy: {}</p>", escape(st)));
            }
            body.push_str("</div>\n");
        }
        body.push_str("</section>\n");
    }
    page(
        &format!("Plan for {env}"),
        &format!(
            "{} applied, {} pending, risk {} · sluice plan",
            r.applied,
            r.pending.len(),
            r.risk.unwrap_or("none")
        ),
        &body,
    )
}
