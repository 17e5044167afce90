//! One place that turns a project's configuration into the lint policy, and a
//! migration into its diagnostics and computed risk. `check` reports them; the
//! approvals gate needs the same risk, so both call here.

use crate::project::Project;
use anyhow::Result;
use sluice_core::Migration;
use sluice_lint::analysis::Analysis;
use sluice_lint::{MigrationLint, Policy};

/// Whether every environment considered sets `lock_timeout`: the selected one
/// with `--env`, else every environment in sluice.toml. Production-like
/// environments have one by default (`DEFAULT_PRODUCTION_LOCK_TIMEOUT`).
fn lock_timeout_everywhere(project: &Project) -> bool {
    let envs = &project.config.file.environments;
    let sets = |name: &str, e: &sluice_core::config::EnvironmentSection| {
        e.lock_timeout.is_some()
            || e.production
                .unwrap_or_else(|| sluice_core::config::is_production_name(name))
    };
    match &project.global.env {
        Some(name) => envs.get(name).is_some_and(|e| sets(name, e)),
        None => !envs.is_empty() && envs.iter().all(|(n, e)| sets(n, e)),
    }
}

/// Whether every environment considered sets `statement_timeout`.
fn statement_timeout_everywhere(project: &Project) -> bool {
    let envs = &project.config.file.environments;
    match &project.global.env {
        Some(name) => envs
            .get(name)
            .is_some_and(|e| e.statement_timeout.is_some()),
        None => !envs.is_empty() && envs.values().all(|e| e.statement_timeout.is_some()),
    }
}

/// The lint policy of a project.
pub fn policy(project: &Project) -> Result<Policy<'_>> {
    let section = &project.config.file.policy;
    Ok(Policy {
        dialect: project.config.dialect,
        policy: section,
        bypass: project.config.bypass.clone(),
        lock_timeout_everywhere: lock_timeout_everywhere(project),
        statement_timeout_everywhere: statement_timeout_everywhere(project),
    })
}

/// The lint policy for a run against one resolved environment (`plan`): the
/// migration runs with that environment's `lock_timeout`, so
/// `missing-lock-timeout` judges that one alone.
pub fn policy_for<'p>(project: &'p Project, env: &sluice_core::Environment) -> Result<Policy<'p>> {
    let mut p = policy(project)?;
    p.lock_timeout_everywhere = env.lock_timeout.is_some();
    p.statement_timeout_everywhere = env.statement_timeout.is_some();
    Ok(p)
}

/// Splits and parses one migration in the project's layout and dialect.
pub fn analyze(project: &Project, m: &Migration) -> Analysis {
    sluice_lint::analysis::analyze_body(m, project.config.dialect)
}

/// Analyses and lints one migration.
pub fn lint(project: &Project, policy: &Policy<'_>, m: &Migration) -> MigrationLint {
    sluice_lint::lint_migration(m, &analyze(project, m), policy)
}
