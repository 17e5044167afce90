//! `sluice report --env E [--versions V,...] [--format markdown|json]`: the
//! evidence pack for a pull request, per pending migration: what changes in the
//! schema, the upgrade path (transaction, locks per statement), the rollback
//! path, verification queries, approvals present vs needed, risk and findings,
//! and the latest evidence record when one exists.
//!
//! Pending means: the migrations `--versions` names, else those not applied on
//! the environment (read-only; no lock, nothing created).

use crate::cli::{Format, Outcome};
use crate::project::Project;
use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::{json, Value};
use sluice_core::{Migration, Version};
use sluice_db::HistoryStore as _;
use sluice_sql::facts::Facts;

/// Options for `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report these versions (comma-separated) instead of asking the database.
    #[arg(long, value_delimiter = ',', value_name = "VERSIONS")]
    pub versions: Vec<String>,
}

fn describe(f: &Facts) -> String {
    let objects: Vec<String> = f
        .actions
        .iter()
        .filter_map(|a| a.table().map(|t| t.to_string()))
        .collect();
    let mut objects = objects;
    objects.dedup();
    if objects.is_empty() {
        f.kind.clone()
    } else {
        format!("{} {}", f.kind, objects.join(", "))
    }
}

fn migration_report(
    project: &Project,
    env: Option<&sluice_core::Environment>,
    m: &Migration,
    approvals: &crate::gate::ApprovalCheck,
) -> Value {
    let policy = crate::risk::policy(project).expect("validated at load");
    let analysis = crate::risk::analyze(project, m);
    let lint = sluice_lint::lint_migration(m, &analysis, &policy);
    let mut changes = Vec::new();
    let mut checks = Vec::new();
    for s in analysis.statements.iter().filter(|s| !s.down) {
        if let Ok(f) = &s.facts {
            changes.push(json!({
                "line": s.stmt.line,
                "statement": describe(f),
                "locks": f.locks.iter().map(|(r, mode)| json!({ "relation": r.to_string(), "mode": mode.as_str() })).collect::<Vec<_>>(),
                "additive": f.actions.iter().all(|a| a.is_additive()),
            }));
            checks.extend(
                f.actions
                    .iter()
                    .filter_map(sluice_db::postgres::verification::query),
            );
        }
    }
    let (risk_needed, used) = match approvals.requirements.get(m.version.as_str()) {
        Some((risk, needed)) => (
            Some((risk.as_str(), *needed)),
            approvals.used.get(m.version.as_str()).cloned(),
        ),
        None => (None, None),
    };
    let rollback = match m.down_sql() {
        Some(sql) => json!({ "kind": "down-section", "sql": sql.trim() }),
        None => json!({
            "kind": "irreversible",
            "strategy": m.header.value("ROLLBACK_STRATEGY").unwrap_or("none given: restore from backup"),
        }),
    };
    json!({
        "version": m.version.to_string(),
        "name": m.name,
        "path": m.display_path,
        "title": m.header.value("TITLE"),
        "change_type": m.header.value("CHANGE_TYPE"),
        "declared_risk": m.header.value("RISK_LEVEL"),
        "computed_risk": lint.risk.as_str(),
        "checksum": m.checksum.to_hex(),
        "transactional": !m.up.no_transaction,
        "upgrade": {
            "command": format!("sluice apply --env {}", env.map(|e| e.name.as_str()).unwrap_or("ENV")),
            "sql": m.up_sql().lines().filter(|l| !l.trim_start().starts_with("-- ") || !l.contains(':')).collect::<Vec<_>>().join("\n").trim(),
            "changes": changes,
        },
        "rollback": rollback,
        "verification": checks,
        "approvals": {
            "needed": risk_needed.map(|(_, n)| n),
            "present": used.unwrap_or(json!([])),
        },
        "findings": lint.diagnostics,
    })
}

fn markdown(doc: &Value) -> String {
    let mut s = String::new();
    let env = doc["environment"].as_str().unwrap_or("");
    s.push_str(&format!(
        "## Database migrations{}\n\n",
        if env.is_empty() {
            String::new()
        } else {
            format!(" for `{env}`")
        }
    ));
    let ms = doc["migrations"].as_array().cloned().unwrap_or_default();
    if ms.is_empty() {
        s.push_str("No pending migrations.\n");
    }
    for m in &ms {
        markdown_migration(&mut s, env, m);
    }
    if let Some(run) = doc["evidence"]["last_run"].as_object() {
        s.push_str(&format!(
            "### Evidence\n\nLatest run in `{}`: `{}` on `{}` at {}: **{}**.\n",
            doc["evidence"]["file"].as_str().unwrap_or(""),
            run.get("command").and_then(Value::as_str).unwrap_or(""),
            run.get("environment").and_then(Value::as_str).unwrap_or(""),
            run.get("finished_at").and_then(Value::as_str).unwrap_or(""),
            run.get("outcome").and_then(Value::as_str).unwrap_or("")
        ));
    }
    s
}

/// One migration's section of the evidence pack.
fn markdown_migration(s: &mut String, env: &str, m: &Value) {
    let title = m["title"]
        .as_str()
        .unwrap_or_else(|| m["name"].as_str().unwrap_or(""));
    s.push_str(&format!(
        "### {} {}\n\n",
        m["version"].as_str().unwrap_or(""),
        title
    ));
    s.push_str(&format!(
        "- **File**: `{}`\n- **Change type**: {}\n- **Risk**: declared {}, computed **{}**\n- **Runs**: {}\n",
        m["path"].as_str().unwrap_or(""),
        m["change_type"].as_str().unwrap_or("—"),
        m["declared_risk"].as_str().unwrap_or("—"),
        m["computed_risk"].as_str().unwrap_or(""),
        if m["transactional"].as_bool() == Some(true) { "in one transaction (all or nothing)" } else { "statement by statement, outside a transaction (`sluice:no-transaction`)" }
    ));
    let needed = m["approvals"]["needed"].as_u64();
    let present: Vec<String> = m["approvals"]["present"]
        .as_array()
        .cloned()
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
        needed.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
        if present.is_empty() {
            String::new()
        } else {
            format!(": {}", present.join(", "))
        }
    ));
    s.push_str(
        "#### Schema change\n\n| line | statement | locks | additive |\n|---|---|---|---|\n",
    );
    for c in m["upgrade"]["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let locks: Vec<String> = c["locks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|l| {
                format!(
                    "{} on {}",
                    l["mode"].as_str().unwrap_or(""),
                    l["relation"].as_str().unwrap_or("")
                )
            })
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c["line"],
            c["statement"].as_str().unwrap_or(""),
            if locks.is_empty() {
                "—".into()
            } else {
                locks.join("; ")
            },
            if c["additive"].as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            }
        ));
    }
    s.push_str(&format!(
        "\n#### Upgrade path\n\n`{}`\n\n```sql\n{}\n```\n\n",
        m["upgrade"]["command"].as_str().unwrap_or(""),
        m["upgrade"]["sql"].as_str().unwrap_or("")
    ));
    s.push_str("#### Rollback path\n\n");
    match m["rollback"]["kind"].as_str() {
        Some("down-section") => s.push_str(&format!(
            "`sluice down --env {}` runs the down section (where the environment allows down):\n\n```sql\n{}\n```\n\n",
            if env.is_empty() { "ENV" } else { env },
            m["rollback"]["sql"].as_str().unwrap_or("")
        )),
        _ => s.push_str(&format!("Irreversible by sluice. Rollback strategy: {}\n\n", m["rollback"]["strategy"].as_str().unwrap_or(""))),
    }
    s.push_str("#### Verification\n\n```sql\n");
    for q in m["verification"].as_array().cloned().unwrap_or_default() {
        s.push_str(q.as_str().unwrap_or(""));
        s.push('\n');
    }
    s.push_str(&format!(
        "```\n\nand `sluice status --env {} --exit-code` exits 0.\n\n#### Findings\n\n",
        if env.is_empty() { "ENV" } else { env }
    ));
    let findings = m["findings"].as_array().cloned().unwrap_or_default();
    if findings.is_empty() {
        s.push_str("None.\n\n");
    }
    for f in findings {
        s.push_str(&format!(
            "- `{}` ({}) line {}: {}\n",
            f["rule"].as_str().unwrap_or(""),
            f["severity"].as_str().unwrap_or(""),
            f["line"],
            f["message"].as_str().unwrap_or("")
        ));
    }
    s.push('\n');
}

/// Runs `report`.
pub fn run(project: &Project, a: &ReportArgs) -> Result<Outcome> {
    let layout = project.config.layout.imp();
    if a.versions.is_empty() && layout.external_runner().is_some() {
        anyhow::bail!(
            "with the {} layout, sluice keeps no history to tell what is pending: name the revisions with `--versions REV,...`",
            layout.name()
        );
    }
    let catalog = project.catalog_with_text()?;
    let env = if project.global.env.is_some() || a.versions.is_empty() {
        Some(project.environment()?)
    } else {
        None
    };
    let history;
    let pending: Vec<&Migration> = if !a.versions.is_empty() {
        a.versions
            .iter()
            .map(|v| {
                let ver = Version::parse(v).unwrap_or_else(|| Version::revision(v));
                catalog
                    .get(&ver)
                    .ok_or_else(|| anyhow!("--versions {v}: no such migration"))
            })
            .collect::<Result<_>>()?
    } else {
        let env = env.as_ref().expect("set above");
        let mut db = project.connect(env)?;
        history = db
            .load_history()
            .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
        crate::state::join(&catalog, &history)
            .into_iter()
            .filter(|e| e.is_pending())
            .filter_map(|e| e.migration)
            .collect()
    };
    let approvals = match &env {
        Some(e) => crate::gate::check_approvals(project, e, &pending)?,
        None => Default::default(),
    };
    let evidence = crate::evidence::latest(project);
    let doc = json!({
        "schema_version": crate::output::SCHEMA_VERSION,
        "environment": env.as_ref().map(|e| e.name.clone()),
        "migrations": pending.iter().map(|m| migration_report(project, env.as_ref(), m, &approvals)).collect::<Vec<_>>(),
        "evidence": evidence,
    });
    match project.global.format {
        Format::Json => crate::output::print_json(&doc),
        _ => print!("{}", crate::secrets::scrub(&markdown(&doc))),
    }
    Ok(Outcome::Ok)
}
