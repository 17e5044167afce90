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
//! finding on a pending migration, a statement that loses the rows of a
//! non-empty table without a data strategy ([`crate::data_loss`]), a migration that fails on the replay, a
//! second apply that is not a no-op, or a down section that does not restore
//! the schema.
//!
//! Modules: [`report`] (the typed plan document), `replay` (the scratch
//! database and the replay), `observe` (locks observed through the run
//! loop's observer hook), `sizes` (size estimates). What the plan needs from
//! its caller (the environment, connecting, the policy, approvals, progress
//! lines, the Ctrl-C handler) is the [`Host`] trait, which the CLI's session
//! implements.

mod observe;
mod replay;
pub mod report;
mod sizes;

pub use replay::expected_schema;
pub use report::*;

use crate::rollback::{self, first_line};
use crate::runner::RunInfo;
use crate::runner::{self, Direction, Step};
use crate::state;
use anyhow::{anyhow, bail, Result};
use sluice_core::config::Dialect;
use sluice_core::{Catalog, Environment, Migration, Version};
use sluice_db::inspect::{self, HeldLock};
use sluice_db::scratch::Scratch;
use sluice_db::{Backend, Database, LockGuard, SessionSettings};
use sluice_lint::analysis::Analysis;
use sluice_lint::Diagnostic;
use sluice_lint::Policy;
use sluice_sql::facts::{Action, DefaultKind, Facts, LockMode, ObjectName};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// What the plan needs from its caller.
pub trait Host {
    /// The environment planned for.
    fn env(&self) -> &Environment;
    /// Who and what the run is (for the rows the replay writes).
    fn info(&self) -> RunInfo<'_>;
    /// A connection to the environment's database (no lock).
    fn connect(&self) -> Result<Box<dyn Database>>;
    /// The dialect of the migrations.
    fn dialect(&self) -> Dialect;
    /// The schema that holds sluice's tables.
    fn history_schema(&self) -> &str;
    /// The migrations directory, for findings.
    fn migrations_dir(&self) -> String;
    /// `[migrations] allow_out_of_order`.
    fn allow_out_of_order(&self) -> bool;
    /// The lint policy for this environment.
    fn policy(&self) -> Result<Policy<'_>>;
    /// The pending migrations linted with this environment's policy, each
    /// against the schema model of the history before it. Without a
    /// history at hand, each is judged alone.
    fn lint(&self, pending: &[&Migration]) -> Result<Vec<sluice_lint::MigrationLint>> {
        let policy = self.policy()?;
        Ok(pending
            .iter()
            .map(|m| sluice_lint::lint_migration(m, &self.analyze(m), &policy))
            .collect())
    }
    /// A migration's analysis, as its body is written.
    fn analyze(&self, m: &Migration) -> Analysis;
    /// The approvals gate over the pending migrations, whose computed
    /// risks (lifted for large tables) are `risks`, in their order.
    fn approvals(
        &self,
        pending: &[&Migration],
        risks: &[sluice_core::header::RiskLevel],
    ) -> Result<ApprovalCheck>;
    /// `[risk] large_table_rows`, when the team sets it.
    fn large_table_rows(&self) -> Option<i64> {
        None
    }
    /// A progress line for people (stderr).
    fn progress(&self, message: &str);
    /// One item of a counted task is done (a migration of the replay):
    /// `total` items under `label`; the caller shows a bar or lines.
    fn advance(&self, _label: &str, _total: usize, _item: &str) {}
    /// Called before a scratch database is created: the caller installs
    /// whatever drops scratch databases on an interrupt.
    fn before_scratch(&self) {}
    /// The program that runs migrations whose body is not SQL (an Alembic
    /// revision, a script), when the project has one.
    fn runner(&self) -> Option<runner::external::Runner> {
        None
    }
    /// Tables in which that program keeps its own record (left out of
    /// schema comparisons).
    fn tool_tables(&self) -> Vec<String> {
        vec![]
    }
}

pub use crate::approvals::ApprovalCheck;

/// `users` for `public.users` (or a table of the connection's MySQL
/// database, whose schema is empty), else `schema.name`.
fn display_relation(schema: &str, name: &str) -> String {
    if schema == "public" || schema.is_empty() {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

fn names_relation(o: &ObjectName, schema: &str, name: &str) -> bool {
    o.name == name && o.schema.as_deref().is_none_or(|s| s == schema)
}

/// What an action does to a table it locks.
fn work(a: &Action) -> Work {
    match a {
        Action::AddColumn {
            default: DefaultKind::Volatile,
            ..
        }
        | Action::AlterColumnType { .. }
        | Action::SetTablespace { .. }
        | Action::Vacuum { full: true, .. }
        | Action::Cluster { .. } => Work::Rewrite,
        Action::CreateIndex { .. }
        | Action::SetNotNull { .. }
        | Action::ValidateConstraint { .. }
        | Action::Update { .. }
        | Action::Delete { .. }
        | Action::Reindex { .. } => Work::Scan,
        Action::AddConstraint {
            not_valid: false,
            using_index: false,
            ..
        } => Work::Scan,
        _ => Work::Lock,
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
pub fn scratch_server(host: &dyn Host, opts: &PlanOptions) -> Result<String> {
    let env = host.env();
    if let Some(u) = &opts.scratch_url {
        return Ok(u.clone());
    }
    match &env.scratch_url {
        Some(Ok(u)) => return Ok(u.clone()),
        Some(Err(e)) => bail!("{e}"),
        None => {}
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

/// One pending migration's entry: its risk, findings and approvals.
/// Where DDL commits itself: for each DDL statement after a statement that
/// changes rows, the statements before it that a failure there would leave
/// applied.
fn if_it_fails(analysis: &Analysis) -> Vec<PartialFailure> {
    let mut out = Vec::new();
    let mut before: Vec<String> = Vec::new();
    let mut rows_changed = false;
    for s in analysis.statements.iter().filter(|s| !s.down) {
        let Ok(f) = &s.facts else { continue };
        let dml = f.changes_rows();
        let ddl = !dml && f.changes_schema();
        if ddl && rows_changed {
            out.push(PartialFailure {
                line: s.stmt.line,
                kind: f.kind.clone(),
                remain: before.clone(),
            });
        }
        rows_changed |= dml;
        before.push(format!("line {}: {}", s.stmt.line, f.kind));
    }
    out
}

fn pending_entry(
    m: &Migration,
    steps: &[Step<'_>],
    lint: sluice_lint::MigrationLint,
    approvals: &ApprovalCheck,
    atomic_ddl: bool,
    analysis: &Analysis,
) -> Pending {
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
    Pending {
        version: m.version.to_string(),
        name: m.name.clone(),
        path: m.display_path.clone(),
        transactional: !m.up.no_transaction && atomic_ddl,
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
        if_it_fails: if atomic_ddl {
            vec![]
        } else {
            if_it_fails(analysis)
        },
    }
}

/// Computes the plan.
pub fn plan(host: &dyn Host, catalog: &Catalog, opts: &PlanOptions) -> Result<PlanReport> {
    let env = host.env();
    let mut target = host.connect()?;
    let atomic_ddl = target.capabilities().transactional_ddl;
    let history = state::load_history(&mut *target, catalog)
        .map_err(|e| anyhow!("reading sluice_history on `{}`: {e}", env.name))?;
    let entries = state::join(catalog, &history);
    let dir = host.migrations_dir();
    let mut gates = state::apply_gates(
        catalog,
        &entries,
        &dir,
        &env.name,
        host.allow_out_of_order(),
    );
    let within = state::up_to(catalog, opts.to.as_ref());
    let pending: Vec<&Migration> = entries
        .iter()
        .filter(|e| e.is_pending() && within(&e.version))
        .filter_map(|e| e.migration)
        .collect();
    let applied: Vec<&Migration> = entries
        .iter()
        .filter(|e| e.state.is_clean())
        .filter_map(|e| e.migration)
        .collect();
    let steps = runner::prepare_with(
        &pending,
        Direction::Up,
        host.dialect(),
        host.runner().as_ref(),
    )?;
    // apply refuses these before running anything; so does the replay.
    let transaction_control = runner::transaction_control(&steps);
    let refuses_transaction_control = !transaction_control.is_empty();
    gates.extend(transaction_control);

    let analyses: Vec<Analysis> = pending.iter().map(|m| host.analyze(m)).collect();
    let mut lints = host.lint(&pending)?;
    // Risk by size: a lock on a large table lifts a migration one level.
    let large =
        crate::size_risk::LargeTables::read(&mut *target, host.large_table_rows(), &analyses)?;
    if let Some(large) = &large {
        for (l, a) in lints.iter_mut().zip(&analyses) {
            l.risk = large.lift(a, l.risk).0;
        }
    }
    let risks: Vec<_> = lints.iter().map(|l| l.risk).collect();
    let approvals = host.approvals(&pending, &risks)?;
    gates.extend(approvals.findings.iter().cloned());
    // The data-loss gate, against the target's rows.
    let losses = crate::data_loss::gate(
        &mut *target,
        &env.name,
        &pending,
        &analyses,
        &host.policy()?,
    )?;
    let mut blocking = gates.clone();
    let mut report_pending = Vec::new();
    let mut max_risk = None;
    for ((m, analysis), mut lint) in pending.iter().zip(&analyses).zip(lints) {
        max_risk = max_risk.max(Some(lint.risk));
        lint.diagnostics
            .extend(losses.iter().filter(|d| d.path == m.display_path).cloned());
        // A lint finding the gates already hold (transaction-nesting) counts once.
        let held: Vec<(&str, String, usize)> = gates
            .iter()
            .map(|d| (d.rule, d.path.clone(), d.line))
            .collect();
        // A down section's findings gate `down`, never `apply`.
        blocking.extend(
            lint.diagnostics
                .iter()
                .filter(|d| d.gates_apply())
                .filter(|d| !held.contains(&(d.rule, d.path.clone(), d.line)))
                .cloned(),
        );
        report_pending.push(pending_entry(
            m, &steps, lint, &approvals, atomic_ddl, analysis,
        ));
    }

    let sizes = sizes::sizes(&mut *target, &pending, &analyses)?;
    drop(target);
    let rollback = pending
        .iter()
        .zip(&analyses)
        .map(|(m, a)| rollback::guide(m, a, host.dialect()))
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
        let server = scratch_server(host, opts)?;
        crate::secrets::register_url(&server);
        replay::replay(
            host,
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
