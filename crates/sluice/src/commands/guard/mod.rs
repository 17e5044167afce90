//! `sluice guard [--base REF] [--head REF]`: the pull-request check over a git
//! diff (see docs/guard.md).
//!
//! - **Immutability**: a migration that exists at the merge base and is
//!   modified, renamed or deleted at head (`migration-modified`). The ledger and
//!   the directory at head must pass `check`'s contract rules.
//! - **Ordering**: a migration added at head whose version is not newer than
//!   every migration at the base's tip (`out-of-order`: the merge race).
//! - **Model change without a migration**: a `[[guard.signals]]` pattern matches
//!   an added or removed line of a matching file while the diff adds no
//!   migration (`model-change-without-migration`), unless a waiver covers it.
//! - **Waivers** in `.sluice/guard-exceptions.txt`:
//!   `path_glob|signal_regex|expires_yyyy-mm-dd|reason`; an expired one, one
//!   that runs more than `max_exception_days` from today, a malformed line or
//!   one without a reason is `guard-waiver-invalid`, naming the line.
//!
//! Changes are `git diff merge-base(base, head)..head`, so commits that landed
//! on the base branch after the branch point are not the pull request's.

mod git;
mod head;
mod waivers;

use git::*;
use head::contract_at_head;
use waivers::*;

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use regex::Regex;
use sluice_core::catalog::{Catalog, CatalogOptions};
use sluice_core::{Ledger, Version};
use sluice_lint::rules::startup_migration::glob_regex;
use sluice_lint::Diagnostic;
use sluice_report::Summary;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Options for `guard`.
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// The base revision (branch, tag or SHA); default: origin/main when it exists.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The head revision.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub head: String,
}

/// The version of a migration file name, by the project's filename contract
/// (the catalog's own rule).
fn version_of(project: &Project, file: &str) -> Option<Version> {
    let name = file.rsplit('/').next()?;
    project
        .config
        .layout
        .imp()
        .version_of(&project.config.filename, name)
        .map(|(v, _)| v)
}

/// Runs `guard`.
pub fn run(project: &Project, a: &GuardArgs) -> Result<Outcome> {
    let Revisions {
        repo,
        base_ref,
        base,
        head,
        mb,
    } = revisions(project, a)?;
    let dir_rel = project.rel(&project.config.migrations_dir);
    let dir_repo = repo.rel(&format!("{}/", dir_rel.trim_end_matches('/')));
    let ledger_repo = repo.rel(&project.rel(&project.config.ledger_path));
    let layout = project.config.layout.imp();
    let per_dir = layout.per_directory();
    // The migration a repository path belongs to: the file itself, the
    // directory it is in (diesel, prisma), or the stem it shares with its
    // other files (`1_x.up.sql` + `1_x.down.sql`).
    let grouped = |file: &str| per_dir || layout.unit_name(file).is_some();
    let unit_version = |p: &str| -> Option<(String, Version)> {
        let rest = p
            .strip_prefix(dir_repo.as_str())
            .filter(|_| p != ledger_repo)?;
        let (unit, v) = match (per_dir, rest.split_once('/')) {
            (true, Some((d, _))) => (d.to_string(), version_of(project, d)?),
            (false, None) => (
                layout.unit_name(rest).unwrap_or_else(|| rest.to_string()),
                version_of(project, rest)?,
            ),
            _ => return None,
        };
        Some((format!("{dir_repo}{unit}"), v))
    };
    let unit_of = |p: &str| unit_version(p).map(|(u, _)| u);

    let mut diags = Vec::new();
    let all = changes(&repo.top, &mb, &head)?;

    // 1. Immutability.
    // A large diff shows its progress (a bar on a terminal).
    let (findings, added) = crate::progress::watch(project, "guard", 200, || {
        file_changes(&repo, &mb, &head, &dir_repo, &all, &grouped, &unit_of)
    })?;
    diags.extend(findings);

    // 2. Ordering against the base's tip. A migration's version comes from
    // any of its changed files.
    let versions: std::collections::HashMap<String, Version> = all
        .iter()
        .filter_map(|c| c.new.as_deref())
        .filter_map(unit_version)
        .collect();
    let added_versions: Vec<(&str, Version)> = added
        .iter()
        .filter_map(|p| {
            let v = versions
                .get(p)
                .cloned()
                .or_else(|| version_of(project, p))?;
            Some((p.as_str(), v))
        })
        .collect();
    diags.extend(out_of_order(
        &repo,
        &base_ref,
        &base,
        &dir_repo,
        &added_versions,
        &unit_version,
    )?);

    // 3. The directory and ledger at head pass check's contract rules.
    let (contract, checked) = contract_at_head(project, &repo, &head, &dir_repo, &ledger_repo)?;
    diags.extend(contract);

    // 4. Signals and waivers.
    let today = &sluice_core::clock::now_rfc3339()[..10];
    let waivers = waivers(project, today, &mut diags);
    let signals = signals(project)?;
    if !signals.is_empty() && added.is_empty() {
        diags.extend(signal_findings(
            &repo, &mb, &head, &all, &signals, &waivers,
        )?);
    }

    let mut diags = sluice_lint::registry::apply_overrides(diags, &project.rule_overrides);
    diags.sort_by(|x, y| (&x.path, x.line, x.rule).cmp(&(&y.path, y.line, y.rule)));
    // The migrations guard checked: the whole directory at head.
    let summary = Summary::of(&diags, checked);
    // JUnit: one case per changed file (as the project names it).
    let cases: Vec<String> = all
        .iter()
        .filter_map(|c| c.new.as_deref())
        .map(|p| project.rel(&repo.top.join(p)))
        .collect();
    crate::output::print_diagnostics(
        project,
        &diags,
        summary,
        Some(format!(
            "guard: ok ({} changed file{}, {} migration{} added, base {} at {})",
            all.len(),
            if all.len() == 1 { "" } else { "s" },
            added.len(),
            if added.len() == 1 { "" } else { "s" },
            base_ref,
            &mb[..12.min(mb.len())]
        )),
        "guard",
        &cases,
    );
    Ok(crate::cli::lint_outcome(&project.global, &diags))
}

/// The two revisions a guard compares, resolved in the repository.
struct Revisions {
    repo: Repo,
    /// `--base` as given (or `origin/main`).
    base_ref: String,
    base: String,
    head: String,
    /// Their merge base.
    mb: String,
}

/// Finds the repository and resolves `--base`, `--head` and their merge base.
fn revisions(project: &Project, a: &GuardArgs) -> Result<Revisions> {
    let root = &project.config.root;
    let top = PathBuf::from(
        git_text(root, &["rev-parse", "--show-toplevel"]).map_err(|_| {
            anyhow!(
                "{} is not inside a git repository: guard compares two git revisions",
                root.display()
            )
        })?,
    );
    let repo = Repo {
        prefix: git_text(root, &["rev-parse", "--show-prefix"])?,
        top,
    };
    let base_ref = match &a.base {
        Some(b) => b.clone(),
        None => {
            if git_text(
                &repo.top,
                &["rev-parse", "--verify", "--quiet", "origin/main^{commit}"],
            )
            .is_ok_and(|s| !s.is_empty())
            {
                "origin/main".to_string()
            } else {
                bail!("no --base given and there is no origin/main to default to: pass --base REF (the branch the pull request targets)");
            }
        }
    };
    let base = resolve(&repo.top, &base_ref, "base")?;
    let head = resolve(&repo.top, &a.head, "head")?;
    let mb = git_text(&repo.top, &["merge-base", &base, &head]).map_err(|_| {
        if is_shallow(&repo.top) {
            anyhow!("the merge base of `{base_ref}` and `{}` is not in this clone, which is shallow: fetch more history (`git fetch --unshallow`; on GitHub Actions, actions/checkout with fetch-depth: 0)", a.head)
        } else {
            anyhow!("`{base_ref}` and `{}` have no common ancestor", a.head)
        }
    })?;
    Ok(Revisions {
        repo,
        base_ref,
        base,
        head,
        mb,
    })
}

/// Immutability: findings for merged migrations changed here, and the
/// migrations added (repository paths: files, or the units of a layout whose
/// migrations are several files).
fn file_changes(
    repo: &Repo,
    mb: &str,
    head: &str,
    dir_repo: &str,
    all: &[git::Change],
    grouped: &dyn Fn(&str) -> bool,
    unit_of: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Diagnostic>, Vec<String>)> {
    let several = all
        .iter()
        .flat_map(|c| [c.old.as_deref(), c.new.as_deref()])
        .flatten()
        .filter_map(|p| p.rsplit('/').next())
        .any(grouped);
    if several {
        return unit_changes(repo, mb, head, dir_repo, all, unit_of);
    }
    let is_migration = |p: &str| unit_of(p).is_some();
    let mut diags = Vec::new();
    let mut added = Vec::new();
    crate::progress::WORK.begin(all.len());
    for c in all {
        crate::progress::WORK.inc();
        let old_mig = c.old.as_deref().filter(|p| is_migration(p));
        let new_mig = c.new.as_deref().filter(|p| is_migration(p));
        match (c.status, old_mig, new_mig) {
            ('A', _, Some(n)) | ('C', _, Some(n)) => added.push(n.to_string()),
            ('R', None, Some(n)) => added.push(n.to_string()),
            ('D', Some(o), _) => diags.push(immutability(repo, o, "deleted", None)),
            ('R', Some(o), n) => {
                diags.push(immutability(repo, o, "renamed", c.new.as_deref().or(n)))
            }
            ('M' | 'T', Some(o), _) => diags.push(immutability(repo, o, "modified", None)),
            _ => {}
        }
    }
    Ok((diags, added))
}

/// Immutability where a migration is several files (a directory, or an up
/// and a down file side by side): each changed file counts against its
/// migration. One that existed at the merge base and was changed is
/// `modified` (or `deleted` when it is gone at head); one that did not is
/// added (returned, once each).
fn unit_changes(
    repo: &Repo,
    mb: &str,
    head: &str,
    dir_repo: &str,
    all: &[git::Change],
    unit_of: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Diagnostic>, Vec<String>)> {
    let units_at = |rev: &str| -> Result<std::collections::HashSet<String>> {
        let files = git(
            &repo.top,
            &["ls-tree", "-r", "-z", "--name-only", rev, "--", dir_repo],
        )?;
        Ok(String::from_utf8_lossy(&files)
            .split('\0')
            .filter_map(unit_of)
            .collect())
    };
    let (at_mb, at_head) = (units_at(mb)?, units_at(head)?);
    let exists_at = |rev: &str, unit: &str| -> Result<bool> {
        Ok(if rev == mb {
            at_mb.contains(unit)
        } else {
            at_head.contains(unit)
        })
    };
    // Each touched migration, with the files of it that changed.
    let mut touched: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for path in all
        .iter()
        .flat_map(|c| [c.old.as_deref(), c.new.as_deref()])
        .flatten()
    {
        if let Some(unit) = unit_of(path) {
            let files = touched.entry(unit).or_default();
            if !files.contains(&path) {
                files.push(path);
            }
        }
    }
    let mut diags = Vec::new();
    let mut added = Vec::new();
    for (unit, files) in touched {
        let how = match (exists_at(mb, &unit)?, exists_at(head, &unit)?) {
            (true, true) => "modified",
            (true, false) => "deleted",
            (false, true) => {
                added.push(unit);
                continue;
            }
            (false, false) => continue,
        };
        // Reported at the team's own file that changed, naming the migration.
        let mut d = immutability(repo, &unit, how, None);
        let shown: Vec<&str> = files
            .iter()
            .map(|f| repo.project_path(f).unwrap_or(f))
            .collect();
        d.path = shown[0].to_string();
        d.message =
            d.message
                .replacen(" here", &format!(" here ({} changed)", shown.join(", ")), 1);
        diags.push(d);
    }
    Ok((diags, added))
}

/// Migrations added here with a version not newer than the base's newest one.
fn out_of_order(
    repo: &Repo,
    base_ref: &str,
    base: &str,
    dir_repo: &str,
    added: &[(&str, Version)],
    unit_version: &dyn Fn(&str) -> Option<(String, Version)>,
) -> Result<Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let base_files = String::from_utf8_lossy(&git(
        &repo.top,
        &["ls-tree", "-r", "-z", "--name-only", base, "--", dir_repo],
    )?)
    .into_owned();
    let base_units: std::collections::BTreeMap<String, Version> =
        base_files.split('\0').filter_map(unit_version).collect();
    let newest_at_base = base_units
        .iter()
        .map(|(p, v)| (v.clone(), p.clone()))
        .max_by(|x, y| x.0.cmp(&y.0));
    if let Some((newest, newest_path)) = &newest_at_base {
        for (p, v) in added {
            if v <= newest && !base_units.contains_key(*p) {
                diags.push(Diagnostic::new(
                    sluice_lint::RuleId::OutOfOrder,
                    repo.project_path(p).unwrap_or(p),
                    1,
                    1,
                    format!(
                        "migration {v} is added here, but `{base_ref}` already has a newer or equal migration {newest} ({}): applied in version order, it would run out of order",
                        repo.project_path(newest_path).unwrap_or(newest_path)
                    ),
                    "re-version it: `git mv` it to a version newer than every migration on the base (for example with `sluice new` and moving the SQL), update MIGRATION_ID, then `sluice hash`",
                ));
            }
        }
    }
    Ok(diags)
}

fn immutability(repo: &Repo, old: &str, how: &str, new: Option<&str>) -> Diagnostic {
    let shown = repo.project_path(old).unwrap_or(old);
    Diagnostic::new(
        sluice_lint::RuleId::MigrationModified,
        shown,
        1,
        1,
        format!(
            "migration {shown} exists on the base and is {how} here{}: merged migrations are immutable",
            new.map(|n| format!(" (to {})", repo.project_path(n).unwrap_or(n)))
                .unwrap_or_default()
        ),
        "restore the file as it is on the base and add a new migration that makes the change (`sluice new NAME`)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(days("1970-01-01"), Some(0));
        assert_eq!(days("2024-03-01").unwrap() - days("2024-02-28").unwrap(), 2);
        assert_eq!(days("2023-03-01").unwrap() - days("2023-02-28").unwrap(), 1);
        assert_eq!(days("2026-13-01"), None);
        assert_eq!(days("2026-02-30"), None);
        assert_eq!(days("26-01-01"), None);
    }

    #[test]
    fn quoted_paths() {
        assert_eq!(unquote("\"app/a \\\"b\\\".py\""), "app/a \"b\".py");
        assert_eq!(unquote("app/user model.py\t"), "app/user model.py");
    }
}
