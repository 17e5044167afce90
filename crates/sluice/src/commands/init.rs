//! `sluice init`: writes `sluice.toml`, the migrations directory and an empty
//! ledger. Refuses to overwrite an existing `sluice.toml`.

use crate::cli::{Global, Outcome};
use anyhow::{bail, Context, Result};
use clap::Args;
use sluice_core::Ledger;

/// Options for `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// SQL dialect of the migrations; sets the dev database too.
    #[arg(long, default_value = "postgres", value_parser = ["postgres", "sqlite"])]
    pub dialect: String,
    /// Migrations directory.
    #[arg(long = "dir", id = "migrations_dir", default_value = "db/migrations")]
    pub migrations_dir: String,
}

/// Runs `init`.
pub fn run(g: &Global, a: &InitArgs) -> Result<Outcome> {
    let root = std::env::current_dir()?.join(g.dir.clone().unwrap_or_default());
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let config = root.join(g.config.clone().unwrap_or_else(|| "sluice.toml".into()));
    if config.exists() {
        bail!(
            "{} already exists; sluice init never overwrites it (delete it first to start over)",
            config.display()
        );
    }
    let dev_url = match a.dialect.as_str() {
        "sqlite" => "${DATABASE_URL:-sqlite://sluice.db}".to_string(),
        _ => "${DATABASE_URL:-postgres://postgres@localhost:5432/postgres}".to_string(),
    };
    let text = format!(
        r#"# sluice configuration: https://example.invalid/sluice/docs/config.md
# Every key is optional; the values below are the defaults unless noted.

[migrations]
dir = "{dir}"
dialect = "{dialect}"
# filename = '^\d{{13}}_[a-z0-9_]+\.sql$'
# allow_out_of_order = false

[policy]
# require_header = ["MIGRATION_ID", "TITLE", "CHANGE_TYPE", "RISK_LEVEL", "FORWARD_ONLY", "ROLLBACK_STRATEGY"]
# bypass_reference = '(ADR-\d+|[A-Z]+-\d+)'

[environments.dev]
url = "{dev_url}"
allow_down = true

# [environments.production]
# url = "${{PRODUCTION_DATABASE_URL}}"
# allow_down = false
# lock_timeout = "5s"
# statement_timeout = "15min"
# lock_wait = "60s"
"#,
        dir = a.migrations_dir,
        dialect = a.dialect,
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    let dir = root.join(&a.migrations_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ledger = dir.join("checksums.json");
    if !ledger.exists() {
        Ledger::build([]).save(&ledger)?;
    }
    if !g.quiet {
        println!(
            "created sluice.toml, {}/ and {}/checksums.json",
            a.migrations_dir, a.migrations_dir
        );
        println!("next: sluice new create_first_table");
    }
    Ok(Outcome::Ok)
}
