//! `--format markdown`: a findings table for pull-request comments, and the
//! evidence pack ([`pack`]).

use crate::pack::{MigrationPack, Pack, Rollback};
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

/// The evidence pack ([`crate::pack::Pack`]) as Markdown for a pull request.
pub fn pack(doc: &Pack) -> String {
    let mut s = String::new();
    let env = doc.environment.as_deref().unwrap_or("");
    s.push_str(&format!(
        "## Database migrations{}\n\n",
        if env.is_empty() {
            String::new()
        } else {
            format!(" for `{env}`")
        }
    ));
    if doc.migrations.is_empty() {
        s.push_str("No pending migrations.\n");
    }
    for m in &doc.migrations {
        pack_migration(&mut s, env, m);
    }
    if let Some(ev) = doc
        .evidence
        .as_ref()
        .filter(|e| e.last_run.as_ref().is_some_and(|r| r.is_object()))
    {
        s.push_str(&format!(
            "### Evidence\n\nLatest run in `{}`: `{}` on `{}` at {}: **{}**.\n",
            ev.file,
            ev.run_field("command"),
            ev.run_field("environment"),
            ev.run_field("finished_at"),
            ev.run_field("outcome")
        ));
    }
    s
}

/// One migration's section of the evidence pack.
fn pack_migration(s: &mut String, env: &str, m: &MigrationPack) {
    let title = m.title.as_deref().unwrap_or(&m.name);
    s.push_str(&format!("### {} {}\n\n", m.version, title));
    s.push_str(&format!(
        "- **File**: `{}`\n- **Change type**: {}\n- **Risk**: declared {}, computed **{}**\n- **Runs**: {}\n",
        m.path,
        m.change_type.as_deref().unwrap_or("—"),
        m.declared_risk.as_deref().unwrap_or("—"),
        m.computed_risk,
        if m.transactional { "in one transaction (all or nothing)" } else { "statement by statement, outside a transaction (`sluice:no-transaction`)" }
    ));
    let present: Vec<String> = m
        .approvals
        .present
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                a["by"].as_str().unwrap_or(""),
                a["ref"].as_str().unwrap_or("")
            )
        })
        .collect();
    s.push_str(&format!(
        "- **Approvals**: {} of {} needed{}\n\n",
        present.len(),
        m.approvals
            .needed
            .map(|n| n.to_string())
            .unwrap_or_else(|| "?".into()),
        if present.is_empty() {
            String::new()
        } else {
            format!(": {}", present.join(", "))
        }
    ));
    s.push_str(
        "#### Schema change\n\n| line | statement | locks | additive |\n|---|---|---|---|\n",
    );
    for c in &m.upgrade.changes {
        let locks: Vec<String> = c
            .locks
            .iter()
            .map(|l| format!("{} on {}", l.mode, l.relation))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.line,
            c.statement,
            if locks.is_empty() {
                "—".into()
            } else {
                locks.join("; ")
            },
            if c.additive { "yes" } else { "no" }
        ));
    }
    s.push_str(&format!(
        "\n#### Upgrade path\n\n`{}`{}\n\n```{}\n{}\n```\n\n",
        m.upgrade.command,
        m.upgrade
            .runner
            .as_ref()
            .map(|r| format!(", which runs `{r}`"))
            .unwrap_or_default(),
        m.upgrade.language,
        m.upgrade.sql
    ));
    if let Some(p) = &m.upgrade.previous {
        s.push_str(&format!("Previous revision: `{p}`.\n\n"));
    }
    let env = if env.is_empty() { "ENV" } else { env };
    s.push_str("#### Rollback path\n\n");
    match &m.rollback {
        Rollback::DownSection { sql } => match &m.upgrade.runner_down {
            Some(r) => s.push_str(&format!(
                "`sluice down --env {env}` runs `{r}` (where the environment allows down):\n\n```{}\n{sql}\n```\n\n",
                m.upgrade.language
            )),
            None => s.push_str(&format!(
                "`sluice down --env {env}` runs the down section (where the environment allows down):\n\n```sql\n{sql}\n```\n\n"
            )),
        },
        Rollback::Irreversible { strategy } => s.push_str(&format!(
            "Irreversible by sluice. Rollback strategy: {strategy}\n\n"
        )),
    }
    s.push_str("#### Verification\n\n```sql\n");
    for q in &m.verification {
        s.push_str(q);
        s.push('\n');
    }
    s.push_str(&format!(
        "```\n\nand `sluice status --env {env} --exit-code` exits 0.\n\n#### Findings\n\n"
    ));
    if m.findings.is_empty() {
        s.push_str("None.\n\n");
    }
    for f in &m.findings {
        s.push_str(&format!(
            "- `{}` ({}) line {}: {}\n",
            f.rule,
            f.severity.as_str(),
            f.line,
            f.message
        ));
    }
    s.push('\n');
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

    /// The evidence pack renders from the typed document alone.
    #[test]
    fn pack_shape_is_stable() {
        use crate::pack::*;
        let m = MigrationPack {
            version: "1000000000002".into(),
            name: "orders".into(),
            path: "db/migrations/1000000000002_orders.sql".into(),
            title: Some("Orders".into()),
            change_type: None,
            declared_risk: Some("Medium".into()),
            computed_risk: "Medium".into(),
            checksum: "ab".into(),
            transactional: false,
            upgrade: Upgrade {
                command: "sluice apply --env production".into(),
                sql: "CREATE INDEX CONCURRENTLY i ON orders (a);".into(),
                language: "sql".into(),
                runner: None,
                runner_down: None,
                previous: None,
                changes: vec![Change {
                    line: 7,
                    statement: "CREATE INDEX orders".into(),
                    locks: vec![Lock {
                        relation: "orders".into(),
                        mode: "ShareUpdateExclusiveLock".into(),
                        rows: None,
                        size: None,
                    }],
                    additive: true,
                }],
            },
            rollback: Rollback::Irreversible {
                strategy: "drop the index".into(),
            },
            verification: vec!["SELECT 1;".into()],
            approvals: Approvals {
                needed: Some(1),
                present: serde_json::json!([{ "by": "ana", "ref": "PR-7" }]),
            },
            findings: vec![Diagnostic::new(
                sluice_lint::RuleId::MixedPurpose,
                "db/migrations/1000000000002_orders.sql",
                7,
                1,
                "mixed",
                "split",
            )],
            schema_change: vec![],
        };
        let doc = Pack {
            schema_version: crate::SCHEMA_VERSION,
            environment: Some("production".into()),
            migrations: vec![m],
            evidence: Some(LatestEvidence {
                file: ".artifacts/deploy/abc/migration.json".into(),
                last_run: Some(serde_json::json!({
                    "command": "apply", "environment": "production",
                    "finished_at": "2026-01-01T00:00:00Z", "outcome": "ok"
                })),
            }),
        };
        insta::assert_snapshot!(pack(&doc));
    }
}
