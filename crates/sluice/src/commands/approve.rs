//! `sluice approve VERSION --env E --by NAME --ref TICKET [--sign KEY]`: appends
//! an approval bound to the migration's current checksum and the environment to
//! the approvals file. With `--sign`, the approval is signed with `ssh-keygen -Y
//! sign` (namespace `sluice-approval`); when the environment names an
//! `allowed_signers` file, the signature is verified before anything is written.

use crate::approvals::{self, AllowedSigners, Approval};
use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::path::PathBuf;

/// Options for `approve`.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The migration's version.
    pub version: String,
    /// Who approves: in a role the environment's approvals name, or in its
    /// `approvers` (when it has any); anyone else is refused before anything
    /// is written.
    #[arg(long, value_name = "NAME")]
    pub by: String,
    /// The ticket or change reference.
    #[arg(long = "ref", value_name = "TICKET")]
    pub reference: String,
    /// Sign with this SSH private key (ssh-keygen -Y sign).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
}

/// Runs `approve`.
pub fn run(project: &Project, a: &ApproveArgs) -> Result<Outcome> {
    let Some(env) = project.global.env.clone() else {
        bail!("approve needs --env: an approval is for one environment");
    };
    let known = project.config.environment_names();
    if !known.contains(&env) {
        bail!(
            "unknown environment `{env}`; sluice.toml defines: {}",
            known.join(", ")
        );
    }
    for (what, v) in [("--by", &a.by), ("--ref", &a.reference)] {
        if v.trim().is_empty() {
            bail!("{what} must not be empty");
        }
    }
    refuse_unknown_approver(project, &env, a.by.trim())?;
    if let Some(pattern) = project
        .config
        .file
        .environments
        .get(&env)
        .and_then(|e| e.approval_reference.as_deref())
    {
        let re = regex::Regex::new(pattern)
            .map_err(|e| anyhow!("[environments.{env}] approval_reference: {e}"))?;
        if !re.is_match(a.reference.trim()) {
            bail!(
                "--ref {:?} does not match `{env}`'s approval_reference '{pattern}'; nothing was recorded",
                a.reference.trim()
            );
        }
    }
    let catalog = project.catalog_with_text()?;
    let m = catalog.find(&a.version).ok_or_else(|| {
        anyhow!(
            "no migration with version {} in {}",
            a.version,
            project.rel(&project.config.migrations_dir)
        )
    })?;
    let mut approval = Approval {
        version: m.version.to_string(),
        environment: env.clone(),
        checksum: m.checksum.to_hex(),
        by: a.by.trim().to_string(),
        reference: a.reference.trim().to_string(),
        at: sluice_core::clock::now_rfc3339(),
        signature: None,
    };
    if let Some(key) = &a.sign {
        let signature = approvals::sign(&project.config.root.join(key), &approval.message())?;
        if let Some(signers) = project
            .config
            .file
            .environments
            .get(&env)
            .and_then(|e| e.allowed_signers.clone())
        {
            let path = project.config.root.join(&signers);
            let allowed = AllowedSigners::load(&path, &project.rel(&path))?;
            allowed
                .verify(&approval.by, &approval.message(), &signature)
                .map_err(|why| {
                    anyhow!(
                        "not recorded: {why} (allowed_signers: {})",
                        project.rel(&path)
                    )
                })?;
        }
        approval.signature = Some(signature);
    }
    approvals::append(&project.config.approvals_path, &approval)?;
    if project.json() {
        crate::output::print_json(&serde_json::json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "approval": approval,
            "file": project.rel(&project.config.approvals_path),
        }));
    } else if !project.global.quiet {
        println!(
            "approved {} ({}) for `{env}` by {} ({}){}, bound to checksum {}; recorded in {}",
            m.version,
            m.name,
            approval.by,
            approval.reference,
            if approval.signature.is_some() {
                ", signed"
            } else {
                ""
            },
            &approval.checksum[..12],
            project.rel(&project.config.approvals_path)
        );
    }
    Ok(Outcome::Ok)
}

/// Refuses, before anything is written, a name that could never count on
/// `env`: not in its `approvers` (when it lists any), or in none of the
/// roles its approvals name when every requirement is by role.
fn refuse_unknown_approver(project: &Project, env: &str, by: &str) -> Result<()> {
    let Some(section) = project.config.file.environments.get(env) else {
        return Ok(());
    };
    let in_role = |role: &str| {
        project
            .config
            .roles
            .get(role)
            .is_some_and(|people| people.iter().any(|p| p == by))
    };
    let mut roles: Vec<&str> = section
        .approvals
        .as_ref()
        .map(|a| a.roles())
        .unwrap_or_default();
    // The roles of data domains count where the environment needs approvals.
    if section.approvals.as_ref().is_some_and(|a| !a.none()) {
        roles.extend(
            project
                .config
                .file
                .domains
                .values()
                .flat_map(|d| d.approvals.keys().map(String::as_str)),
        );
        roles.sort();
        roles.dedup();
    }
    let by_count_only = section.approvals.as_ref().is_some_and(|a| {
        [&a.low, &a.medium, &a.high]
            .iter()
            .all(|r| matches!(r, sluice_core::config::Requirement::Roles(_)) || r.total() == 0)
    });
    if !roles.is_empty() && by_count_only && !roles.iter().any(|r| in_role(r)) {
        bail!(
            "`{by}` is in none of the roles `{env}` takes approvals from ({}); nothing was recorded. [roles] in sluice.toml (or roles.toml beside the approvals) says who is in each",
            roles.join(", ")
        );
    }
    if !section.approvers.is_empty()
        && !section.approvers.iter().any(|p| p == by)
        && !roles.iter().any(|r| in_role(r))
    {
        bail!(
            "`{by}` is not among `{env}`'s approvers ({}); nothing was recorded",
            section.approvers.join(", ")
        );
    }
    Ok(())
}
