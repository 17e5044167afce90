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

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use regex::Regex;
use sluice_core::catalog::{Catalog, CatalogOptions};
use sluice_core::{Ledger, Version};
use sluice_lint::rules::startup_migration::glob_regex;
use sluice_lint::{Diagnostic, Severity};
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

/// Runs git in `dir`; stdout on success.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| anyhow!("cannot run git ({e}): guard needs git on PATH"))?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

fn git_text(dir: &Path, args: &[&str]) -> Result<String> {
    Ok(String::from_utf8_lossy(&git(dir, args)?).trim().to_string())
}

fn is_shallow(dir: &Path) -> bool {
    git_text(dir, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|s| s == "true")
}

/// Resolves a revision to a commit, with advice for shallow clones.
fn resolve(dir: &Path, rev: &str, what: &str) -> Result<String> {
    match git_text(dir, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]) {
        Ok(sha) if !sha.is_empty() => Ok(sha),
        _ if is_shallow(dir) => bail!(
            "{what} `{rev}` is not in this clone, which is shallow: fetch it first (`git fetch origin {rev}`, or `git fetch --unshallow`; on GitHub Actions, actions/checkout with fetch-depth: 0)"
        ),
        _ => bail!("{what} `{rev}` is not a commit in this repository (a branch, tag or SHA)"),
    }
}

/// One changed path.
#[derive(Debug, Clone)]
struct Change {
    status: char,
    old: Option<String>,
    new: Option<String>,
}

/// `git diff -z --name-status -M a b`.
fn changes(dir: &Path, a: &str, b: &str) -> Result<Vec<Change>> {
    let raw = git(
        dir,
        &["diff", "-z", "--name-status", "-M", "--no-ext-diff", a, b],
    )?;
    let mut parts = raw
        .split(|&c| c == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = Vec::new();
    while let Some(st) = parts.next() {
        if st.is_empty() {
            continue;
        }
        let status = st.chars().next().unwrap_or('M');
        let first = parts.next().unwrap_or_default();
        let change = match status {
            'R' | 'C' => Change {
                status,
                old: Some(first),
                new: parts.next(),
            },
            'A' => Change {
                status,
                old: None,
                new: Some(first),
            },
            'D' => Change {
                status,
                old: Some(first),
                new: None,
            },
            _ => Change {
                status,
                old: Some(first.clone()),
                new: Some(first),
            },
        };
        out.push(change);
    }
    Ok(out)
}

/// Where the project lives inside the repository.
struct Repo {
    top: PathBuf,
    /// The project root relative to the repository (`""` or `app/`).
    prefix: String,
}

impl Repo {
    fn rel(&self, project_rel: &str) -> String {
        format!("{}{}", self.prefix, project_rel)
    }

    /// Repository path → project-relative path, when inside the project.
    fn project_path<'a>(&self, repo_path: &'a str) -> Option<&'a str> {
        repo_path.strip_prefix(&self.prefix)
    }
}

/// A line a signal matched.
struct SignalHit {
    path: String,
    line: usize,
    text: String,
}

/// Added and removed lines of `files` between a and b, with line numbers (new
/// side for added lines, old side for removed ones).
fn diff_lines(
    dir: &Path,
    a: &str,
    b: &str,
    files: &[String],
) -> Result<Vec<(String, usize, String)>> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let mut args = vec![
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "-M",
        a,
        b,
        "--",
    ];
    args.extend(files.iter().map(String::as_str));
    let raw = String::from_utf8_lossy(&git(dir, &args)?).into_owned();
    let mut out = Vec::new();
    let (mut path, mut old, mut new) = (String::new(), 0usize, 0usize);
    let hunk = Regex::new(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@").expect("valid");
    for l in raw.lines() {
        if let Some(p) = l.strip_prefix("+++ ") {
            if p != "/dev/null" {
                path = unquote(p.strip_prefix("b/").unwrap_or(p));
            }
        } else if let Some(p) = l.strip_prefix("--- ") {
            if p != "/dev/null" {
                path = unquote(p.strip_prefix("a/").unwrap_or(p));
            }
        } else if let Some(c) = hunk.captures(l) {
            old = c[1].parse().unwrap_or(0);
            new = c[2].parse().unwrap_or(0);
        } else if let Some(t) = l.strip_prefix('+') {
            out.push((path.clone(), new, t.to_string()));
            new += 1;
        } else if let Some(t) = l.strip_prefix('-') {
            out.push((path.clone(), old, t.to_string()));
            old += 1;
        }
    }
    Ok(out)
}

/// git quotes paths with unusual characters: `"a\tb"`.
fn unquote(p: &str) -> String {
    let p = p.trim_end_matches('\t');
    match p.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => p.to_string(),
    }
}

/// A waiver line.
struct Waiver {
    path: Regex,
    signal: Regex,
}

fn waivers(project: &Project, today: &str, diags: &mut Vec<Diagnostic>) -> Vec<Waiver> {
    let g = &project.config.file.guard;
    let path = project.config.root.join(&g.exceptions);
    let display = project.rel(&path);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return vec![];
    };
    let today_days = days(today).unwrap_or(0);
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |diags: &mut Vec<Diagnostic>, msg: String| {
            diags.push(Diagnostic::new(
                sluice_lint::RuleId::GuardWaiverInvalid,
                &display,
                i + 1,
                1,
                msg,
                "write `path_glob|signal_regex|expires_yyyy-mm-dd|reason`, expiring at most max_exception_days from today; remove waivers that expired",
            ))
        };
        let f: Vec<&str> = line.splitn(4, '|').map(str::trim).collect();
        if f.len() != 4 {
            bad(
                diags,
                format!("malformed waiver `{line}`: it needs four fields separated by `|`"),
            );
            continue;
        }
        let Some(exp) = days(f[2]) else {
            bad(
                diags,
                format!("waiver expiry `{}` is not a date (yyyy-mm-dd)", f[2]),
            );
            continue;
        };
        let signal = match Regex::new(f[1]) {
            Ok(r) => r,
            Err(e) => {
                bad(
                    diags,
                    format!("waiver signal_regex `{}` is not a valid regex: {e}", f[1]),
                );
                continue;
            }
        };
        if f[3].is_empty() {
            bad(
                diags,
                "waiver has no reason: say why the model change needs no migration".into(),
            );
            continue;
        }
        if exp < today_days {
            bad(
                diags,
                format!("waiver expired on {} (today is {today})", f[2]),
            );
            continue;
        }
        if exp - today_days > i64::from(g.max_exception_days) {
            bad(
                diags,
                format!(
                    "waiver expires on {}, {} days from today: at most {} are allowed (max_exception_days)",
                    f[2],
                    exp - today_days,
                    g.max_exception_days
                ),
            );
            continue;
        }
        out.push(Waiver {
            path: glob_regex(f[0]),
            signal,
        });
    }
    out
}

/// Days since 1970-01-01 of a `yyyy-mm-dd` date.
fn days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > mdays[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The version of a migration file name, by the project's filename contract
/// (the catalog's own rule).
fn version_of(project: &Project, file: &str) -> Option<Version> {
    let name = file.rsplit('/').next()?;
    sluice_core::catalog::split_file_name(&project.config.filename, name).map(|(v, _)| v)
}

/// Runs `guard`.
pub fn run(project: &Project, a: &GuardArgs) -> Result<Outcome> {
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

    let dir_rel = project.rel(&project.config.migrations_dir);
    let dir_repo = repo.rel(&format!("{}/", dir_rel.trim_end_matches('/')));
    let ledger_repo = repo.rel(&project.rel(&project.config.ledger_path));
    let in_dir = |p: &str| {
        p.starts_with(&dir_repo) && p != ledger_repo && !p[dir_repo.len()..].contains('/')
    };
    let is_migration = |p: &str| in_dir(p) && version_of(project, p).is_some();

    let mut diags = Vec::new();
    let all = changes(&repo.top, &mb, &head)?;

    // 1. Immutability.
    let mut added: Vec<&str> = Vec::new();
    for c in &all {
        let old_mig = c.old.as_deref().filter(|p| is_migration(p));
        let new_mig = c.new.as_deref().filter(|p| is_migration(p));
        match (c.status, old_mig, new_mig) {
            ('A', _, Some(n)) | ('C', _, Some(n)) => added.push(n),
            ('R', None, Some(n)) => added.push(n),
            ('D', Some(o), _) => diags.push(immutability(&repo, o, "deleted", None)),
            ('R', Some(o), n) => {
                diags.push(immutability(&repo, o, "renamed", c.new.as_deref().or(n)))
            }
            ('M' | 'T', Some(o), _) => diags.push(immutability(&repo, o, "modified", None)),
            _ => {}
        }
    }

    // 2. Ordering against the base's tip.
    let base_files = String::from_utf8_lossy(&git(
        &repo.top,
        &["ls-tree", "-r", "-z", "--name-only", &base, "--", &dir_repo],
    )?)
    .into_owned();
    let newest_at_base = base_files
        .split('\0')
        .filter(|p| is_migration(p))
        .filter_map(|p| version_of(project, p).map(|v| (v, p.to_string())))
        .max_by(|x, y| x.0.cmp(&y.0));
    if let Some((newest, newest_path)) = &newest_at_base {
        for p in &added {
            let v = version_of(project, p).expect("a migration");
            if v <= *newest && !base_files.split('\0').any(|b| b == *p) {
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

    // 3. The directory and ledger at head pass check's contract rules.
    diags.extend(contract_at_head(
        project,
        &repo,
        &head,
        &dir_repo,
        &ledger_repo,
    )?);

    // 4. Signals and waivers.
    let today = &sluice_core::clock::now_rfc3339()[..10];
    let waivers = waivers(project, today, &mut diags);
    let signals: Vec<(Regex, Regex, String)> = project
        .config
        .file
        .guard
        .signals
        .iter()
        .map(|s| {
            let pat = Regex::new(&s.pattern).map_err(|e| {
                anyhow!(
                    "[[guard.signals]] pattern {:?} is not a valid regex: {e}",
                    s.pattern
                )
            })?;
            let paths = s
                .paths
                .iter()
                .map(|g| {
                    glob_regex(g)
                        .as_str()
                        .trim_start_matches('^')
                        .trim_end_matches('$')
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("|");
            Ok((
                Regex::new(&format!("^(?:{paths})$"))?,
                pat,
                s.pattern.clone(),
            ))
        })
        .collect::<Result<_>>()?;
    if !signals.is_empty() && added.is_empty() {
        let files: Vec<String> = all
            .iter()
            .flat_map(|c| [c.old.clone(), c.new.clone()])
            .flatten()
            .filter(|p| {
                repo.project_path(p)
                    .is_some_and(|pp| signals.iter().any(|(g, _, _)| g.is_match(pp)))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut hits = Vec::new();
        for (path, line, text) in diff_lines(&repo.top, &mb, &head, &files)? {
            let Some(pp) = repo.project_path(&path) else {
                continue;
            };
            for (g, pat, _) in &signals {
                if !g.is_match(pp) {
                    continue;
                }
                if let Some(m) = pat.find(&text) {
                    let waived = waivers.iter().any(|w| {
                        w.path.is_match(pp)
                            && (w.signal.is_match(m.as_str()) || w.signal.is_match(&text))
                    });
                    if !waived {
                        hits.push(SignalHit {
                            path: pp.to_string(),
                            line,
                            text: text.trim().to_string(),
                        });
                    }
                    break;
                }
            }
        }
        for h in hits {
            diags.push(Diagnostic::new(
                sluice_lint::RuleId::ModelChangeWithoutMigration,
                &h.path,
                h.line.max(1),
                1,
                format!(
                    "schema-affecting change `{}` ({}:{}) but this diff adds no migration",
                    h.text, h.path, h.line
                ),
                "add the migration that goes with it (`sluice new NAME`), or, when no schema change is needed, a waiver line in the guard exceptions file: path_glob|signal_regex|expires_yyyy-mm-dd|reason",
            ));
        }
    }

    let mut diags = sluice_lint::registry::apply_overrides(diags, &project.rule_overrides);
    diags.sort_by(|x, y| (&x.path, x.line, x.rule).cmp(&(&y.path, y.line, y.rule)));
    let summary = Summary::of(&diags, added.len());
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
    );
    Ok(if diags.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
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

/// The contract rules (filenames, duplicates, ledger) over the migrations
/// directory as it is at `head`, extracted with `git archive`.
fn contract_at_head(
    project: &Project,
    repo: &Repo,
    head: &str,
    dir_repo: &str,
    ledger_repo: &str,
) -> Result<Vec<Diagnostic>> {
    // The common case (CI checks out head): the working tree's directory is
    // head's, so read it in place instead of extracting thousands of files.
    let checked_out = git_text(&repo.top, &["rev-parse", "HEAD"]).is_ok_and(|h| h == head);
    if checked_out
        && git_text(
            &repo.top,
            &[
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--",
                dir_repo.trim_end_matches('/'),
            ],
        )
        .is_ok_and(|s| s.is_empty())
    {
        return Ok(super::check::contract(
            project,
            &project.catalog()?,
            project.ledger()?,
        ));
    }
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let archive = Command::new("git")
        .arg("-C")
        .arg(&repo.top)
        .args([
            "archive",
            "--format=tar",
            head,
            "--",
            dir_repo.trim_end_matches('/'),
        ])
        .output()
        .map_err(|e| anyhow!("cannot run git archive: {e}"))?;
    if !archive.status.success() {
        // The directory does not exist at head: nothing to check.
        return Ok(vec![]);
    }
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run tar: {e}"))?;
    {
        use std::io::Write;
        tar.stdin
            .take()
            .expect("piped")
            .write_all(&archive.stdout)?;
    }
    if !tar.wait()?.success() {
        bail!("extracting the migrations directory at {head} failed");
    }
    let root = tmp.path().join(&repo.prefix);
    let dir = tmp.path().join(dir_repo);
    let ledger_path = tmp.path().join(ledger_repo);
    let ignore = [ledger_path.clone()];
    let catalog = Catalog::load(&CatalogOptions {
        dir: &dir,
        root: &root,
        filename: &project.config.filename,
        ignore: &ignore,
        layout: project.config.layout,
        cache: None,
    })?;
    let ledger = match Ledger::load(&ledger_path)? {
        Some(l) => Some((l, std::fs::read_to_string(&ledger_path)?)),
        None => None,
    };
    Ok(super::check::contract(project, &catalog, ledger))
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
