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
/// environment's `allowed_signers`, and runs the engine's gate.
pub fn check_approvals(
    project: &Project,
    env: &Environment,
    pending: &[&Migration],
) -> Result<ApprovalCheck> {
    let req = env.approvals;
    if pending.is_empty() || (req.low == 0 && req.medium == 0 && req.high == 0) {
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
    let policy = crate::risk::policy(project)?;
    Ok(sluice_engine::approvals::check(
        env,
        pending,
        &all,
        &display,
        signers
            .as_ref()
            .map(|s| s as &dyn sluice_engine::approvals::SignatureVerifier),
        &mut |m| crate::risk::lint(project, &policy, m).risk,
    ))
}
