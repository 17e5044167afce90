//! The approvals gate and the approvals file.
//!
//! Approvals: `db/approvals.toml`, append-only by convention and reviewed in PRs.
//!
//! ```toml
//! [[approval]]
//! version = "1732190000000"
//! environment = "production"
//! checksum = "<sha256 of the migration when approved>"
//! by = "alice"
//! ref = "OPS-123"
//! at = "2026-11-21T10:00:00.000Z"
//! signature = """
//! -----BEGIN SSH SIGNATURE-----
//! ...
//! -----END SSH SIGNATURE-----
//! """
//! ```
//!
//! An approval is bound to the migration's checksum and the environment: an edit
//! to the migration makes it stale. A signed approval carries an SSH signature
//! (`ssh-keygen -Y sign`, namespace [`NAMESPACE`]) over [`Approval::message`],
//! verified in-process against the environment's `allowed_signers` file (the
//! OpenSSH/git format): the signer's key must be listed for a principal matching
//! `by`, so editing any field of a signed approval, or signing with an unlisted
//! key, voids it.
//!
//! The gate counts, for each pending migration, distinct valid approvers
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
//!
//! Signature verification is the caller's ([`SignatureVerifier`]; the CLI
//! verifies OpenSSH signatures), so this crate links no SSH code.

use anyhow::{anyhow, Context, Result};
use serde::{Deserialize, Serialize};
use sluice_core::config::Requirement;
use sluice_core::header::RiskLevel;
use sluice_core::{Environment, Migration};
use sluice_lint::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The SSH signature namespace of approvals.
pub const NAMESPACE: &str = "sluice-approval";

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Migration version.
    pub version: String,
    /// Environment name.
    pub environment: String,
    /// Checksum of the migration that was approved.
    pub checksum: String,
    /// Who approved.
    pub by: String,
    /// Ticket or change reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// When (RFC 3339).
    pub at: String,
    /// SSH signature (armored) over [`Approval::message`], when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Approval {
    /// The exact bytes that are signed: every field but the signature, one per
    /// line, in a fixed order.
    pub fn message(&self) -> String {
        format!(
            "sluice-approval/v1\nversion={}\nenvironment={}\nchecksum={}\nby={}\nref={}\nat={}\n",
            self.version, self.environment, self.checksum, self.by, self.reference, self.at
        )
    }

    /// The TOML block appended to the file.
    pub fn to_toml_block(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = format!(
            "\n[[approval]]\nversion = {}\nenvironment = {}\nchecksum = {}\nby = {}\nref = {}\nat = {}\n",
            q(&self.version),
            q(&self.environment),
            q(&self.checksum),
            q(&self.by),
            q(&self.reference),
            q(&self.at)
        );
        if let Some(sig) = &self.signature {
            out.push_str(&format!("signature = \"\"\"\n{}\n\"\"\"\n", sig.trim()));
        }
        out
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalFile {
    #[serde(default)]
    approval: Vec<Approval>,
}

/// Reads the approvals file (none when it does not exist). Errors name the file
/// and line.
pub fn load(path: &Path, display: &str) -> Result<Vec<Approval>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e).with_context(|| format!("reading {display}")),
    };
    let file: ApprovalFile = toml::from_str(&text)
        .map_err(|e| anyhow!("{display} is not a valid approvals file: {e}"))?;
    Ok(file.approval)
}

/// Appends an approval to the file (creating it with a header comment).
pub fn append(path: &Path, approval: &Approval) -> Result<()> {
    use std::io::Write;
    let new = !path.exists();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if new {
        f.write_all(b"# Approvals for sluice (append-only; review every change in a pull request).\n# Written by `sluice approve`; see docs/governance.md.\n")?;
    }
    f.write_all(approval.to_toml_block().as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Verifies an approval's signature.
pub trait SignatureVerifier {
    /// Whether `signature` over `message` was made by a key allowed for
    /// `principal`; Err says why not.
    fn verify(&self, principal: &str, message: &str, signature: &str) -> Result<(), String>;
}

/// The outcome of the approvals gate.
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
/// `all` is the approvals file (`display`, for findings); `signers` verifies
/// signatures when the environment names an `allowed_signers` file;
/// `policy_rationale` is the header field a High-risk migration must carry
/// (`[policy] high_risk_rationale`; empty: none); `risk_of` computes a
/// migration's risk.
///
/// A requirement by role (`high = { architect = 1, tech-lead = 1 }`) counts
/// distinct people of each role (`env.roles`), one person per slot; the
/// finding says which roles still lack approvers.
pub fn check(
    env: &Environment,
    pending: &[&Migration],
    all: &[Approval],
    display: &str,
    signers: Option<&dyn SignatureVerifier>,
    policy_rationale: &str,
    risk_of: &mut dyn FnMut(&Migration) -> RiskLevel,
) -> ApprovalCheck {
    let mut out = ApprovalCheck::default();
    let req = &env.approvals;
    if pending.is_empty() || req.none() {
        return out;
    }
    for m in pending {
        let risk = risk_of(m);
        let requirement = req.for_risk(risk);
        let needed = requirement.total();
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
            if let Err(why) = judge(a, m, env, signers, display, &mut out.findings) {
                not_counted.push(why);
                continue;
            }
            if valid.insert(&a.by) {
                used.push(serde_json::json!({ "by": a.by, "ref": a.reference, "at": a.at, "signed": a.signature.is_some() }));
            }
        }
        // A High-risk migration carries its documented rationale.
        let rationale = policy_rationale.trim();
        if risk == RiskLevel::High
            && needed > 0
            && !rationale.is_empty()
            && m.header
                .value(rationale)
                .is_none_or(|v| v.trim().is_empty())
        {
            out.findings.push(Diagnostic::new(
                sluice_lint::RuleId::ApprovalMissing,
                &m.display_path,
                1,
                1,
                format!(
                    "migration {} is High risk: `{}` needs its documented rationale, and the header has no {rationale}",
                    m.version, env.name
                ),
                format!("add `-- {rationale}: <why this change, and why now>` to the header, then run `sluice hash` (approvals are bound to the checksum: approve again)"),
            ));
        }
        let shortfall = match requirement {
            Requirement::Count(n) => ((valid.len() as u32) < *n).then(|| {
                format!(
                    "{n} approval{} and has {}",
                    if *n == 1 { "" } else { "s" },
                    valid.len()
                )
            }),
            Requirement::Roles(roles) => {
                let missing = missing_roles(roles, &env.roles, &valid);
                (!missing.is_empty())
                    .then(|| format!("approvals by role and still lacks {}", lacking(&missing)))
            }
        };
        if let Some(what) = shortfall {
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
            let who = match requirement {
                Requirement::Roles(roles) => people_in(env, roles.keys()),
                Requirement::Count(_) if env.approvers.is_empty() => "a reviewer".to_string(),
                Requirement::Count(_) => env.approvers.join(" or "),
            };
            out.findings.push(Diagnostic::new(
                sluice_lint::RuleId::ApprovalMissing,
                &m.display_path,
                1,
                1,
                format!(
                    "migration {} is {} risk: `{}` needs {what} (approved by: {so_far}{others})",
                    m.version,
                    risk.as_str(),
                    env.name,
                ),
                format!(
                    "ask {who} to run `sluice approve {} --env {} --by NAME --ref TICKET`",
                    m.version,
                    crate::shell_word(&env.name)
                ),
            ));
        }
        // A declared data domain needs its own roles too.
        for (domain, header, roles) in &env.domain_approvals {
            let declared = m
                .header
                .get(header)
                .is_some_and(|f| sluice_core::header::parse_yes_no(&f.value) == Some(true));
            if !declared {
                continue;
            }
            let missing = missing_roles(roles, &env.roles, &valid);
            if missing.is_empty() {
                continue;
            }
            let who = people_in(env, missing.iter().map(|(r, _)| r));
            out.findings.push(Diagnostic::new(
                sluice_lint::RuleId::ApprovalMissing,
                &m.display_path,
                1,
                1,
                format!(
                    "migration {} declares {header}: Yes: `{}` needs the {domain} domain's approvals and still lacks {}",
                    m.version,
                    env.name,
                    lacking(&missing)
                ),
                format!(
                    "ask {who} to run `sluice approve {} --env {} --by NAME --ref TICKET`",
                    m.version,
                    crate::shell_word(&env.name)
                ),
            ));
        }
        out.used
            .insert(m.version.to_string(), serde_json::Value::Array(used));
    }
    out.findings
        .sort_by(|a, b| (a.rule, &a.path).cmp(&(b.rule, &b.path)));
    out.findings.dedup();
    out
}

/// "1 more architect, 1 more tech-lead".
fn lacking(missing: &[(String, u32)]) -> String {
    missing
        .iter()
        .map(|(r, k)| format!("{k} more {r}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The people of `roles`, for "ask ann (architect) or ben (tech-lead)".
fn people_in<'r>(env: &Environment, roles: impl Iterator<Item = &'r String>) -> String {
    let mut people: Vec<String> = roles
        .flat_map(|r| {
            env.roles
                .get(r)
                .into_iter()
                .flatten()
                .map(move |p| format!("{p} ({r})"))
        })
        .collect();
    people.dedup();
    people.join(" or ")
}

/// The roles still short of approvers, with how many each lacks: distinct
/// people are matched to role slots (one person fills one slot, even when
/// in several roles), by augmenting paths, so the answer does not depend on
/// the order of the approvals.
fn missing_roles(
    required: &BTreeMap<String, u32>,
    roles: &BTreeMap<String, Vec<String>>,
    approvers: &BTreeSet<&str>,
) -> Vec<(String, u32)> {
    // Slots: one per required approval of each role.
    let slots: Vec<&str> = required
        .iter()
        .flat_map(|(r, n)| std::iter::repeat_n(r.as_str(), *n as usize))
        .collect();
    let people: Vec<&str> = approvers.iter().copied().collect();
    let fits = |p: &str, slot: &str| {
        roles
            .get(slot)
            .is_some_and(|list| list.iter().any(|x| x == p))
    };
    let mut holder: Vec<Option<usize>> = vec![None; slots.len()];
    fn place(
        p: usize,
        people: &[&str],
        slots: &[&str],
        holder: &mut [Option<usize>],
        seen: &mut [bool],
        fits: &dyn Fn(&str, &str) -> bool,
    ) -> bool {
        for s in 0..slots.len() {
            if seen[s] || !fits(people[p], slots[s]) {
                continue;
            }
            seen[s] = true;
            if holder[s].is_none_or(|q| place(q, people, slots, holder, seen, fits)) {
                holder[s] = Some(p);
                return true;
            }
        }
        false
    }
    for p in 0..people.len() {
        let mut seen = vec![false; slots.len()];
        place(p, &people, &slots, &mut holder, &mut seen, &fits);
    }
    let mut missing: BTreeMap<&str, u32> = BTreeMap::new();
    for (s, h) in slots.iter().zip(&holder) {
        if h.is_none() {
            *missing.entry(s).or_default() += 1;
        }
    }
    missing
        .into_iter()
        .map(|(r, n)| (r.to_string(), n))
        .collect()
}

/// Whether one approval counts for `m` on `env`: Err says why not (for the
/// "not counted" list); an approval to look into is also a finding.
fn judge(
    a: &Approval,
    m: &Migration,
    env: &Environment,
    signers: Option<&dyn SignatureVerifier>,
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
                format!("review the change and approve again: `sluice approve {} --env {} --by NAME --ref TICKET`", m.version, crate::shell_word(&env.name)),
            ));
        return Err(format!("{} (stale)", a.by));
    }
    if let Some(pattern) = &env.section.approval_reference {
        if !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&a.reference)) {
            return Err(format!(
                "{} (reference {} does not match approval_reference)",
                a.by, a.reference
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_block_round_trips() {
        let a = Approval {
            version: "1".into(),
            environment: "production".into(),
            checksum: "ab".into(),
            by: "alice \"the\" approver".into(),
            reference: "OPS-1".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
            signature: Some(
                "-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----".into(),
            ),
        };
        let file: ApprovalFile = toml::from_str(&a.to_toml_block()).unwrap();
        let mut back = file.approval[0].clone();
        back.signature = back.signature.map(|s| s.trim().to_string());
        assert_eq!(back, a);
    }
}
