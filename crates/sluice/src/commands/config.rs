//! `sluice config schema`: the JSON Schema of `sluice.toml`, generated from
//! the configuration types themselves (so editors with Taplo / Even Better
//! TOML complete and validate keys). `sluice config show [--env E]`: the
//! resolved configuration of the project and one environment, each value
//! with where it came from (`flag`, `variable`, `file`, `default`),
//! passwords redacted.

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// Options for `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub what: ConfigCommand,
}

/// What `config` does.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of sluice.toml (for editors: Taplo, Even Better TOML).
    Schema,
    /// Print the resolved configuration, each value with its source, passwords redacted.
    Show,
}

/// The JSON Schema of `sluice.toml`.
pub fn schema() -> Value {
    let mut s = serde_json::to_value(schemars::schema_for!(sluice_core::config::ConfigFile))
        .expect("a schema serializes");
    s["title"] = json!("sluice.toml");
    s["$id"] = json!("sluice.schema.json");
    s
}

/// Runs `config schema` (no project needed).
pub fn run_schema() -> Result<Outcome> {
    println!("{}", serde_json::to_string_pretty(&schema())?);
    Ok(Outcome::Ok)
}

/// Runs `config show`.
pub fn run_show(project: &Project) -> Result<Outcome> {
    let cfg = &project.config;
    let raw: toml::Table = match &cfg.config_path {
        Some(p) => toml::from_str(&std::fs::read_to_string(p)?)?,
        None => toml::Table::new(),
    };
    let in_file = |path: &[&str]| -> bool {
        let mut t = &raw;
        for (i, k) in path.iter().enumerate() {
            match t.get(*k) {
                Some(toml::Value::Table(inner)) if i + 1 < path.len() => t = inner,
                Some(_) if i + 1 == path.len() => return true,
                _ => return false,
            }
        }
        false
    };
    let src = |path: &[&str]| if in_file(path) { "file" } else { "default" };
    let env = project.environment()?;
    let name = env.name.as_str();
    let env_src = |key: &str| src(&["environments", name, key]);
    let selected = if project.global.env.is_some() {
        "flag"
    } else if std::env::var("SLUICE_ENV").is_ok_and(|v| !v.is_empty()) {
        "variable"
    } else {
        "default"
    };
    let url_source = match env.url_source {
        "--url" => "flag",
        "DATABASE_URL" => "variable",
        _ => "file",
    };
    let dur = |d: Option<std::time::Duration>| -> Value {
        d.map_or(Value::Null, |d| {
            let ms = d.as_millis();
            json!(match ms {
                0 => "0".to_string(),
                _ if ms % 60_000 == 0 => format!("{}min", ms / 60_000),
                _ if ms % 1000 == 0 => format!("{}s", ms / 1000),
                _ => format!("{ms}ms"),
            })
        })
    };
    let req = |r: &sluice_core::config::Requirement| -> Value {
        match r {
            sluice_core::config::Requirement::Count(n) => json!(n),
            sluice_core::config::Requirement::Roles(m) => json!(m),
        }
    };
    let rel = |p: &std::path::Path| project.rel(p);
    let entries: Vec<(&str, Value, &str)> = vec![
        (
            "config",
            json!(cfg.config_path.as_deref().map(rel)),
            if project.global.config.is_some() {
                "flag"
            } else if cfg.config_path.is_some() {
                "file"
            } else {
                "default"
            },
        ),
        (
            "migrations.dir",
            json!(rel(&cfg.migrations_dir)),
            src(&["migrations", "dir"]),
        ),
        (
            "migrations.layout",
            json!(cfg.layout.imp().name()),
            src(&["migrations", "layout"]),
        ),
        (
            "migrations.dialect",
            json!(cfg.dialect.as_str()),
            src(&["migrations", "dialect"]),
        ),
        (
            "migrations.ledger",
            json!(rel(&cfg.ledger_path)),
            src(&["migrations", "ledger"]),
        ),
        (
            "migrations.approvals",
            json!(rel(&cfg.approvals_path)),
            src(&["migrations", "approvals"]),
        ),
        (
            "policy.bypass_reference",
            json!(cfg.file.policy.bypass_reference),
            src(&["policy", "bypass_reference"]),
        ),
        (
            "policy.data_loss_strategy",
            json!(cfg.file.policy.data_loss_strategy),
            src(&["policy", "data_loss_strategy"]),
        ),
        ("environment", json!(name), selected),
        ("url", json!(env.redacted_url()), url_source),
        (
            "scratch_url",
            match &env.scratch_url {
                Some(Ok(u)) => json!(sluice_core::redact::redact_url(u)),
                Some(Err(e)) => json!(format!("(unresolved: {e})")),
                None => Value::Null,
            },
            env_src("scratch_url"),
        ),
        (
            "production",
            json!(env.production_like),
            env_src("production"),
        ),
        ("allow_down", json!(env.allow_down), env_src("allow_down")),
        (
            "allow_reset",
            json!(env.section.allow_reset),
            env_src("allow_reset"),
        ),
        (
            "lock_timeout",
            dur(env.lock_timeout),
            env_src("lock_timeout"),
        ),
        (
            "statement_timeout",
            dur(env.statement_timeout),
            env_src("statement_timeout"),
        ),
        ("lock_wait", dur(Some(env.lock_wait)), env_src("lock_wait")),
        (
            "lock_retries",
            json!(env.lock_retries),
            env_src("lock_retries"),
        ),
        (
            "approvals",
            json!({
                "low": req(&env.approvals.low),
                "medium": req(&env.approvals.medium),
                "high": req(&env.approvals.high),
            }),
            env_src("approvals"),
        ),
        ("approvers", json!(env.approvers), env_src("approvers")),
        (
            "roles",
            json!(env.roles),
            if in_file(&["roles"]) {
                "file"
            } else if cfg.approvals_path.with_file_name("roles.toml").exists() {
                "file (roles.toml)"
            } else {
                "default"
            },
        ),
    ];
    if project.json() {
        let doc: serde_json::Map<String, Value> = entries
            .iter()
            .map(|(k, v, s)| (k.to_string(), json!({ "value": v, "source": s })))
            .collect();
        crate::output::print_json(&json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "command": "config show",
            "config": doc,
        }));
    } else {
        let width = entries.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
        for (k, v, s) in &entries {
            let shown = match v {
                Value::String(s) => s.clone(),
                Value::Null => "(unset)".into(),
                other => other.to_string(),
            };
            println!("{k:<width$} = {shown}  # {s}");
        }
    }
    Ok(Outcome::Ok)
}
