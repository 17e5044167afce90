//! The scratch replay: every applied migration, then each pending one (up → down → up where it has a down), a second apply and status; and the expected schema for verify and adopt.

use super::observe::apply_observed;
use super::*;
use sluice_db::HistoryStore as _;

/// Differences from `expected` to `found`, one line each, at most 20.
pub(super) fn differences(
    expected: &sluice_schema::Schema,
    found: &sluice_schema::Schema,
) -> Vec<String> {
    let mut out: Vec<String> = sluice_schema::compare(expected, found)
        .iter()
        .map(|d| d.describe())
        .collect();
    out.truncate(20);
    out
}

/// Where and why the run loop stopped on `step`, as the plan reports it.
pub(super) fn replay_failure(step: &Step<'_>, s: runner::Stop, phase: Phase) -> ReplayFailure {
    let m = step.migration;
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
}

/// The replay's connection, with the lock the run loop expects.
pub(super) struct ScratchRun<'s> {
    /// The scratch connection, holding the migration lock.
    pub(super) db: LockGuard,
    /// Who and what the replay is, for the rows it writes.
    pub(super) info: runner::RunInfo<'s>,
    /// Where sluice keeps its own tables.
    pub(super) history_schema: String,
    dialect: Dialect,
    /// The program that runs migrations whose body is not SQL.
    runner: Option<runner::external::Runner>,
    /// The tables that program keeps its record in.
    tool_tables: Vec<String>,
    /// For progress.
    host: &'s dyn Host,
}

/// The environment as a program that migrates the scratch database sees it:
/// the target's settings with the scratch database's URL (the runner must
/// never be handed the target's).
pub(super) fn scratch_env(host: &dyn Host, scratch: &Scratch) -> Result<Environment> {
    let mut env = host.env().clone();
    if host.runner().is_some() {
        env.url = scratch
            .url()
            .map_err(|e| anyhow!("the scratch database: {e}"))?;
        crate::secrets::register_url(&env.url);
    }
    Ok(env)
}

impl<'s> ScratchRun<'s> {
    /// Runs on the scratch database as `env` (see [`scratch_env`]).
    fn new(host: &'s dyn Host, scratch: &Scratch, env: &'s Environment) -> Result<ScratchRun<'s>> {
        let info = host.info();
        Ok(ScratchRun {
            db: open_scratch(host, scratch)?,
            info: RunInfo {
                env,
                run_id: info.run_id,
                actor: info.actor,
            },
            history_schema: host.history_schema().to_string(),
            dialect: host.dialect(),
            runner: host.runner(),
            tool_tables: host.tool_tables(),
            host,
        })
    }

    /// The steps for `migrations`, through the runner where it runs them.
    pub(super) fn prepare<'a>(
        &self,
        migrations: &[&'a Migration],
        direction: Direction,
    ) -> Result<Vec<Step<'a>>> {
        runner::prepare_with(migrations, direction, self.dialect, self.runner.as_ref())
    }
}

impl ScratchRun<'_> {
    /// The scratch database's schema (the same model `verify` compares).
    fn schema(&mut self) -> Result<sluice_schema::Schema> {
        let opts = sluice_db::introspect::Options {
            history_schema: self.history_schema.clone(),
            tool_tables: self.tool_tables.clone(),
            ..Default::default()
        };
        sluice_db::introspect::introspect(&mut *self.db, &opts)
            .map_err(|e| anyhow!("reading the scratch database's schema: {e}"))
    }

    /// Runs steps with the real run loop; the failure, if any.
    fn run(&mut self, steps: &[Step<'_>], phase: Phase) -> Option<ReplayFailure> {
        let host = self.host;
        let label = match phase {
            Phase::Applied => "replay applied",
            Phase::Pending => "replay pending",
            Phase::Down => "replay down",
            Phase::Reapply => "replay reapply",
        };
        let (_, stop) = runner::run(&mut self.db, &self.info, steps, &mut |rec| {
            host.advance(label, steps.len(), &format!("{}_{}", rec.version, rec.name))
        });
        stop.map(|s| {
            let step = steps
                .iter()
                .find(|st| st.migration.version.as_str() == s.record.version)
                .expect("the failing step is one of ours");
            replay_failure(step, s, phase)
        })
    }
}

/// Checks the scratch server against the target and creates the scratch
/// database (the signal handler that drops it is installed first).
pub(super) fn create_scratch(host: &dyn Host, server: &str) -> Result<(Scratch, Backend)> {
    let env = host.env();
    let shown = sluice_core::redact::redact_url(server);
    let backend = sluice_db::backend_of(server)
        .map_err(|e| anyhow!("the scratch server {shown}: {}", e.message))?;
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
    host.before_scratch();
    let scratch =
        Scratch::create(server).map_err(|e| anyhow!("scratch database on {shown}: {e}"))?;
    Ok((scratch, backend))
}

/// Connects to a scratch database with the environment's session settings (a
/// migration sees the same ones as on the target), creates sluice's tables,
/// and takes the lock the run loop expects.
pub(super) fn open_scratch(host: &dyn Host, scratch: &Scratch) -> Result<LockGuard> {
    let env = host.env();
    let mut db = scratch
        .connect(host.history_schema())
        .map_err(|e| anyhow!("connecting to the scratch database: {e}"))?;
    db.configure(&SessionSettings {
        lock_timeout: env.lock_timeout,
        statement_timeout: env.statement_timeout,
        variables: env.session.clone(),
    })
    .map_err(|e| anyhow!("configuring the scratch database: {e}"))?;
    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables on the scratch database: {e}"))?;
    LockGuard::acquire(db, Duration::from_secs(10), || {})
        .map_err(|e| anyhow!("scratch database: {e}"))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn replay(
    host: &dyn Host,
    catalog: &Catalog,
    applied: &[&Migration],
    steps: &[Step<'_>],
    analyses: &[Analysis],
    server: &str,
    opts: &PlanOptions,
    report: &mut PlanReport,
) -> Result<()> {
    let start = Instant::now();
    let (mut scratch, backend) = create_scratch(host, server)?;
    let r = &mut report.replay;
    r.performed = true;
    r.backend = Some(backend.as_str());
    r.scratch = Some(match backend {
        Backend::Postgres => format!(
            "{} (database {})",
            sluice_core::redact::redact_url(server),
            scratch.name()
        ),
        Backend::Sqlite | Backend::Mysql => scratch.name(),
    });
    if backend == Backend::Sqlite {
        r.notes.push(
            "SQLite has no lock table and no size statistics: locks are not observed and sizes are not estimated (a SQLite write locks the whole database)".into(),
        );
    }
    if backend == Backend::Mysql {
        r.notes.push(
            "MySQL/MariaDB: each ALTER TABLE's online-DDL algorithm and lock level are probed on a copy of its table on the scratch server (locks are not observed otherwise); sizes are information_schema.TABLES estimates; each DDL statement commits itself, so a migration that fails part-way leaves the statements before it applied".into(),
        );
    }
    host.progress(&format!(
        "replaying on scratch database {}",
        r.scratch.as_deref().unwrap_or("")
    ));
    let result = (|| -> Result<()> {
        let env = scratch_env(host, &scratch)?;
        let mut run = ScratchRun::new(host, &scratch, &env)?;
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

pub(super) fn replay_on(
    run: &mut ScratchRun<'_>,
    catalog: &Catalog,
    applied: &[&Migration],
    steps: &[Step<'_>],
    analyses: &[Analysis],
    opts: &PlanOptions,
    report: &mut PlanReport,
) -> Result<()> {
    // What the target has, from empty.
    let base = run.prepare(applied, Direction::Up)?;
    if let Some(f) = run.run(&base, Phase::Applied) {
        report.blocking.push(Diagnostic::new(
            sluice_lint::RuleId::ReplayFailed,
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
                    sluice_lint::RuleId::ReplayFailed,
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
    let history = state::load_history(&mut *run.db, catalog)
        .map_err(|e| anyhow!("reading the scratch database's history: {e}"))?;
    let entries = state::join(catalog, &history);
    let within = state::up_to(catalog, opts.to.as_ref());
    let again: Vec<String> = entries
        .iter()
        .filter(|e| e.is_pending() && within(&e.version))
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
            sluice_lint::RuleId::ReplayNotIdempotent,
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

pub(super) fn project_dir_hint(steps: &[Step<'_>]) -> String {
    steps
        .first()
        .map(|s| s.migration.display_path.clone())
        .unwrap_or_default()
}

/// up → down → up; false when the replay must stop.
pub(super) fn down_check(
    run: &mut ScratchRun<'_>,
    m: &Migration,
    before: &sluice_schema::Schema,
    report: &mut PlanReport,
) -> Result<bool> {
    let after_up = run.schema()?;
    let down = run.prepare(&[m], Direction::Down)?;
    let mut check = DownCheck {
        version: m.version.to_string(),
        down_ran: false,
        restores_previous_schema: false,
        reapply_same_schema: false,
        differences: vec![],
    };
    let mismatch = |report: &mut PlanReport, line: usize, msg: String| {
        report.blocking.push(Diagnostic::new(
            sluice_lint::RuleId::RollbackMismatch,
            &m.display_path,
            line,
            1,
            msg,
            "make the down section undo exactly what the up section does (or remove it and document ROLLBACK_STRATEGY)",
        ))
    };
    let marker = m.down_marker_line.unwrap_or(1);
    if let Some(f) = run.run(&down, Phase::Down) {
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
    let up = run.prepare(&[m], Direction::Up)?;
    if let Some(f) = run.run(&up, Phase::Reapply) {
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

/// The schema the directory says `applied` should produce: those migrations
/// replayed from empty on a scratch database, introspected, and the scratch
/// database dropped (on every path). For `verify` and `adopt`.
pub fn expected_schema(
    host: &dyn Host,
    applied: &[&Migration],
    scratch_url: Option<String>,
    opts: &sluice_db::introspect::Options,
) -> Result<sluice_schema::Schema> {
    let server = scratch_server(
        host,
        &PlanOptions {
            scratch_url,
            ..Default::default()
        },
    )?;
    crate::secrets::register_url(&server);
    let (mut scratch, _) = create_scratch(host, &server)?;
    host.progress(&format!(
        "building the expected schema: replaying {} applied migration{} on scratch database {}",
        applied.len(),
        if applied.len() == 1 { "" } else { "s" },
        scratch.name()
    ));
    let result = (|| -> Result<sluice_schema::Schema> {
        let env = scratch_env(host, &scratch)?;
        let mut run = ScratchRun::new(host, &scratch, &env)?;
        let steps = run.prepare(applied, Direction::Up)?;
        let (_, stop) = runner::run(&mut run.db, &run.info, &steps, &mut |rec| {
            host.advance(
                "replay",
                steps.len(),
                &format!("{}_{}", rec.version, rec.name),
            )
        });
        let db = &mut run.db;
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
        sluice_db::introspect::introspect(&mut **db, opts)
            .map_err(|e| anyhow!("reading the scratch database's schema: {e}"))
    })();
    let _ = scratch.drop_now();
    result
}
