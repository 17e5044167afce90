//! A project: configuration resolved once, then the catalog, ledger and
//! environment each command asks for.

use crate::cli::{Format, Global};
use anyhow::{Context as _, Result};
use sluice_core::catalog::{display_path, CatalogOptions};
use sluice_core::config::Overrides;
use sluice_core::{Catalog, Config, Environment, Ledger};
use sluice_db::{ConnectOptions, Database};
use sluice_lint::registry::{parse_overrides, Level};
use std::collections::BTreeMap;

/// The resolved project.
pub struct Project {
    /// Configuration.
    pub config: Config,
    /// Validated `[rules]` overrides.
    pub rule_overrides: BTreeMap<&'static str, Level>,
    /// `[risk]`, validated: rule id → the risk its findings carry.
    pub risk_overrides: BTreeMap<&'static str, sluice_core::header::RiskLevel>,
    /// `[risk] large_table_rows`: migrations that lock a table of at least
    /// this many rows against writes are one risk level higher.
    pub large_table_rows: Option<i64>,
    /// Global options.
    pub global: Global,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The process environment as the config layer's lookup.
pub fn overrides(g: &Global) -> Overrides<'static> {
    Overrides {
        root: g.dir.clone(),
        config: g.config.clone(),
        env: Some(&process_env),
    }
}

impl Project {
    /// Loads and validates configuration.
    pub fn load(g: &Global) -> Result<Project> {
        let config = Config::load(&overrides(g))?;
        let invalid = |m: String| {
            anyhow::anyhow!(
                "invalid configuration in {}: {m}",
                config
                    .config_path
                    .as_ref()
                    .map(|p| display_path(&config.root, p))
                    .unwrap_or_else(|| "sluice.toml".into())
            )
        };
        let rule_overrides = parse_overrides(&config.file.rules).map_err(invalid)?;
        let risk_overrides = parse_risk(&config.file.risk).map_err(invalid)?;
        let large_table_rows = match config.file.risk.get(LARGE_TABLE_ROWS) {
            None => None,
            Some(toml::Value::Integer(n)) if *n > 0 => Some(*n),
            Some(v) => {
                return Err(invalid(format!(
                "[risk] {LARGE_TABLE_ROWS} = {v}: a number of rows above zero, such as 1_000_000"
            )))
            }
        };
        Ok(Project {
            config,
            rule_overrides,
            risk_overrides,
            large_table_rows,
            global: g.clone(),
        })
    }

    /// Whether output is JSON.
    pub fn json(&self) -> bool {
        self.global.format == Format::Json
    }

    /// Prints a progress line on stderr (suppressed by `-q`); stdout stays
    /// clean for `--format json`.
    pub fn progress(&self, line: &str) {
        if !self.global.quiet {
            eprintln!("{line}");
        }
    }

    /// A path relative to the root, for output.
    pub fn rel(&self, p: &std::path::Path) -> String {
        display_path(&self.config.root, p)
    }

    /// Reads the migrations directory.
    /// Tables the layout's own tool keeps its record in (`alembic_version`).
    pub fn tool_tables(&self) -> Vec<String> {
        match self.config.layout {
            sluice_core::config::Layout::Alembic => vec!["alembic_version".into()],
            _ => vec![],
        }
    }

    /// The runner for migrations another program runs (`[migrations] run`),
    /// when one is configured or the layout has a default (Alembic:
    /// `alembic -c {ini} upgrade {revision}` and `alembic -c {ini} downgrade
    /// {previous}`, `{ini}` being `[migrations] alembic_ini`).
    pub fn runner(&self) -> Option<sluice_engine::runner::external::Runner> {
        let m = &self.config.file.migrations;
        let (run, run_down) = match self.config.layout {
            sluice_core::config::Layout::Alembic => {
                let ini =
                    sluice_engine::shell_word(m.alembic_ini.as_deref().unwrap_or("alembic.ini"));
                (
                    Some(
                        m.run
                            .clone()
                            .unwrap_or_else(|| format!("alembic -c {ini} upgrade {{revision}}")),
                    ),
                    Some(
                        m.run_down
                            .clone()
                            .unwrap_or_else(|| format!("alembic -c {ini} downgrade {{previous}}")),
                    ),
                )
            }
            _ => (m.run.clone(), m.run_down.clone()),
        };
        Some(sluice_engine::runner::external::Runner {
            run: run?,
            run_down,
            url_env: m.url_env.clone().unwrap_or_else(|| "DATABASE_URL".into()),
            cwd: self.config.root.clone(),
        })
    }

    pub fn catalog(&self) -> Result<Catalog> {
        let ignore = [self.config.ledger_path.clone()];
        Ok(Catalog::load(&CatalogOptions {
            dir: &self.config.migrations_dir,
            root: &self.config.root,
            filename: &self.config.filename,
            ignore: &ignore,
            layout: self.config.layout,
            cache: self.cache_dir().as_deref(),
        })?)
    }

    /// The migrations directory with every migration's text read: for commands
    /// that use the SQL of migrations other than the pending ones (plan, down,
    /// report, approve, verify, adopt). `status`, `apply` and `check` use
    /// [`Project::catalog`] and read only what they need.
    pub fn catalog_with_text(&self) -> Result<Catalog> {
        let catalog = self.catalog()?;
        catalog.read_texts()?;
        Ok(catalog)
    }

    /// `<root>/.sluice/cache`, where the stat cache and the analysis cache live;
    /// None with `--no-cache`.
    pub fn cache_dir(&self) -> Option<std::path::PathBuf> {
        (!self.global.no_cache).then(|| self.config.root.join(".sluice").join("cache"))
    }

    /// Reads the ledger (None when absent) and its text.
    pub fn ledger(&self) -> Result<Option<(Ledger, String)>> {
        let Some(ledger) = Ledger::load(&self.config.ledger_path)? else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&self.config.ledger_path)
            .with_context(|| format!("reading {}", self.rel(&self.config.ledger_path)))?;
        Ok(Some((ledger, text)))
    }

    /// Resolves the selected environment and registers its password as a secret.
    pub fn environment(&self) -> Result<Environment> {
        let env = self.config.environment(
            self.global.env.as_deref(),
            self.global.url.as_deref(),
            &overrides(&self.global),
        )?;
        crate::secrets::register_url(&env.url);
        if let Some(Ok(u)) = &env.scratch_url {
            crate::secrets::register_url(u);
        }
        if self.global.verbose {
            self.progress(&format!(
                "environment {} -> {} (url from {})",
                env.name,
                env.redacted_url(),
                env.url_source
            ));
        }
        Ok(env)
    }

    /// Connects to an environment's database.
    pub fn connect(&self, env: &Environment) -> Result<Box<dyn Database>> {
        sluice_db::connect(
            &env.url,
            &ConnectOptions {
                root: &self.config.root,
                history_schema: &self.config.file.history.schema,
            },
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot open the database of environment `{}` ({}, from {}): {e}",
                env.name,
                env.redacted_url(),
                env.url_source
            )
        })
    }
}

/// `[risk]`: rule id → `low` | `medium` | `high`. An unknown rule id or
/// level is an error naming it.
/// The `[risk]` key that is a size, not a rule.
const LARGE_TABLE_ROWS: &str = "large_table_rows";

fn parse_risk(
    risk: &BTreeMap<String, toml::Value>,
) -> std::result::Result<BTreeMap<&'static str, sluice_core::header::RiskLevel>, String> {
    risk.iter()
        .filter(|(id, _)| *id != LARGE_TABLE_ROWS)
        .map(|(id, level)| {
            let level = level.as_str().ok_or_else(|| {
                format!("[risk] {id} = {level}: the level is \"low\", \"medium\" or \"high\"")
            })?;
            let rule = sluice_lint::registry::lookup(id).ok_or_else(|| {
                format!("[risk] {id}: no such rule (rule ids are listed in docs/rules/)")
            })?;
            let level = sluice_core::header::RiskLevel::parse(level).ok_or_else(|| {
                format!("[risk] {id} = {level:?}: the level is low, medium or high")
            })?;
            Ok((rule.id, level))
        })
        .collect()
}
