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
use sluice_core::Migration;
use sluice_report::pack::{
    Approvals, Change, Lock, MigrationPack, Pack, Rollback, TableChange, Upgrade,
};
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

/// The language of a migration's text, for its code fence.
fn language(m: &Migration) -> &'static str {
    match m.header_path().rsplit('.').next().unwrap_or("") {
        "py" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" | "mts" => "typescript",
        "rb" => "ruby",
        "sh" => "sh",
        _ => "sql",
    }
}

/// Each pending migration's schema change: the tables its effects name,
/// in the history model before and after it (the catalog folded in apply
/// order).
fn schema_changes(
    project: &Project,
    catalog: &sluice_core::Catalog,
    pending: &[&Migration],
) -> std::collections::HashMap<String, Vec<TableChange>> {
    use sluice_lint::history::{effects, Model};
    let wanted: std::collections::HashSet<&str> =
        pending.iter().map(|m| m.version.as_str()).collect();
    let mut model = Model::empty();
    let mut out = std::collections::HashMap::new();
    for m in &catalog.migrations {
        let e = effects(
            &crate::risk::analyze(project, m),
            m.body == sluice_core::layout::BodyKind::Sql,
        );
        if wanted.contains(m.version.as_str()) {
            let mut touched: Vec<sluice_sql::facts::ObjectName> = Vec::new();
            for a in &e.actions {
                let mut names: Vec<sluice_sql::facts::ObjectName> =
                    a.table().cloned().into_iter().collect();
                if let sluice_sql::facts::Action::RenameTable { table, new_name } = a {
                    names.push(sluice_sql::facts::ObjectName {
                        schema: table.schema.clone(),
                        name: new_name.clone(),
                    });
                }
                for n in names {
                    if !touched.iter().any(|t| t.same_as(&n)) {
                        touched.push(n);
                    }
                }
            }
            let before = model.clone();
            model.apply_effects(&e);
            let columns = |md: &Model, t: &sluice_sql::facts::ObjectName| {
                md.table(t).map(|t| t.columns.clone())
            };
            out.insert(
                m.version.to_string(),
                touched
                    .iter()
                    .map(|t| TableChange {
                        table: t.to_string(),
                        before: columns(&before, t),
                        after: columns(&model, t),
                    })
                    .collect(),
            );
        } else {
            model.apply_effects(&e);
        }
    }
    out
}

fn migration_report(
    project: &Project,
    env: Option<&sluice_core::Environment>,
    (m, analysis): (&Migration, &sluice_lint::analysis::Analysis),
    lint: sluice_lint::MigrationLint,
    approvals: &crate::gate::ApprovalCheck,
    schema_change: Vec<TableChange>,
    sizes: &std::collections::HashMap<String, (Option<i64>, String)>,
) -> MigrationPack {
    let mut changes = Vec::new();
    let mut verification = Vec::new();
    for s in analysis.statements.iter().filter(|s| !s.down) {
        if let Ok(f) = &s.facts {
            changes.push(Change {
                line: s.stmt.line,
                statement: describe(f),
                locks: f
                    .locks
                    .iter()
                    .map(|(r, mode)| {
                        let size = sizes.get(&sluice_engine::size_risk::regclass_name(r));
                        Lock {
                            relation: r.to_string(),
                            mode: mode.as_str().to_string(),
                            rows: size.and_then(|s| s.0),
                            size: size.map(|s| s.1.clone()),
                        }
                    })
                    .collect(),
                additive: f.actions.iter().all(|a| a.is_additive()),
            });
            verification.extend(
                f.actions
                    .iter()
                    .filter_map(sluice_db::postgres::verification::query),
            );
        }
    }
    let (needed, present) = match approvals.requirements.get(m.version.as_str()) {
        Some((_, needed)) => (
            Some(*needed),
            approvals.used.get(m.version.as_str()).cloned(),
        ),
        None => (None, None),
    };
    let rollback = match m.down_sql() {
        Some(sql) => Rollback::DownSection {
            sql: sql.trim().to_string(),
        },
        None => Rollback::Irreversible {
            strategy: m
                .header
                .value("ROLLBACK_STRATEGY")
                .unwrap_or("none given: restore from backup")
                .to_string(),
        },
    };
    let header = |k: &str| m.header.value(k).map(str::to_string);
    MigrationPack {
        version: m.version.to_string(),
        name: m.name.clone(),
        path: m.display_path.clone(),
        title: header("TITLE"),
        change_type: header("CHANGE_TYPE"),
        declared_risk: header("RISK_LEVEL"),
        computed_risk: lint.risk.as_str().to_string(),
        checksum: m.checksum.to_hex(),
        transactional: !m.up.no_transaction,
        upgrade: Upgrade {
            command: format!(
                "sluice apply --env {}",
                env.map(|e| e.name.as_str()).unwrap_or("ENV")
            ),
            sql: match m.body {
                sluice_core::layout::BodyKind::Sql => m
                    .up_sql()
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("-- ") || !l.contains(':'))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim()
                    .to_string(),
                // Another program's migration: its own text.
                _ => m.text().trim().to_string(),
            },
            language: language(m).into(),
            runner: project
                .runner()
                .filter(|_| m.body != sluice_core::layout::BodyKind::Sql)
                .and_then(|r| r.command_for(m, crate::runner::Direction::Up).ok())
                .map(|c| c.line),
            runner_down: project
                .runner()
                .filter(|_| m.body != sluice_core::layout::BodyKind::Sql && m.down.is_some())
                .and_then(|r| r.command_for(m, crate::runner::Direction::Down).ok())
                .map(|c| c.line),
            previous: m.previous.as_ref().map(|_| {
                if m.parents.is_empty() {
                    "base".to_string()
                } else {
                    m.parents.join(", ")
                }
            }),
            changes,
        },
        rollback,
        verification,
        approvals: Approvals {
            needed,
            present: present.unwrap_or_else(|| serde_json::json!([])),
        },
        findings: lint.diagnostics,
        schema_change,
    }
}

/// Runs `report`.
pub fn run(project: &Project, a: &ReportArgs) -> Result<Outcome> {
    let layout = project.config.layout.imp();
    if a.versions.is_empty() && layout.external_runner().is_some() && project.runner().is_none() {
        anyhow::bail!(
            "with the {} layout and no [migrations] run, sluice keeps no history to tell what is pending: name the migrations with `--versions V,...`",
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
    // The target, when the report reads it (pending from its history, or
    // `[risk] large_table_rows`): one connection for everything it asks.
    let mut target: Option<Box<dyn sluice_db::Database>> = None;
    let pending: Vec<&Migration> = if !a.versions.is_empty() {
        a.versions
            .iter()
            .map(|v| {
                catalog
                    .find(v)
                    .ok_or_else(|| anyhow!("--versions {v}: no such migration"))
            })
            .collect::<Result<_>>()?
    } else {
        let env = env.as_ref().expect("set above");
        let db = target.insert(project.connect(env)?);
        history = crate::state::load_history(&mut **db, &catalog)
            .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
        crate::state::join(&catalog, &history)
            .into_iter()
            .filter(|e| e.is_pending())
            .filter_map(|e| e.migration)
            .collect()
    };
    if let (Some(e), None, Some(_)) = (&env, &target, project.large_table_rows) {
        target = Some(project.connect(e)?);
    }
    let analyses: Vec<_> = pending
        .iter()
        .map(|m| crate::risk::analyze(project, m))
        .collect();
    // Each judged against the history before it, as `check` judges it,
    // lifted for large tables where the target is at hand.
    let policy = crate::risk::policy(project)?;
    let mut lints = crate::risk::lint_pending(project, &policy, &pending)?;
    if let Some(db) = target.as_mut() {
        crate::risk::lift_for_size(project, &mut **db, &analyses, &mut lints)?;
    }
    let approvals = match &env {
        Some(e) => {
            let risks: Vec<_> = lints.iter().map(|l| l.risk).collect();
            crate::gate::check_approvals(project, e, &pending, &risks)?
        }
        None => Default::default(),
    };
    let mut changes = schema_changes(project, &catalog, &pending);
    // Sizes of what the statements lock, from the target when the report
    // reads it (one query).
    let mut sizes = std::collections::HashMap::new();
    if let Some(db) = target.as_mut() {
        let names: Vec<String> = analyses
            .iter()
            .flat_map(|a| &a.statements)
            .filter(|s| !s.down)
            .filter_map(|s| s.facts.as_ref().ok())
            .flat_map(|f| &f.locks)
            .map(|(r, _)| sluice_engine::size_risk::regclass_name(r))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for r in sluice_db::inspect::relation_sizes(&mut **db, &names)
            .map_err(|e| anyhow!("reading the sizes of the tables pending migrations lock: {e}"))?
        {
            sizes.insert(r.asked, (r.rows, sluice_db::inspect::pretty_bytes(r.bytes)));
        }
    }
    drop(target);
    let doc = Pack {
        schema_version: crate::output::SCHEMA_VERSION,
        environment: env.as_ref().map(|e| e.name.clone()),
        migrations: pending
            .iter()
            .zip(analyses)
            .zip(lints)
            .map(|((m, analysis), lint)| {
                let change = changes.remove(m.version.as_str()).unwrap_or_default();
                migration_report(
                    project,
                    env.as_ref(),
                    (m, &analysis),
                    lint,
                    &approvals,
                    change,
                    &sizes,
                )
            })
            .collect(),
        evidence: crate::evidence::latest(project),
    };
    match project.global.format {
        Format::Json => crate::output::print_json(&serde_json::to_value(&doc)?),
        Format::Html => {
            let root = project.config.root.clone();
            let src = move |p: &str| std::fs::read_to_string(root.join(p)).ok();
            print!(
                "{}",
                crate::secrets::scrub(&sluice_report::html::pack(&doc, &src))
            )
        }
        _ => print!(
            "{}",
            crate::secrets::scrub(&sluice_report::markdown::pack(&doc))
        ),
    }
    Ok(Outcome::Ok)
}
