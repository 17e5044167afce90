//! The approvals gate: for each pending migration, distinct valid approvers
//! against what the environment requires for the migration's computed risk.
//!
//! An approval counts when it names this version and environment, carries the
//! migration's current checksum, its `by` is in `approvers` (when that list is
//! set), and, where the environment names an `allowed_signers` file, it is
//! signed by a key listed for `by`. Findings:
//!
//! - `approval-missing`: fewer valid approvers than required (says how many are
//!   needed, who approved so far, and why others did not count);
//! - `approval-stale`: an approval for an earlier checksum of the migration;
//! - `approval-unverified`: a signature that does not verify (a forged or edited
//!   approval). Always blocks: it is a tampering signal, not a shortfall.

use crate::approvals::{self, AllowedSigners};
use crate::project::Project;
use anyhow::Result;
use sluice_core::{Environment, Migration};

pub use sluice_engine::approvals::ApprovalCheck;

/// Checks approvals for `pending` on `env`: reads the approvals file and the
/// environment's `allowed_signers`, and runs the engine's gate. `risks` are
/// the pending migrations' computed risks, in their order (from
/// [`judge`], lifted by [`crate::risk::lift_for_size`] where the target's sizes are
/// known), so one lint of the run serves the policy gate and approvals.
pub fn check_approvals(
    project: &Project,
    env: &Environment,
    pending: &[&Migration],
    risks: &[sluice_core::header::RiskLevel],
) -> Result<ApprovalCheck> {
    if pending.is_empty() || env.approvals.none() {
        return Ok(ApprovalCheck::default());
    }
    let display = project.rel(&project.config.approvals_path);
    let all = approvals::load(&project.config.approvals_path, &display)?;
    let signers = match &env.section.allowed_signers {
        Some(p) => {
            let path = project.config.root.join(p);
            Some(AllowedSigners::load(&path, &project.rel(&path))?)
        }
        None => None,
    };
    let key = |m: &Migration| (m.version.to_string(), m.checksum.to_hex());
    let risks: std::collections::HashMap<_, _> = pending
        .iter()
        .map(|m| key(m))
        .zip(risks.iter().copied())
        .collect();
    Ok(sluice_engine::approvals::check(
        env,
        pending,
        &all,
        &display,
        signers
            .as_ref()
            .map(|s| s as &dyn sluice_engine::approvals::SignatureVerifier),
        &project.config.file.policy.high_risk_rationale,
        &mut |m| {
            risks
                .get(&key(m))
                .copied()
                .unwrap_or(sluice_core::header::RiskLevel::High)
        },
    ))
}

/// The lints of a run on `env`: the migrations about to run, each judged
/// against the history before it, with the environment's policy and
/// `[rules]`, as `plan` judges them.
pub fn judge(
    project: &Project,
    env: &Environment,
    migrations: &[&Migration],
) -> Result<Vec<sluice_lint::MigrationLint>> {
    if migrations.is_empty() {
        return Ok(vec![]);
    }
    let policy = crate::risk::policy_for(project, env)?;
    crate::risk::lint_pending(project, &policy, migrations)
}

/// The policy gate of a run: the error findings of its [`judge`]d lints.
/// For `apply`, those of up sections and of the migrations as a whole
/// ([`sluice_lint::Diagnostic::gates_apply`]); for `down`, those of down
/// sections ([`sluice_lint::Diagnostic::gates_down`]).
pub fn policy_findings(
    lints: &[sluice_lint::MigrationLint],
    down: bool,
) -> Vec<sluice_lint::Diagnostic> {
    lints
        .iter()
        .flat_map(|l| &l.diagnostics)
        .filter(|d| {
            if down {
                d.gates_down()
            } else {
                d.gates_apply()
            }
        })
        .cloned()
        .collect()
}
