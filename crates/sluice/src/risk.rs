//! One place that turns a project's configuration into the lint policy, and a
//! migration into its diagnostics and computed risk. `check` reports them; the
//! approvals gate needs the same risk, so both call here.

use crate::project::Project;
use anyhow::Result;
use sluice_core::config::Layout;
use sluice_core::Migration;
use sluice_lint::analysis::Analysis;
use sluice_lint::{MigrationLint, Policy};

/// Whether every environment considered sets `lock_timeout`: the selected one
/// with `--env`, else every environment in sluice.toml.
fn lock_timeout_everywhere(project: &Project) -> bool {
    let envs = &project.config.file.environments;
    match &project.global.env {
        Some(name) => envs.get(name).is_some_and(|e| e.lock_timeout.is_some()),
        None => !envs.is_empty() && envs.values().all(|e| e.lock_timeout.is_some()),
    }
}

/// The lint policy of a project.
pub fn policy(project: &Project) -> Result<Policy<'_>> {
    let section = &project.config.file.policy;
    Ok(Policy {
        dialect: project.config.dialect,
        policy: section,
        bypass: regex::Regex::new(&section.bypass_reference)?,
        lock_timeout_everywhere: lock_timeout_everywhere(project),
    })
}

/// Splits and parses one migration in the project's layout and dialect.
pub fn analyze(project: &Project, m: &Migration) -> Analysis {
    match project.config.layout {
        Layout::Alembic => sluice_lint::alembic::analyze(m, project.config.dialect),
        Layout::Sluice => sluice_lint::analysis::analyze(m, project.config.dialect),
    }
}

/// Analyses and lints one migration.
pub fn lint(project: &Project, policy: &Policy<'_>, m: &Migration) -> MigrationLint {
    sluice_lint::lint_migration(m, &analyze(project, m), policy)
}
