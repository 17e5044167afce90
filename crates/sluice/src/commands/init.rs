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
    #[arg(long, default_value = "postgres", value_parser = ["postgres", "mysql", "mariadb", "sqlite"])]
    pub dialect: String,
    /// Migrations directory (default: the directory of an existing layout
    /// when one is found, else db/migrations).
    #[arg(long = "dir", id = "migrations_dir")]
    pub migrations_dir: Option<String>,
}

/// Where other tools keep migrations, in the order they are looked at.
const CANDIDATE_DIRS: [&str; 5] = [
    "prisma/migrations",
    "db/migrations",
    "migrations",
    "sql/migrations",
    "database/migrations",
];

/// An existing layout under `root`: (layout name, its directory), by what
/// its files hold (`migration_lock.toml`, `up.sql` directories, `-- migrate:up`,
/// `-- +goose Up`, `.up.sql` pairs) or `alembic.ini`.
pub fn detect(root: &std::path::Path, only: Option<&str>) -> Option<(&'static str, String)> {
    if only.is_none() {
        if let Ok(ini) = std::fs::read_to_string(root.join("alembic.ini")) {
            let location = ini
                .lines()
                .find_map(|l| l.trim().strip_prefix("script_location"))
                .and_then(|r| r.trim().strip_prefix('='))
                .map(|r| r.trim().replace("%(here)s/", ""))
                .unwrap_or_else(|| "alembic".into());
            return Some(("alembic", format!("{location}/versions")));
        }
    }
    let dirs: Vec<&str> = match only {
        Some(d) => vec![d],
        None => CANDIDATE_DIRS.to_vec(),
    };
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(d)) else {
            continue;
        };
        let entries: Vec<std::path::PathBuf> = entries.flatten().map(|e| e.path()).collect();
        let name = |p: &std::path::PathBuf| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        if entries.iter().any(|p| name(p) == "migration_lock.toml") {
            return Some(("prisma", d.to_string()));
        }
        if entries.iter().any(|p| p.join("up.sql").is_file()) {
            return Some(("diesel", d.to_string()));
        }
        let sql: Vec<&std::path::PathBuf> = entries
            .iter()
            .filter(|p| name(p).ends_with(".sql"))
            .collect();
        let holds = |needle: &str| {
            sql.iter().take(50).any(|p| {
                std::fs::read_to_string(p)
                    .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with(needle)))
            })
        };
        if holds("-- migrate:up") {
            return Some(("dbmate", d.to_string()));
        }
        if holds("-- +goose") {
            return Some(("goose", d.to_string()));
        }
        if sql.iter().any(|p| name(p).ends_with(".up.sql")) {
            let tool = if root.join("Cargo.toml").is_file() {
                "sqlx"
            } else {
                "golang-migrate"
            };
            return Some((tool, d.to_string()));
        }
        if !sql.is_empty() && root.join("Cargo.toml").is_file() {
            return Some(("sqlx", d.to_string()));
        }
    }
    None
}

/// The `dev` environment's URL. SQLite: a file in the project. A server
/// database is never invented (the server's maintenance database would
/// receive sluice's tables): `--url`, written as given unless it carries a
/// password, else `DATABASE_URL`, which must be set, written as a
/// reference to the variable.
fn dev_url(g: &Global, dialect: &str) -> Result<String> {
    if dialect == "sqlite" {
        return Ok(g.url.clone().unwrap_or_else(|| "sqlite://dev.db".into()));
    }
    if let Some(u) = &g.url {
        let has_password = url::Url::parse(u).is_ok_and(|p| p.password().is_some());
        if has_password {
            bail!(
                "--url carries a password, which sluice.toml must not hold: export it as DATABASE_URL and run `sluice init --dialect {dialect}` without --url (the file then reads ${{DATABASE_URL}})"
            );
        }
        return Ok(u.clone());
    }
    match std::env::var("DATABASE_URL") {
        Ok(v) if !v.trim().is_empty() => Ok("${DATABASE_URL}".into()),
        _ => bail!(
            "DATABASE_URL is not set: a {dialect} project's dev environment needs your development database, and sluice will not guess one (the server's default database would receive sluice's tables). Set DATABASE_URL, or pass --url {}://USER@HOST/DBNAME",
            if dialect == "postgres" { "postgres" } else { "mysql" }
        ),
    }
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
    let found = detect(&root, a.migrations_dir.as_deref());
    let dir_name = a
        .migrations_dir
        .clone()
        .or_else(|| found.as_ref().map(|(_, d)| d.clone()))
        .unwrap_or_else(|| "db/migrations".into());
    let layout_lines = match &found {
        Some((layout, _)) => format!(
            "layout = \"{layout}\"   # found in {dir_name}: sluice reads the files in place\n"
        ),
        None => String::new(),
    };
    // Another tool's migrations carry no sluice header.
    let require_header = if found.is_some() {
        "require_header = []"
    } else {
        "# require_header = [\"MIGRATION_ID\", \"TITLE\", \"CHANGE_TYPE\", \"RISK_LEVEL\", \"FORWARD_ONLY\", \"ROLLBACK_STRATEGY\"]"
    };
    let dev_url = dev_url(g, &a.dialect)?;
    let text = format!(
        r#"# sluice configuration. `sluice docs configuration` prints the reference
# (every key, with its default); `sluice docs` lists the other guides.
# Every key is optional; the values below are the defaults unless noted.

[migrations]
{layout_lines}dir = "{dir}"
dialect = "{dialect}"
# filename = '^\d{{13}}_[a-z0-9_]+\.sql$'
# allow_out_of_order = false

[policy]
{require_header}
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
        dir = dir_name,
        dialect = a.dialect,
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    let dir = root.join(&dir_name);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    ignore_evidence(&root)?;
    let ledger = dir.join("checksums.json");
    if let Some((layout, _)) = &found {
        // Pin what is there now: the ledger of the existing files.
        let cfg = sluice_core::Config::load(&sluice_core::config::Overrides {
            root: Some(root.clone()),
            config: Some(config.clone()),
            env: None,
        })?;
        let catalog = sluice_core::Catalog::load(&sluice_core::catalog::CatalogOptions {
            dir: &cfg.migrations_dir,
            root: &cfg.root,
            filename: &cfg.filename,
            ignore: std::slice::from_ref(&cfg.ledger_path),
            layout: cfg.layout,
            cache: None,
        })?;
        Ledger::build(
            catalog
                .migrations
                .iter()
                .map(|m| (m.file_name.as_str(), m.checksum)),
        )
        .save(&ledger)?;
        if !g.quiet {
            println!(
                "found {} {layout} migration{} in {dir_name}/: created sluice.toml (layout = \"{layout}\") and {dir_name}/checksums.json",
                catalog.migrations.len(),
                if catalog.migrations.len() == 1 { "" } else { "s" },
            );
            println!("next: sluice check, then `sluice baseline --from {layout} --env ENV` on each database {layout} migrated");
        }
        return Ok(Outcome::Ok);
    }
    if !ledger.exists() {
        Ledger::build([]).save(&ledger)?;
    }
    if !g.quiet {
        println!("created sluice.toml, {dir_name}/ and {dir_name}/checksums.json");
        println!("next: sluice new create_first_table");
    }
    Ok(Outcome::Ok)
}

/// Adds the default evidence directory to the project's `.gitignore` (run
/// records are artefacts of a machine, not of the repository), creating
/// the file when there is none and leaving it alone when it already says so.
fn ignore_evidence(root: &std::path::Path) -> Result<()> {
    let dir = sluice_core::config::EvidenceSection::default().dir;
    let top = dir.split('/').next().unwrap_or(&dir).to_string();
    let path = root.join(".gitignore");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let covered = text.lines().map(str::trim).any(|l| {
        let l = l.trim_start_matches('/').trim_end_matches('/');
        l == top || l == dir
    });
    if covered {
        return Ok(());
    }
    let mut out = text;
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "# sluice evidence records (docs/runner.md)\n{top}/\n"
    ));
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
