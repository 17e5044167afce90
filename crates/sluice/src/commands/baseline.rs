//! `sluice baseline`: take over a database's history without running
//! anything.
//!
//! - `--from TOOL` reads the other tool's history table and records each
//!   migration it applied as `baseline` in `sluice_history` (with today's
//!   file checksum), each it left failed or dirty as `dirty`, in one
//!   transaction with one audit row. A record whose file is gone, or whose
//!   file changed since the tool recorded its checksum (sqlx's SHA-384,
//!   Prisma's SHA-256), refuses the whole baseline: nothing is written.
//! - `--to VERSION --reason TEXT` marks every migration up to VERSION as
//!   `baseline` on a database migrated by hand, after checking that its live
//!   schema matches the replay of those migrations on a scratch database;
//!   drift refuses unless `--force` (the reason and the differences are
//!   audited).
//!
//! Migrations sluice already records are left as they are.

use crate::cli::Outcome;
use crate::project::Project;
use crate::runner::{self, Direction};
use crate::session::Session;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde_json::json;
use sha2::Digest;
use sluice_core::{Catalog, Migration, Version};
use sluice_db::foreign::{self, Tool};
use sluice_db::HistoryStore as _;
use sluice_db::{AuditKind, AuditOutcome, Status};

/// Options for `baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Take over this tool's history table: golang-migrate, dbmate, sqlx,
    /// goose, diesel, prisma, flyway, refinery or alembic.
    #[arg(long, value_name = "TOOL", conflicts_with = "to")]
    pub from: Option<String>,
    /// Mark every migration up to this version as applied (a database
    /// migrated by hand), after checking its schema.
    #[arg(long, value_name = "VERSION", requires = "reason")]
    pub to: Option<String>,
    /// Why (recorded in the audit trail); required with --to.
    #[arg(long)]
    pub reason: Option<String>,
    /// With --to: record the baseline even though the schema differs from
    /// the replay (the differences are audited).
    #[arg(long)]
    pub force: bool,
    /// Server for the scratch database (overrides the environment's scratch_url).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
}

/// What a baseline records.
struct Plan<'c> {
    /// (migration, dirty: why) in version order.
    rows: Vec<(&'c Migration, Option<String>)>,
    /// Why the baseline is refused.
    problems: Vec<String>,
}

/// Runs `baseline`.
pub fn run(project: &Project, a: &BaselineArgs) -> Result<Outcome> {
    let session = Session::start(project, "baseline")?;
    let catalog = project.catalog_with_text()?;
    let mut db = session.lock()?;
    let history = db
        .load_history()
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
    let known: std::collections::HashSet<String> =
        history.iter().map(|r| r.version.clone()).collect();
    let (plan, source, details) = match (&a.from, &a.to) {
        (Some(tool), None) => {
            let tool = Tool::parse(tool).ok_or_else(|| {
                anyhow!(
                    "--from {tool:?}: sluice reads the history of {}",
                    Tool::ALL.map(Tool::name).join(", ")
                )
            })?;
            let h = foreign::read(tool, db.executor())
                .map_err(|e| anyhow!("on `{}`: {e}", session.env.name))?
                .ok_or_else(|| {
                    anyhow!(
                        "`{}` has no {} table: {} never ran there (nothing to take over)",
                        session.env.name,
                        tool.table(),
                        tool.name()
                    )
                })?;
            (
                from_tool(tool, &h, &catalog),
                format!("{}'s {}", tool.name(), tool.table()),
                json!({ "from": tool.name() }),
            )
        }
        (None, Some(to)) => {
            let to = Version::parse(to).ok_or_else(|| anyhow!("--to {to:?} is not a version"))?;
            let upto: Vec<&Migration> = catalog
                .migrations
                .iter()
                .filter(|m| m.version <= to)
                .collect();
            if upto.last().is_none_or(|m| m.version != to) {
                bail!("--to {to}: no migration has that version");
            }
            let drift = check_schema(&session, &upto, a)?;
            if !drift.is_empty() && !a.force {
                eprint!("{}", sluice_report::verify::differences_text(&drift));
                bail!(
                    "the schema of `{}` differs from the replay of the migrations up to {to} ({} difference{}): nothing was recorded; make them match, or pass --force to record the baseline anyway (the differences are audited)",
                    session.env.name,
                    drift.len(),
                    if drift.len() == 1 { "" } else { "s" }
                );
            }
            let what: Vec<String> = drift.iter().map(|d| d.describe()).collect();
            (
                Plan {
                    rows: upto.into_iter().map(|m| (m, None)).collect(),
                    problems: vec![],
                },
                format!("a schema check up to {to}"),
                json!({ "to": to.to_string(), "forced": a.force, "differences": what }),
            )
        }
        _ => bail!("pass --from TOOL (take over its history) or --to VERSION --reason TEXT (a database migrated by hand)"),
    };
    if !plan.problems.is_empty() {
        bail!(
            "baseline refused, nothing was recorded:\n{}",
            plan.problems
                .iter()
                .map(|p| format!("  {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let rows: Vec<_> = plan
        .rows
        .into_iter()
        .filter(|(m, _)| !known.contains(m.version.as_str()))
        .collect();
    record(&session, &mut db, &rows, &source, a.reason.clone(), details)?;
    let dirty = rows.iter().filter(|(_, d)| d.is_some()).count();
    if !project.global.quiet && !project.json() {
        println!(
            "baselined {} migration{} on `{}` from {source}{}",
            rows.len() - dirty,
            if rows.len() - dirty == 1 { "" } else { "s" },
            session.env.name,
            if dirty > 0 {
                format!("; {dirty} imported as dirty: see `sluice status`")
            } else {
                String::new()
            }
        );
    }
    Ok(Outcome::Ok)
}

/// Maps a tool's records onto the catalog.
fn from_tool<'c>(tool: Tool, h: &foreign::History, catalog: &'c Catalog) -> Plan<'c> {
    let mut plan = Plan {
        rows: vec![],
        problems: vec![],
    };
    let by_key = |key: &str| -> Option<&'c Migration> {
        match tool {
            Tool::Prisma => catalog.migrations.iter().find(|m| m.file_name == key),
            Tool::Flyway | Tool::Refinery => Version::parse(&key.replace('_', "."))
                .or_else(|| key.starts_with("R__").then(|| Version::revision(key)))
                .and_then(|v| catalog.get(&v)),
            _ => Version::parse(key).and_then(|v| catalog.get(&v)),
        }
    };
    match h {
        foreign::History::Heads(heads) => {
            for head in heads.iter().filter(|h| catalog.find(h).is_none()) {
                plan.problems.push(format!(
                    "{} records revision {head} as applied, but no revision file has it (renamed or deleted?)",
                    tool.table()
                ));
            }
            let applied = catalog.with_ancestors(heads);
            plan.rows.extend(
                catalog
                    .migrations
                    .iter()
                    .filter(|m| applied.contains(m.version.as_str()))
                    .map(|m| (m, None)),
            );
        }
        foreign::History::UpTo { version, dirty } => {
            let Some(last) = Version::parse(version) else {
                plan.problems.push(format!(
                    "{} records version {version:?}, which is not a version",
                    tool.table()
                ));
                return plan;
            };
            if catalog.get(&last).is_none() {
                plan.problems.push(format!(
                    "{} records version {version} as applied, but no migration file has that version (renamed or deleted?)",
                    tool.table()
                ));
            }
            for m in catalog.migrations.iter().filter(|m| m.version <= last) {
                let why = (*dirty && m.version == last).then(|| tool.dirty_hint().to_string());
                plan.rows.push((m, why));
            }
        }
        foreign::History::Records(records) => {
            for r in records {
                if r.through {
                    // Everything up to a Flyway BASELINE counts as applied.
                    if let Some(v) = Version::parse(&r.key.replace('_', ".")) {
                        plan.rows.extend(
                            catalog
                                .migrations
                                .iter()
                                .filter(|m| m.version <= v)
                                .map(|m| (m, None)),
                        );
                    }
                    continue;
                }
                let Some(m) = by_key(&r.key) else {
                    plan.problems.push(format!(
                        "{} records {} as {}, but no migration file has it (renamed or deleted?)",
                        tool.table(),
                        r.key,
                        if r.applied { "applied" } else { "failed" }
                    ));
                    continue;
                };
                if let (Some(recorded), Some(now)) = (&r.checksum, checksum(tool, m)) {
                    if *recorded != now && m.repeatable {
                        // Changed since: the tool would run it again, and so
                        // will sluice (left pending).
                        continue;
                    }
                    if *recorded != now {
                        plan.problems.push(format!(
                            "{} changed since {} applied it (its recorded checksum is {}…, the file's is {}…)",
                            m.header_path(),
                            tool.name(),
                            &recorded[..recorded.len().min(12)],
                            &now[..now.len().min(12)]
                        ));
                        continue;
                    }
                }
                plan.rows
                    .push((m, (!r.applied).then(|| tool.dirty_hint().to_string())));
            }
            plan.rows.sort_by(|x, y| x.0.version.cmp(&y.0.version));
            plan.rows.dedup_by(|x, y| x.0.version == y.0.version);
        }
    }
    plan
}

/// The checksum `tool` records for `m`'s up file, as hex.
fn checksum(tool: Tool, m: &Migration) -> Option<String> {
    let up = &m.text()[m.up.range.clone()];
    let bytes: Vec<u8> = match tool {
        Tool::Sqlx => sha2::Sha384::digest(up.as_bytes()).to_vec(),
        Tool::Prisma => sha2::Sha256::digest(up.as_bytes()).to_vec(),
        Tool::Flyway => return Some(sluice_core::layout::flyway::checksum(up).to_string()),
        _ => return None,
    };
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The differences between the live schema and the replay of `upto`.
fn check_schema(
    session: &Session<'_>,
    upto: &[&Migration],
    a: &BaselineArgs,
) -> Result<Vec<sluice_schema::Difference>> {
    let project = session.project;
    let opts = crate::commands::schema::options(project);
    let actual = crate::commands::schema::live(project, session)?;
    let expected = crate::plan::expected_schema(session, upto, a.scratch_url.clone(), &opts)?;
    Ok(sluice_schema::compare(&expected, &actual))
}

/// Writes the rows and one audit row in one transaction.
fn record(
    session: &Session<'_>,
    db: &mut sluice_db::LockGuard,
    rows: &[(&Migration, Option<String>)],
    source: &str,
    reason: Option<String>,
    details: serde_json::Value,
) -> Result<()> {
    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables: {e}"))?;
    let info = session.info();
    let migrations: Vec<&Migration> = rows.iter().map(|(m, _)| *m).collect();
    let steps = runner::prepare_with(
        &migrations,
        Direction::Up,
        session.project.config.dialect,
        session.project.runner().as_ref(),
    )?;
    let mut sqls = Vec::new();
    for ((_, dirty), step) in rows.iter().zip(&steps) {
        let (status, applied) = match dirty {
            None => (Status::Baseline, step.statements.len()),
            Some(_) => (Status::Dirty, 0),
        };
        let mut row = info.row(step, status, applied, dirty.clone());
        row.execution_ms = Some(0);
        sqls.push(db.upsert_sql(&row));
    }
    let versions: Vec<String> = migrations.iter().map(|m| m.version.to_string()).collect();
    let mut details = details;
    details["versions"] = json!(versions);
    sqls.push(db.audit_sql(&info.audit(
        AuditKind::Baseline,
        None,
        AuditOutcome::Ok,
        Some(reason.unwrap_or_else(|| format!("taken over from {source}"))),
        details.clone(),
    )));
    db.run_in_transaction(&[], &sqls).map_err(|f| {
        anyhow!(
            "recording the baseline failed, nothing was recorded: {}",
            f.error
        )
    })?;
    session.finish(
        crate::evidence::RunOutcome::Ok,
        vec![],
        vec![],
        details,
        None,
    );
    Ok(())
}
