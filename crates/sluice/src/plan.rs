//! `plan`: what would happen if `apply` ran now on an environment, proven on a
//! scratch database before anything touches the target.
//!
//! 1. **Pending**: the target's history is read (no lock, nothing written) and
//!    joined with the directory; each pending migration gets its computed risk,
//!    its `check` findings and the approvals it needs against those present.
//! 2. **Scratch replay**: a fresh database (on the environment's `scratch_url`
//!    server; for a non-production environment, the target's own server; never
//!    a production server `scratch_url` does not name; SQLite: a temporary
//!    file) receives every migration the target has applied, then each pending
//!    one; a migration with a down section goes up → down → up, and the schema
//!    must match before and after each step. Then a second apply must find
//!    nothing to do and status must be clean. The scratch database is dropped on
//!    every path, Ctrl-C included.
//! 3. **Observed locks**: each pending statement of a transactional migration
//!    runs on the scratch database on its own, and the relation locks its
//!    session holds right after it (from `pg_locks`, before the transaction
//!    ends) are recorded against it.
//! 4. **Sizes**: the target's row and size estimates of every relation a
//!    pending statement locks, with what the statement does to it (rewrite,
//!    scan, or a catalog change under the lock).
//! 5. **Rollback guide**: see [`crate::rollback`].
//!
//! Blocking (exit 1): a gate, missing approvals, an error-severity `check`
//! finding on a pending migration, a migration that fails on the replay, a
//! second apply that is not a no-op, or a down section that does not restore
//! the schema.

use crate::rollback::{self, first_line, Rollback};
use crate::runner::{self, Direction, Step};
use crate::session::Session;
use crate::state;
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use sluice_core::config::Dialect;
use sluice_core::{Catalog, Migration, Version};
use sluice_db::inspect::{self, HeldLock};
use sluice_db::scratch::Scratch;
use sluice_db::{Backend, Database, LockGuard, SessionSettings};
use sluice_lint::analysis::Analysis;
use sluice_lint::{Diagnostic, Severity};
use sluice_sql::facts::{Action, DefaultKind, Facts, LockMode, ObjectName};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plan up to and including this version.
    pub to: Option<Version>,
    /// Server for the scratch database, overriding the environment's.
    pub scratch_url: Option<String>,
    /// Skip the scratch replay (said so in the output).
    pub no_replay: bool,
}

/// Approvals of one pending migration.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalStatus {
    /// How many distinct valid approvers its computed risk needs here.
    pub needed: u32,
    /// Who approved it (valid approvals only).
    pub present: Vec<String>,
    /// Whether the requirement is met.
    pub ok: bool,
}

/// One pending migration.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Path relative to the project.
    pub path: String,
    /// Runs in one transaction.
    pub transactional: bool,
    /// Statements in its up section.
    pub statements: usize,
    /// RISK_LEVEL from the header.
    pub declared_risk: Option<String>,
    /// Risk computed from its statements.
    pub computed_risk: &'static str,
    /// `check` findings on it.
    pub findings: Vec<Diagnostic>,
    /// Approvals needed and present.
    pub approvals: ApprovalStatus,
}

/// A lock seen on the scratch database.
#[derive(Debug, Clone, Serialize)]
pub struct ObservedLock {
    /// `users`, or `app.users` outside `public`.
    pub relation: String,
    /// `table`, `index`, ...
    pub kind: &'static str,
    /// As in `pg_locks.mode`.
    pub mode: String,
    /// Taken (or strengthened) by this statement; false when an earlier
    /// statement of the migration already held it.
    pub acquired: bool,
    /// The relation did not exist before this migration (nobody else can be
    /// waiting on it).
    pub created: bool,
}

/// A lock expected from static analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedLock {
    /// The relation as the statement names it.
    pub relation: String,
    /// As in `pg_locks.mode`.
    pub mode: &'static str,
}

/// Locks of one pending statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementLocks {
    /// Version.
    pub version: String,
    /// 1-based index in the up section.
    pub statement: usize,
    /// Line in the file.
    pub line: usize,
    /// Its first line.
    pub sql: String,
    /// Whether `locks` were observed (Postgres, in a transaction).
    pub observed: bool,
    /// Observed locks.
    pub locks: Vec<ObservedLock>,
    /// Locks static analysis expects.
    pub expected: Vec<ExpectedLock>,
    /// Why locks were not observed, or how long they last.
    pub note: Option<String>,
}

/// What one statement does to a relation.
#[derive(Debug, Clone, Serialize)]
pub struct SizeUse {
    /// Version.
    pub version: String,
    /// Line in the file.
    pub line: usize,
    /// `rewrite`, `scan` or `lock` (a catalog change under the lock).
    pub work: &'static str,
    /// The lock it takes.
    pub mode: &'static str,
}

/// The target's estimates for a relation pending statements lock.
#[derive(Debug, Clone, Serialize)]
pub struct SizeEstimate {
    /// `users`, or `app.users` outside `public`.
    pub relation: String,
    /// `pg_class.reltuples` (null when never analysed).
    pub rows: Option<i64>,
    /// `pg_total_relation_size`.
    pub bytes: i64,
    /// `bytes`, for people.
    pub size: String,
    /// The statements.
    pub statements: Vec<SizeUse>,
}

/// up → down → up of one migration on the scratch database.
#[derive(Debug, Clone, Serialize)]
pub struct DownCheck {
    /// Version.
    pub version: String,
    /// The down section ran.
    pub down_ran: bool,
    /// After down, the schema equals the schema before up.
    pub restores_previous_schema: bool,
    /// After up again, the schema equals the schema after the first up.
    pub reapply_same_schema: bool,
    /// Differences found (`- expected`, `+ found`), at most 20.
    pub differences: Vec<String>,
}

/// Where the replay stopped.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayFailure {
    /// `applied` (a migration the target has), `pending`, `down` or `reapply`.
    pub phase: &'static str,
    /// Version.
    pub version: String,
    /// File.
    pub path: String,
    /// Line of the failing statement.
    pub line: usize,
    /// Its first line.
    pub sql: String,
    /// What the database said.
    pub error: String,
}

/// The scratch replay.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Replay {
    /// Whether it ran.
    pub performed: bool,
    /// Why not.
    pub skipped: Option<String>,
    /// `postgres` or `sqlite`.
    pub backend: Option<&'static str>,
    /// The scratch database (server redacted).
    pub scratch: Option<String>,
    /// Migrations the target has applied, replayed from empty.
    pub replayed_applied: usize,
    /// Pending migrations that applied.
    pub pending_applied: usize,
    /// Every pending migration applied.
    pub applies: Option<bool>,
    /// A second apply found nothing to do.
    pub second_apply_noop: Option<bool>,
    /// Status was clean afterwards.
    pub status_clean: Option<bool>,
    /// up → down → up per migration with a down section.
    pub down_checks: Vec<DownCheck>,
    /// Where it stopped.
    pub failure: Option<ReplayFailure>,
    /// The scratch database was dropped.
    pub dropped: bool,
    /// Wall time.
    pub duration_ms: u128,
    /// What the output cannot show on this backend.
    pub notes: Vec<String>,
}

/// The whole plan.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    /// Migrations applied on the target.
    pub applied: usize,
    /// Pending migrations, oldest first.
    pub pending: Vec<Pending>,
    /// Highest computed risk of the pending migrations.
    pub risk: Option<&'static str>,
    /// Gate findings (history gates and approvals).
    pub gates: Vec<Diagnostic>,
    /// The replay.
    pub replay: Replay,
    /// Locks per pending statement.
    pub locks: Vec<StatementLocks>,
    /// Size estimates on the target.
    pub sizes: Vec<SizeEstimate>,
    /// Rollback guide per pending migration.
    pub rollback: Vec<Rollback>,
    /// Everything that blocks: gates, error findings, replay failures.
    pub blocking: Vec<Diagnostic>,
}

impl PlanReport {
    /// Whether `apply` would run (exit 0) or is blocked (exit 1).
    pub fn blocked(&self) -> bool {
        !self.blocking.is_empty()
    }
}

/// `users` for `public.users`, else `schema.name`.
fn display_relation(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

fn names_relation(o: &ObjectName, schema: &str, name: &str) -> bool {
    o.name == name && o.schema.as_deref().is_none_or(|s| s == schema)
}

/// What an action does to a table it locks.
fn work(a: &Action) -> &'static str {
    match a {
        Action::AddColumn {
            default: DefaultKind::Volatile,
            ..
        }
        | Action::AlterColumnType { .. }
        | Action::SetTablespace { .. }
        | Action::Vacuum { full: true, .. }
        | Action::Cluster { .. } => "rewrite",
        Action::CreateIndex { .. }
        | Action::SetNotNull { .. }
        | Action::ValidateConstraint { .. }
        | Action::Update { .. }
        | Action::Delete { .. }
        | Action::Reindex { .. } => "scan",
        Action::AddConstraint {
            not_valid: false,
            using_index: false,
            ..
        } => "scan",
        _ => "lock",
    }
}

fn rank(w: &str) -> u8 {
    match w {
        "rewrite" => 2,
        "scan" => 1,
        _ => 0,
    }
}

/// The up-section statements of an analysis, in order, keyed by line.
fn up_facts(analysis: &Analysis) -> HashMap<usize, &Facts> {
    analysis
        .statements
        .iter()
        .filter(|s| !s.down)
        .filter_map(|s| s.facts.as_ref().ok().map(|f| (s.stmt.line, f)))
        .collect()
}

/// Resolves the server for the scratch database (`verify` and `adopt` use it
/// too).
pub fn scratch_server(session: &Session<'_>, opts: &PlanOptions) -> Result<String> {
    let env = &session.env;
    if let Some(u) = &opts.scratch_url {
        return Ok(u.clone());
    }
    if let Some(raw) = &env.section.scratch_url {
        let u = sluice_core::interpolate::interpolate(raw, &|k| std::env::var(k).ok())
            .map_err(|e| anyhow!("[environments.{}] scratch_url: {e}", env.name))?;
        if !u.is_empty() {
            return Ok(u);
        }
    }
    if env.production_like {
        bail!(
            "environment `{}` is production-like and has no scratch_url: plan never creates a scratch database on a production server; set [environments.{}] scratch_url to a server for scratch databases (a CI Postgres, say), pass --scratch-url, or pass --no-replay to plan without the replay",
            env.name,
            env.name
        );
    }
    Ok(env.url.clone())
}

/// Computes the plan.
pub fn plan(session: &Session<'_>, catalog: &Catalog, opts: &PlanOptions) -> Result<PlanReport> {
    let project = session.project;
    let env = &session.env;
    let mut target = session.connect()?;
    let history = target
        .load_history()
        .map_err(|e| anyhow!("reading sluice_history on `{}`: {e}", env.name))?;
    let entries = state::join(catalog, &history);
    let dir = project.rel(&project.config.migrations_dir);
    let mut gates = state::apply_gates(
        catalog,
        &entries,
        &dir,
        &env.name,
        project.config.file.migrations.allow_out_of_order,
    );
    let pending: Vec<&Migration> = entries
        .iter()
        .filter(|e| e.is_pending() && opts.to.as_ref().is_none_or(|t| e.version <= *t))
        .filter_map(|e| e.migration)
        .collect();
    let applied: Vec<&Migration> = entries
        .iter()
        .filter(|e| e.state.is_clean())
        .filter_map(|e| e.migration)
        .collect();
    let steps = runner::prepare(&pending, Direction::Up, project.config.dialect)?;
    // apply refuses these before running anything; so does the replay.
    let transaction_control = runner::transaction_control(&steps);
    let refuses_transaction_control = !transaction_control.is_empty();
    gates.extend(transaction_control);

    let policy = crate::risk::policy_for(project, env)?;
    let analyses: Vec<Analysis> = pending
        .iter()
        .map(|m| crate::risk::analyze(project, m))
        .collect();
    let approvals = crate::gate::check_approvals(project, env, &pending)?;
    gates.extend(approvals.findings.iter().cloned());
    let mut blocking = gates.clone();
    let mut report_pending = Vec::new();
    let mut max_risk = None;
    for (m, analysis) in pending.iter().zip(&analyses) {
        let lint = sluice_lint::lint_migration(m, analysis, &policy);
        max_risk = max_risk.max(Some(lint.risk));
        // A lint finding the gates already hold (transaction-nesting) counts once.
        let held: Vec<(&str, String, usize)> = gates
            .iter()
            .map(|d| (d.rule, d.path.clone(), d.line))
            .collect();
        blocking.extend(
            lint.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .filter(|d| !held.contains(&(d.rule, d.path.clone(), d.line)))
                .cloned(),
        );
        let needed = approvals
            .requirements
            .get(m.version.as_str())
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let present: Vec<String> = approvals
            .used
            .get(m.version.as_str())
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("by").and_then(|b| b.as_str()).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        report_pending.push(Pending {
            version: m.version.to_string(),
            name: m.name.clone(),
            path: m.display_path.clone(),
            transactional: !m.up.no_transaction,
            statements: steps
                .iter()
                .find(|s| s.migration.version == m.version)
                .map_or(0, |s| s.statements.len()),
            declared_risk: m.header.value("RISK_LEVEL").map(str::to_string),
            computed_risk: lint.risk.as_str(),
            findings: lint.diagnostics,
            approvals: ApprovalStatus {
                ok: present.len() as u32 >= needed,
                needed,
                present,
            },
        });
    }

    let sizes = sizes(&mut *target, &pending, &analyses)?;
    drop(target);
    let rollback = pending
        .iter()
        .zip(&analyses)
        .map(|(m, a)| rollback::guide(m, a, project.config.dialect))
        .collect();

    let mut report = PlanReport {
        applied: applied.len(),
        pending: report_pending,
        risk: max_risk.map(|r| r.as_str()),
        gates,
        replay: Replay::default(),
        locks: vec![],
        sizes,
        rollback,
        blocking,
    };
    if opts.no_replay {
        report.replay.skipped = Some("--no-replay".into());
    } else if refuses_transaction_control {
        report.replay.skipped = Some(
            "a pending migration holds transaction control that apply refuses: fix that first"
                .into(),
        );
    } else if !report.gates.iter().all(|d| d.rule.starts_with("approval-")) {
        report.replay.skipped =
            Some("a gate refuses this environment's history: fix that first".into());
    } else {
        let server = scratch_server(session, opts)?;
        crate::secrets::register_url(&server);
        replay(
            session,
            catalog,
            &applied,
            &steps,
            &analyses,
            &server,
            opts,
            &mut report,
        )?;
    }
    Ok(report)
}

/// Size estimates for the relations pending statements lock.
fn sizes(
    target: &mut dyn Database,
    pending: &[&Migration],
    analyses: &[Analysis],
) -> Result<Vec<SizeEstimate>> {
    let mut uses: BTreeMap<String, (ObjectName, Vec<SizeUse>)> = BTreeMap::new();
    for (m, analysis) in pending.iter().zip(analyses) {
        for s in analysis.statements.iter().filter(|s| !s.down) {
            let Ok(f) = &s.facts else { continue };
            for (rel, mode) in &f.locks {
                let w = f
                    .actions
                    .iter()
                    .filter(|a| a.table().is_some_and(|t| t.same_as(rel)))
                    .map(work)
                    .max_by_key(|w| rank(w))
                    .unwrap_or("lock");
                let key = regclass_name(rel);
                uses.entry(key)
                    .or_insert_with(|| (rel.clone(), vec![]))
                    .1
                    .push(SizeUse {
                        version: m.version.to_string(),
                        line: s.stmt.line,
                        work: w,
                        mode: mode.as_str(),
                    });
            }
        }
    }
    let names: Vec<String> = uses.keys().cloned().collect();
    let found = inspect::relation_sizes(target, &names)
        .map_err(|e| anyhow!("reading size estimates on the target: {e}"))?;
    let mut out: Vec<SizeEstimate> = found
        .into_iter()
        .filter_map(|r| {
            let (_, statements) = uses.remove(&r.asked)?;
            Some(SizeEstimate {
                relation: display_relation(&r.schema, &r.name),
                rows: r.rows,
                bytes: r.bytes,
                size: inspect::pretty_bytes(r.bytes),
                statements,
            })
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.relation.cmp(&b.relation)));
    Ok(out)
}

/// A name as `to_regclass` reads it.
fn regclass_name(o: &ObjectName) -> String {
    use sluice_schema::ddl::ident;
    match &o.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&o.name)),
        None => ident(&o.name),
    }
}

/// Differences from `expected` to `found`, one line each, at most 20.
fn differences(expected: &sluice_schema::Schema, found: &sluice_schema::Schema) -> Vec<String> {
    let mut out: Vec<String> = sluice_schema::compare(expected, found)
        .iter()
        .map(|d| d.describe())
        .collect();
    out.truncate(20);
    out
}

/// The replay's connection, with the lock the run loop expects.
struct ScratchRun<'s> {
    db: LockGuard,
    info: runner::RunInfo<'s>,
    /// Where sluice keeps its own tables.
    history_schema: String,
    dialect: Dialect,
}

impl ScratchRun<'_> {
    /// The scratch database's schema (the same model `verify` compares).
    fn schema(&mut self) -> Result<sluice_schema::Schema> {
        let opts = sluice_db::introspect::Options {
            history_schema: self.history_schema.clone(),
            ..Default::default()
        };
        sluice_db::introspect::introspect(&mut *self.db, &opts)
            .map_err(|e| anyhow!("reading the scratch database's schema: {e}"))
    }

    /// Runs steps with the real run loop; the failure, if any.
    fn run(&mut self, steps: &[Step<'_>], phase: &'static str) -> Option<ReplayFailure> {
        let (_, stop) = runner::run(&mut self.db, &self.info, steps, &mut |_| {});
        stop.map(|s| {
            let m = steps
                .iter()
                .find(|st| st.migration.version.as_str() == s.record.version)
                .map(|st| st.migration)
                .expect("the failing step is one of ours");
            let step = steps
                .iter()
                .find(|st| st.migration.version == m.version)
                .expect("present");
            let line = s.at.map_or(1, |(_, line)| line);
            let sql =
                s.at.and_then(|(i, _)| step.statements.get(i))
                    .map(|st| first_line(st.text(m.text())))
                    .unwrap_or_default();
            ReplayFailure {
                phase,
                version: m.version.to_string(),
                path: m.display_path.clone(),
                line,
                sql,
                error: s.record.error.clone().unwrap_or(s.message),
            }
        })
    }
}

/// Checks the scratch server against the target and creates the scratch
/// database (the signal handler that drops it is installed first).
fn create_scratch(session: &Session<'_>, server: &str) -> Result<(Scratch, Backend)> {
    let env = &session.env;
    let shown = sluice_core::redact::redact_url(server);
    let backend =
        sluice_db::backend_of(server).map_err(|e| anyhow!("the scratch server: {}", e.message))?;
    if let Some(target) = sluice_db::backend_of(&env.url)
        .ok()
        .filter(|b| *b != backend)
    {
        bail!(
            "the scratch server {shown} is {} but environment `{}` is {}: the replay must run on the same kind of database",
            backend.as_str(),
            env.name,
            target.as_str()
        );
    }
    crate::interrupt::install();
    let scratch = match backend {
        Backend::Postgres => Scratch::postgres(server),
        Backend::Sqlite => Scratch::sqlite(),
    }
    .map_err(|e| anyhow!("scratch database on {shown}: {e}"))?;
    Ok((scratch, backend))
}

/// Connects to a scratch database with the environment's session settings (a
/// migration sees the same ones as on the target), creates sluice's tables,
/// and takes the lock the run loop expects.
fn open_scratch(session: &Session<'_>, scratch: &Scratch) -> Result<LockGuard> {
    let env = &session.env;
    let mut db = scratch
        .connect(&session.project.config.file.history.schema)
        .map_err(|e| anyhow!("connecting to the scratch database: {e}"))?;
    db.configure(&SessionSettings {
        lock_timeout: env.lock_timeout,
        statement_timeout: env.statement_timeout,
    })
    .map_err(|e| anyhow!("configuring the scratch database: {e}"))?;
    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables on the scratch database: {e}"))?;
    LockGuard::acquire(db, Duration::from_secs(10), || {})
        .map_err(|e| anyhow!("scratch database: {e}"))
}

#[allow(clippy::too_many_arguments)]
fn replay(
    session: &Session<'_>,
    catalog: &Catalog,
    applied: &[&Migration],
    steps: &[Step<'_>],
    analyses: &[Analysis],
    server: &str,
    opts: &PlanOptions,
    report: &mut PlanReport,
) -> Result<()> {
    let project = session.project;
    let start = Instant::now();
    let (mut scratch, backend) = create_scratch(session, server)?;
    let r = &mut report.replay;
    r.performed = true;
    r.backend = Some(backend.as_str());
    r.scratch = Some(match backend {
        Backend::Postgres => format!(
            "{} (database {})",
            sluice_core::redact::redact_url(server),
            scratch.name()
        ),
        Backend::Sqlite => scratch.name(),
    });
    if backend == Backend::Sqlite {
        r.notes.push(
            "SQLite has no lock table and no size statistics: locks are not observed and sizes are not estimated (a SQLite write locks the whole database)".into(),
        );
    }
    project.progress(&format!(
        "replaying on scratch database {}",
        r.scratch.as_deref().unwrap_or("")
    ));
    let result = (|| -> Result<()> {
        let mut run = ScratchRun {
            db: open_scratch(session, &scratch)?,
            info: session.info(),
            history_schema: project.config.file.history.schema.clone(),
            dialect: project.config.dialect,
        };
        replay_on(&mut run, catalog, applied, steps, analyses, opts, report)
    })();
    let dropped = scratch.drop_now();
    report.replay.dropped = dropped.is_ok();
    if let Err(e) = dropped {
        report.replay.notes.push(format!(
            "the scratch database {} could not be dropped: {e}; drop it by hand",
            scratch.name()
        ));
    }
    report.replay.duration_ms = start.elapsed().as_millis();
    result
}

fn replay_on(
    run: &mut ScratchRun<'_>,
    catalog: &Catalog,
    applied: &[&Migration],
    steps: &[Step<'_>],
    analyses: &[Analysis],
    opts: &PlanOptions,
    report: &mut PlanReport,
) -> Result<()> {
    // What the target has, from empty.
    let base = runner::prepare(applied, Direction::Up, run.dialect)?;
    if let Some(f) = run.run(&base, "applied") {
        report.blocking.push(Diagnostic::new(
            "replay-failed",
            &f.path,
            f.line,
            1,
            format!(
                "migration {} is applied on `{}` but fails on an empty database: {}; the migrations no longer reproduce that database's schema",
                f.version, run.info.env.name, f.error
            ),
            "find what the migration depends on that no migration creates (an object made by hand?) and add a migration for it, or adopt the drift",
        ));
        report.replay.failure = Some(f);
        return Ok(());
    }
    report.replay.replayed_applied = base.len();

    let mut all_applied = true;
    for (step, analysis) in steps.iter().zip(analyses) {
        let m = step.migration;
        let before = if m.down.is_some() {
            Some(run.schema()?)
        } else {
            None
        };
        match apply_observed(run, step, analysis) {
            Ok(locks) => report.locks.extend(locks),
            Err(f) => {
                report.blocking.push(Diagnostic::new(
                    "replay-failed",
                    &f.path,
                    f.line,
                    1,
                    format!(
                        "migration {} fails on the scratch database at line {}: {}",
                        f.version, f.line, f.error
                    ),
                    "fix the migration (it is not applied on this environment yet) and plan again; nothing was run on the target",
                ));
                report.replay.failure = Some(f);
                all_applied = false;
                break;
            }
        }
        report.replay.pending_applied += 1;
        if let Some(before) = before {
            if !down_check(run, m, &before, report)? {
                all_applied = false;
                break;
            }
        }
    }
    report.replay.applies = Some(all_applied);
    if !all_applied {
        return Ok(());
    }

    // A second apply must find nothing to do, and status must be clean.
    let history = run
        .db
        .load_history()
        .map_err(|e| anyhow!("reading the scratch database's history: {e}"))?;
    let entries = state::join(catalog, &history);
    let again: Vec<String> = entries
        .iter()
        .filter(|e| e.is_pending() && opts.to.as_ref().is_none_or(|t| e.version <= *t))
        .map(|e| e.version.to_string())
        .collect();
    let noop = again.is_empty();
    let unclean: Vec<String> = entries
        .iter()
        .filter(|e| !e.state.is_clean() && !e.is_pending())
        .map(|e| format!("{} is {:?}", e.version, e.state).to_lowercase())
        .collect();
    report.replay.second_apply_noop = Some(noop);
    report.replay.status_clean = Some(unclean.is_empty());
    if !noop || !unclean.is_empty() {
        report.blocking.push(Diagnostic::new(
            "replay-not-idempotent",
            project_dir_hint(steps),
            1,
            1,
            format!(
                "after the replay, a second apply is not a no-op or status is not clean: {}",
                again
                    .iter()
                    .map(|v| format!("{v} would run again"))
                    .chain(unclean)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "a migration's history row was not recorded as applied; report this with the migration",
        ));
    }
    Ok(())
}

fn project_dir_hint(steps: &[Step<'_>]) -> String {
    steps
        .first()
        .map(|s| s.migration.display_path.clone())
        .unwrap_or_default()
}

/// up → down → up; false when the replay must stop.
fn down_check(
    run: &mut ScratchRun<'_>,
    m: &Migration,
    before: &sluice_schema::Schema,
    report: &mut PlanReport,
) -> Result<bool> {
    let after_up = run.schema()?;
    let down = runner::prepare(&[m], Direction::Down, run.dialect)?;
    let mut check = DownCheck {
        version: m.version.to_string(),
        down_ran: false,
        restores_previous_schema: false,
        reapply_same_schema: false,
        differences: vec![],
    };
    let mismatch = |report: &mut PlanReport, line: usize, msg: String| {
        report.blocking.push(Diagnostic::new(
            "rollback-mismatch",
            &m.display_path,
            line,
            1,
            msg,
            "make the down section undo exactly what the up section does (or remove it and document ROLLBACK_STRATEGY)",
        ))
    };
    let marker = m.down_marker_line.unwrap_or(1);
    if let Some(f) = run.run(&down, "down") {
        mismatch(
            report,
            f.line,
            format!(
                "the down section of migration {} fails on the scratch database at line {}: {}",
                m.version, f.line, f.error
            ),
        );
        let stop = m.down.as_ref().is_some_and(|d| d.no_transaction);
        report.replay.down_checks.push(check);
        report.replay.failure = Some(f);
        // A transactional down rolled back: the schema is still the up one.
        return Ok(!stop);
    }
    check.down_ran = true;
    let after_down = run.schema()?;
    check.differences = differences(before, &after_down);
    check.restores_previous_schema = check.differences.is_empty();
    if !check.restores_previous_schema {
        mismatch(
            report,
            marker,
            format!(
                "the down section of migration {} does not return the schema to what it was before the migration (expected = before, found = after down): {}",
                m.version,
                check.differences.join("; ")
            ),
        );
    }
    let up = runner::prepare(&[m], Direction::Up, run.dialect)?;
    if let Some(f) = run.run(&up, "reapply") {
        mismatch(
            report,
            f.line,
            format!(
                "migration {} does not apply again after its down section ran (up → down → up) at line {}: {}",
                m.version, f.line, f.error
            ),
        );
        report.replay.down_checks.push(check);
        report.replay.failure = Some(f);
        return Ok(false);
    }
    let again = run.schema()?;
    let d = differences(&after_up, &again);
    check.reapply_same_schema = d.is_empty();
    if !check.reapply_same_schema {
        mismatch(
            report,
            marker,
            format!(
                "up → down → up of migration {} does not return to the same schema: {}",
                m.version,
                d.join("; ")
            ),
        );
        check.differences.extend(d);
    }
    report.replay.down_checks.push(check);
    Ok(true)
}

/// Per relation: the strongest mode newly taken, the strongest held, its kind.
type RelLocks = (Option<LockMode>, Option<LockMode>, &'static str);

fn relation_key(h: &HeldLock) -> (String, String) {
    (h.schema.clone(), h.name.clone())
}

/// Applies one pending migration with the run loop `apply` uses, observing
/// after each statement of a transactional migration the locks its session
/// holds (where the driver can observe locks).
fn apply_observed(
    run: &mut ScratchRun<'_>,
    step: &Step<'_>,
    analysis: &Analysis,
) -> std::result::Result<Vec<StatementLocks>, ReplayFailure> {
    let m = step.migration;
    let facts = up_facts(analysis);
    let observable = run.db.capabilities().observable_locks;
    let texts = step.texts();
    let n = texts.len();
    let expected = |line: usize| -> Vec<ExpectedLock> {
        facts
            .get(&line)
            .map(|f| {
                f.locks
                    .iter()
                    .map(|(r, mode)| ExpectedLock {
                        relation: r.to_string(),
                        mode: mode.as_str(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let entry = |i: usize, observed: bool, locks: Vec<ObservedLock>, note: Option<String>| {
        let st = &step.statements[i];
        StatementLocks {
            version: m.version.to_string(),
            statement: i + 1,
            line: st.line,
            sql: first_line(texts[i]),
            observed,
            locks,
            expected: expected(st.line),
            note,
        }
    };
    let unobserved_note = |pg: bool| {
        if pg {
            "runs outside a transaction (sluice:no-transaction): its locks last only while it runs, so they are not observed after it; expected locks are from analysis".to_string()
        } else {
            "SQLite: locks are not observed".to_string()
        }
    };
    let stop_to_failure = |s: Box<runner::Stop>| {
        let line = s.at.map_or(1, |(_, line)| line);
        let sql =
            s.at.and_then(|(i, _)| step.statements.get(i))
                .map(|st| first_line(st.text(m.text())))
                .unwrap_or_default();
        ReplayFailure {
            phase: "pending",
            version: m.version.to_string(),
            path: m.display_path.clone(),
            line,
            sql,
            error: s.record.error.clone().unwrap_or(s.message),
        }
    };

    if step.no_transaction || !observable {
        runner::run_step_observed(&mut run.db, &run.info, step, None).map_err(stop_to_failure)?;
        let note = unobserved_note(observable);
        return Ok((0..n)
            .map(|i| entry(i, false, vec![], Some(note.clone())))
            .collect());
    }

    let hs = run.history_schema.clone();
    let ours = |h: &HeldLock| !(h.schema == hs && h.name.starts_with("sluice_"));
    let existing = inspect::relations(&mut *run.db).map_err(|e| ReplayFailure {
        phase: "pending",
        version: m.version.to_string(),
        path: m.display_path.clone(),
        line: 1,
        sql: String::new(),
        error: format!("listing the scratch database's relations failed: {e}"),
    })?;
    let mut held: HashSet<(String, String, String)> = HashSet::new();
    let mut out = Vec::new();
    let mut observe =
        |i: usize, db: &mut LockGuard| -> std::result::Result<(), sluice_db::DbError> {
            let st = &step.statements[i];
            let now: Vec<HeldLock> = inspect::held_locks(&mut **db)?
                .into_iter()
                .filter(|h| ours(h))
                .collect();
            let named = facts.get(&st.line);
            // Per relation: the strongest mode this statement newly took, else
            // (when the statement names the relation) the strongest held.
            let mut per_rel: BTreeMap<(String, String), RelLocks> = BTreeMap::new();
            for h in &now {
                let mode = LockMode::parse(&h.mode);
                let e = per_rel
                    .entry(relation_key(h))
                    .or_insert((None, None, h.kind));
                if !held.contains(&(h.schema.clone(), h.name.clone(), h.mode.clone())) {
                    e.0 = e.0.max(mode);
                }
                e.1 = e.1.max(mode);
            }
            let mut locks = Vec::new();
            for ((schema, name), (new, strongest, kind)) in per_rel {
                let mentioned = named.is_some_and(|f| {
                    f.locks
                        .iter()
                        .any(|(r, _)| names_relation(r, &schema, &name))
                });
                let mode = match (new, mentioned) {
                    (Some(m), _) => m,
                    (None, true) => match strongest {
                        Some(m) => m,
                        None => continue,
                    },
                    (None, false) => continue,
                };
                locks.push(ObservedLock {
                    relation: display_relation(&schema, &name),
                    kind,
                    mode: mode.as_str().to_string(),
                    acquired: new.is_some(),
                    created: !existing.contains(&(schema.clone(), name.clone())),
                });
            }
            held = now
                .iter()
                .map(|h| (h.schema.clone(), h.name.clone(), h.mode.clone()))
                .collect();
            let note = (i + 1 < n)
                .then(|| "held until the migration commits, after its last statement".to_string());
            out.push(entry(i, true, locks, note));
            Ok(())
        };
    runner::run_step_observed(&mut run.db, &run.info, step, Some(&mut observe))
        .map_err(stop_to_failure)?;
    Ok(out)
}

/// The schema the directory says `applied` should produce: those migrations
/// replayed from empty on a scratch database, introspected, and the scratch
/// database dropped (on every path). For `verify` and `adopt`.
pub fn expected_schema(
    session: &Session<'_>,
    applied: &[&Migration],
    scratch_url: Option<String>,
    opts: &sluice_db::introspect::Options,
) -> Result<sluice_schema::Schema> {
    let project = session.project;
    let env = &session.env;
    let server = scratch_server(
        session,
        &PlanOptions {
            scratch_url,
            ..Default::default()
        },
    )?;
    crate::secrets::register_url(&server);
    let (mut scratch, _) = create_scratch(session, &server)?;
    project.progress(&format!(
        "building the expected schema: replaying {} applied migration{} on scratch database {}",
        applied.len(),
        if applied.len() == 1 { "" } else { "s" },
        scratch.name()
    ));
    let result = (|| -> Result<sluice_schema::Schema> {
        let mut db = open_scratch(session, &scratch)?;
        let steps = runner::prepare(applied, Direction::Up, project.config.dialect)?;
        let (_, stop) = runner::run(&mut db, &session.info(), &steps, &mut |_| {});
        if let Some(s) = stop {
            let path = steps
                .iter()
                .find(|st| st.migration.version.as_str() == s.record.version)
                .map(|st| st.migration.display_path.clone())
                .unwrap_or_default();
            bail!(
                "{path}:{}: the expected schema cannot be built: migration {} is applied on `{}` but fails on an empty database: {}; find what it depends on that no migration creates (an object made by hand?), or verify --against a snapshot",
                s.at.map_or(1, |(_, line)| line),
                s.record.version,
                env.name,
                s.record.error.unwrap_or(s.message)
            );
        }
        sluice_db::introspect::introspect(&mut *db, opts)
            .map_err(|e| anyhow!("reading the scratch database's schema: {e}"))
    })();
    let _ = scratch.drop_now();
    result
}
