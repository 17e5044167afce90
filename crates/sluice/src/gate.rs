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

use crate::approvals::{self, AllowedSigners, Approval};
use crate::project::Project;
use anyhow::Result;
use sluice_core::header::RiskLevel;
use sluice_core::{Environment, Migration};
use sluice_lint::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};

/// The outcome of the gate.
#[derive(Debug, Default)]
pub struct ApprovalCheck {
    /// Findings that refuse the run.
    pub findings: Vec<Diagnostic>,
    /// Approvals that counted, per version, as JSON for history and audit.
    pub used: BTreeMap<String, serde_json::Value>,
    /// Computed risk and requirement per version.
    pub requirements: BTreeMap<String, (RiskLevel, u32)>,
}

/// Checks approvals for `pending` on `env`.
pub fn check_approvals(
    project: &Project,
    env: &Environment,
    pending: &[&Migration],
) -> Result<ApprovalCheck> {
    let mut out = ApprovalCheck::default();
    let req = env.approvals;
    if pending.is_empty() || (req.low == 0 && req.medium == 0 && req.high == 0) {
        return Ok(out);
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
    for m in pending {
        let risk = crate::risk::lint(project, &policy, m).risk;
        let needed = match risk {
            RiskLevel::Low => req.low,
            RiskLevel::Medium => req.medium,
            RiskLevel::High => req.high,
        };
        out.requirements
            .insert(m.version.to_string(), (risk, needed));
        let mine: Vec<&Approval> = all
            .iter()
            .filter(|a| a.version == m.version.as_str() && a.environment == env.name)
            .collect();
        let mut valid: BTreeSet<&str> = BTreeSet::new();
        let mut used = Vec::new();
        let mut not_counted = Vec::new();
        for a in &mine {
            if let Err(why) = judge(a, m, env, signers.as_ref(), &display, &mut out.findings) {
                not_counted.push(why);
                continue;
            }
            if valid.insert(&a.by) {
                used.push(serde_json::json!({ "by": a.by, "ref": a.reference, "at": a.at, "signed": a.signature.is_some() }));
            }
        }
        if (valid.len() as u32) < needed {
            let so_far = if valid.is_empty() {
                "none".to_string()
            } else {
                valid.iter().copied().collect::<Vec<_>>().join(", ")
            };
            let others = if not_counted.is_empty() {
                String::new()
            } else {
                format!("; not counted: {}", not_counted.join(", "))
            };
            out.findings.push(Diagnostic::new(
                sluice_lint::RuleId::ApprovalMissing,
                &m.display_path,
                1,
                1,
                format!(
                    "migration {} is {} risk: `{}` needs {needed} approval{} and has {} (approved by: {so_far}{others})",
                    m.version,
                    risk.as_str(),
                    env.name,
                    if needed == 1 { "" } else { "s" },
                    valid.len()
                ),
                format!(
                    "ask {} to run `sluice approve {} --env {} --by NAME --ref TICKET`",
                    if env.approvers.is_empty() { "a reviewer".to_string() } else { env.approvers.join(" or ") },
                    m.version,
                    crate::output::shell_word(&env.name)
                ),
            ));
        }
        out.used
            .insert(m.version.to_string(), serde_json::Value::Array(used));
    }
    out.findings
        .sort_by(|a, b| (a.rule, &a.path).cmp(&(b.rule, &b.path)));
    out.findings.dedup();
    Ok(out)
}

/// Whether one approval counts for `m` on `env`: Err says why not (for the
/// "not counted" list); an approval to look into is also a finding.
fn judge(
    a: &Approval,
    m: &Migration,
    env: &Environment,
    signers: Option<&AllowedSigners>,
    display: &str,
    findings: &mut Vec<Diagnostic>,
) -> std::result::Result<(), String> {
    let checksum = m.checksum.to_hex();
    if a.checksum != checksum {
        findings.push(Diagnostic::new(
                sluice_lint::RuleId::ApprovalStale,
                &m.display_path,
                1,
                1,
                format!(
                    "{}'s approval of migration {} for `{}` ({}) is for checksum {}, but the migration is now {}: it changed after approval",
                    a.by, m.version, env.name, a.reference, &a.checksum[..a.checksum.len().min(12)], &checksum[..12]
                ),
                format!("review the change and approve again: `sluice approve {} --env {} --by NAME --ref TICKET`", m.version, crate::output::shell_word(&env.name)),
            ));
        return Err(format!("{} (stale)", a.by));
    }
    if !env.approvers.is_empty() && !env.approvers.contains(&a.by) {
        return Err(format!("{} (not in approvers)", a.by));
    }
    match (signers, &a.signature) {
        (Some(s), Some(sig)) => {
            if let Err(why) = s.verify(&a.by, &a.message(), sig) {
                findings.push(Diagnostic::new(
                        sluice_lint::RuleId::ApprovalUnverified,
                        display,
                        1,
                        1,
                        format!("the signed approval of migration {} by {} ({}) does not verify: {why}", m.version, a.by, a.reference),
                        "remove the approval and have the approver sign it again with `sluice approve ... --sign KEY`; treat an unexplained one as an incident",
                    ));
                return Err(format!("{} (signature does not verify)", a.by));
            }
        }
        (Some(_), None) => {
            return Err(format!(
                "{} (unsigned; `{}` requires signed approvals)",
                a.by, env.name
            ));
        }
        _ => {}
    }
    Ok(())
}
