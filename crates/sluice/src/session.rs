//! What every database command shares: connecting and locking, refusing with
//! gate findings (audited, nothing else changed), and recording evidence.

use crate::cli::Outcome;
use crate::evidence::{self, MigrationRecord, Run, RunOutcome};
use crate::project::Project;
use crate::runner::RunInfo;
use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use sluice_core::Environment;
use sluice_db::HistoryStore as _;
use sluice_db::{Database, LockGuard, SessionSettings};
use sluice_lint::Diagnostic;

/// One command's run against one environment.
pub struct Session<'p> {
    /// The project.
    pub project: &'p Project,
    /// The environment.
    pub env: Environment,
    /// Run id and actor.
    pub run_id: String,
    /// Who.
    pub actor: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The command's name.
    pub command: &'static str,
    /// The counted task under way (the plan's replay), with its label.
    progress: std::sync::Mutex<Option<(String, crate::progress::Progress)>>,
}

/// The plan's view of a session: the project's settings, its policy and
/// approvals, progress lines, and the Ctrl-C handler for scratch databases.
impl sluice_engine::plan::Host for Session<'_> {
    fn env(&self) -> &Environment {
        &self.env
    }

    fn info(&self) -> RunInfo<'_> {
        Session::info(self)
    }

    fn connect(&self) -> Result<Box<dyn Database>> {
        Session::connect(self)
    }

    fn dialect(&self) -> sluice_core::config::Dialect {
        self.project.config.dialect
    }

    fn history_schema(&self) -> &str {
        &self.project.config.file.history.schema
    }

    fn migrations_dir(&self) -> String {
        self.project.rel(&self.project.config.migrations_dir)
    }

    fn allow_out_of_order(&self) -> bool {
        self.project.config.file.migrations.allow_out_of_order
    }

    fn policy(&self) -> Result<sluice_lint::Policy<'_>> {
        crate::risk::policy_for(self.project, &self.env)
    }

    fn analyze(&self, m: &sluice_core::Migration) -> sluice_lint::analysis::Analysis {
        crate::risk::analyze(self.project, m)
    }

    fn lint(&self, pending: &[&sluice_core::Migration]) -> Result<Vec<sluice_lint::MigrationLint>> {
        let policy = crate::risk::policy_for(self.project, &self.env)?;
        crate::risk::lint_pending(self.project, &policy, pending)
    }

    fn approvals(
        &self,
        pending: &[&sluice_core::Migration],
        risks: &[sluice_core::header::RiskLevel],
    ) -> Result<crate::gate::ApprovalCheck> {
        crate::gate::check_approvals(self.project, &self.env, pending, risks)
    }

    fn large_table_rows(&self) -> Option<i64> {
        self.project.large_table_rows
    }

    fn progress(&self, message: &str) {
        self.project.progress(message)
    }

    fn advance(&self, label: &str, total: usize, item: &str) {
        let mut current = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_none_or(|(l, _)| l != label) {
            *current = Some((
                label.to_string(),
                crate::progress::Progress::start(self.project, label, total, 2),
            ));
        }
        let done = {
            let (_, p) = current.as_mut().expect("set above");
            p.tick(item);
            p.finished()
        };
        if done {
            *current = None;
        }
    }

    fn before_scratch(&self) {
        crate::interrupt::install();
    }

    fn runner(&self) -> Option<sluice_engine::runner::external::Runner> {
        self.project.runner()
    }

    fn tool_tables(&self) -> Vec<String> {
        self.project.tool_tables()
    }
}

impl<'p> Session<'p> {
    /// Resolves the environment and starts a run. Layouts whose own tool applies
    /// them (alembic) are refused here: sluice checks them, it does not run them.
    pub fn start(project: &'p Project, command: &'static str) -> Result<Session<'p>> {
        let layout = project.config.layout.imp();
        if let (Some(runner), None) = (layout.external_runner(), project.runner()) {
            anyhow::bail!(
                "`sluice {command}` does not run {} migrations: applying stays {runner}; sluice checks them (`sluice check`, `sluice hash`). To have sluice run each one under its lock and gates, set [migrations] run = \"...\" (the command that applies one migration; {{path}} is its file) and run_down",
                layout.name()
            );
        }
        Ok(Session {
            env: project.environment()?,
            project,
            run_id: evidence::run_id(),
            actor: evidence::actor(),
            started_at: sluice_core::clock::now_rfc3339(),
            command,
            progress: Default::default(),
        })
    }

    /// Run information for the runner.
    pub fn info(&self) -> RunInfo<'_> {
        RunInfo {
            env: &self.env,
            run_id: self.run_id.clone(),
            actor: self.actor.clone(),
        }
    }

    /// Connects without the lock (read-only commands).
    pub fn connect(&self) -> Result<Box<dyn Database>> {
        self.project.connect(&self.env)
    }

    /// Connects, takes the migration lock (bounded wait), and applies the
    /// environment's session timeouts.
    pub fn lock(&self) -> Result<LockGuard> {
        let db = self.connect()?;
        let project = self.project;
        let wait = self.env.lock_wait;
        let target = self.env.redacted_url();
        let mut guard = LockGuard::acquire(db, wait, || {
            project.progress(&format!(
                "waiting for the migration lock on {target} (another sluice run holds it), for up to {}s",
                wait.as_secs()
            ))
        })
        .map_err(|e| anyhow!("environment `{}` ({target}): {e}", self.env.name))?;
        guard
            .configure(&SessionSettings {
                lock_timeout: self.env.lock_timeout,
                statement_timeout: self.env.statement_timeout,
                variables: self.env.session.clone(),
            })
            .map_err(|e| anyhow!("setting session timeouts on {target}: {e}"))?;
        Ok(guard)
    }

    /// Refuses: one audit row naming every finding (creating sluice's tables if
    /// needed, nothing else), evidence, the findings printed. Exit 1.
    pub fn refuse(&self, db: &mut LockGuard, findings: Vec<Diagnostic>) -> Result<Outcome> {
        db.ensure_history().map_err(|e| anyhow!("{e}"))?;
        let info = self.info();
        let reason = findings
            .iter()
            .map(|d| format!("{}: {}", d.rule, d.message))
            .collect::<Vec<_>>()
            .join("; ");
        let audit = db.audit_sql(&info.audit(
            sluice_db::AuditKind::Refusal,
            None,
            sluice_db::AuditOutcome::Refused,
            Some(reason),
            json!({
                "command": self.command,
                "rules": findings.iter().map(|d| d.rule).collect::<Vec<_>>(),
                "findings": findings.iter().map(|d| json!({ "rule": d.rule, "path": d.path, "message": d.message })).collect::<Vec<_>>(),
            }),
        ));
        db.run_in_transaction(&[], &[audit])
            .map_err(|f| anyhow!("recording the refusal failed: {}", f.error))?;
        self.finish(
            RunOutcome::Blocked,
            vec![],
            findings.clone(),
            Value::Null,
            None,
        );
        if self.project.json() {
            crate::output::print_json(&self.document(
                RunOutcome::Blocked,
                &[],
                &findings,
                None,
                Value::Null,
            ));
        } else {
            crate::output::print_findings(self.project, &findings);
            eprintln!(
                "{} refused on environment `{}`: nothing was changed",
                self.command, self.env.name
            );
        }
        Ok(Outcome::Findings)
    }

    /// The end of a command that succeeded without running migrations
    /// (`resolve`, `adopt`): evidence, and the JSON document with `details`
    /// under `--format json`. True when the command should print its text.
    pub fn conclude(&self, details: Value) -> bool {
        self.finish(RunOutcome::Ok, vec![], vec![], details.clone(), None);
        if self.project.json() {
            crate::output::print_json(&self.document(RunOutcome::Ok, &[], &[], None, details));
            return false;
        }
        !self.project.global.quiet
    }

    /// The end of a run that ran migrations (`apply`, `down`): the failing
    /// step's record joins the finished ones, the evidence is written, the
    /// JSON document printed, and a failure reported on stderr (exit 2).
    pub fn finish_run(
        &self,
        done: Vec<MigrationRecord>,
        stop: Option<crate::runner::Stop>,
    ) -> (Vec<MigrationRecord>, Outcome) {
        self.finish_run_with(done, stop, Value::Null)
    }

    /// [`Session::finish_run`] with the command's own `details` (an object,
    /// or null) in the evidence and the JSON document.
    pub fn finish_run_with(
        &self,
        done: Vec<MigrationRecord>,
        stop: Option<crate::runner::Stop>,
        details: Value,
    ) -> (Vec<MigrationRecord>, Outcome) {
        let details = if details.is_null() {
            json!({})
        } else {
            details
        };
        let mut records = done;
        let error = stop.as_ref().map(|s| s.message.clone());
        if let Some(s) = &stop {
            records.push(s.record.clone());
        }
        let outcome = if stop.is_some() {
            RunOutcome::Failed
        } else {
            RunOutcome::Ok
        };
        self.finish(
            outcome,
            records.clone(),
            vec![],
            details.clone(),
            error.clone(),
        );
        if self.project.json() {
            crate::output::print_json(&self.document(
                outcome,
                &records,
                &[],
                error.as_deref(),
                details,
            ));
        }
        match stop {
            Some(s) => {
                eprintln!("error: {}", crate::secrets::scrub(&s.message));
                (records, Outcome::Failed)
            }
            None => (records, Outcome::Ok),
        }
    }

    /// Records evidence for this run.
    pub fn finish(
        &self,
        outcome: RunOutcome,
        migrations: Vec<MigrationRecord>,
        findings: Vec<Diagnostic>,
        details: Value,
        error: Option<String>,
    ) -> Option<std::path::PathBuf> {
        let mut details = details;
        if let Some(e) = error {
            details = json!({ "error": e, "details": details });
        }
        let path = evidence::record(
            self.project,
            &Run {
                command: self.command,
                run_id: self.run_id.clone(),
                environment: self.env.name.clone(),
                target: self.env.redacted_url(),
                actor: self.actor.clone(),
                started_at: self.started_at.clone(),
                finished_at: sluice_core::clock::now_rfc3339(),
                outcome,
                migrations,
                findings,
                details,
            },
        );
        if self.project.global.verbose {
            if let Some(p) = &path {
                self.project
                    .progress(&format!("evidence: {}", self.project.rel(p)));
            }
        }
        path
    }

    /// The JSON document a database command prints.
    pub fn document(
        &self,
        outcome: RunOutcome,
        migrations: &[MigrationRecord],
        findings: &[Diagnostic],
        error: Option<&str>,
        extra: Value,
    ) -> Value {
        let mut doc = json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "command": self.command,
            "environment": self.env.name,
            "target": self.env.redacted_url(),
            "run_id": self.run_id,
            "outcome": outcome,
            "migrations": migrations,
            "findings": findings,
            "error": error.map(crate::secrets::scrub),
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                doc[k] = v;
            }
        }
        doc
    }
}
