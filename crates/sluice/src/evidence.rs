//! Evidence: every command that touches a database appends a record of what it
//! did to `<evidence dir>/<git sha or "nogit">/migration.json` (default
//! `.artifacts/deploy/`). The file holds every run for that commit, oldest
//! first, so a CI job's `apply` and the `status` after it both survive. Targets
//! are redacted; error texts are scrubbed of passwords.

use crate::project::Project;
use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Value};
pub use sluice_engine::record::MigrationRecord;
use sluice_lint::Diagnostic;
use std::path::{Path, PathBuf};

/// How a run ended (serialised as before: `ok`, `noop`, `blocked`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    /// It did what was asked.
    Ok,
    /// There was nothing to do.
    Noop,
    /// A gate refused it.
    Blocked,
    /// A migration failed.
    Failed,
    /// `plan`: apply would run migrations.
    WouldApply,
    /// `verify`: the schema drifted.
    Drift,
    /// `verify`: no drift.
    Clean,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// `apply`, `down`, `status`, `resolve`.
    pub command: &'static str,
    /// Run id (also in history and audit rows).
    pub run_id: String,
    /// Environment.
    pub environment: String,
    /// Redacted database URL.
    pub target: String,
    /// Who.
    pub actor: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Migrations touched.
    pub migrations: Vec<MigrationRecord>,
    /// Gate findings.
    pub findings: Vec<Diagnostic>,
    /// Anything else the command reports.
    pub details: Value,
}

/// The evidence file of a run on `env` (`[evidence] path`, a template, or
/// `<dir>/{sha}/migration.json`), and the commit it is for. A `{work_order}`
/// with no `--work-order` (or `SLUICE_WORK_ORDER`) becomes `unassigned`,
/// with a warning.
pub fn evidence_path(project: &Project, env: &str) -> (PathBuf, String) {
    let ev = &project.config.file.evidence;
    let sha = git_sha(&project.config.root).unwrap_or_else(|| "nogit".into());
    let template = ev
        .path
        .clone()
        .unwrap_or_else(|| format!("{}/{{sha}}/migration.json", ev.dir.trim_end_matches('/')));
    let work_order = match &project.global.work_order {
        Some(w) if !w.trim().is_empty() => w.trim().replace(['/', '\\'], "_"),
        _ => {
            if template.contains("{work_order}") {
                eprintln!("warning: [evidence] path uses {{work_order}} and none was given (--work-order ID or SLUICE_WORK_ORDER): writing under `unassigned`");
            }
            "unassigned".into()
        }
    };
    let date = &sluice_core::clock::now_rfc3339()[..10];
    let rel = template
        .replace("{sha}", &sha)
        .replace("{env}", &env.replace(['/', '\\'], "_"))
        .replace("{work_order}", &work_order)
        .replace("{date}", date);
    (project.config.root.join(rel), sha)
}

/// Appends `run` to the evidence file; returns its path. Failure to write
/// evidence is reported but does not change the command's outcome.
pub fn record(project: &Project, run: &Run) -> Option<PathBuf> {
    let ev = &project.config.file.evidence;
    if !ev.enabled {
        return None;
    }
    let (path, sha) = evidence_path(project, &run.environment);
    match append(&path, &sha, run) {
        Ok(()) => Some(path),
        Err(e) => {
            eprintln!(
                "warning: could not write evidence to {}: {e}",
                project.rel(&path)
            );
            None
        }
    }
}

/// Appends under an exclusive lock on `migration.json.lock` beside the file
/// (the operating system's file lock, released when the process ends, however
/// it ends), so concurrent runs never lose each other's records. A file that
/// is not an evidence document is never overwritten: it is moved aside.
fn append(path: &Path, sha: &str, run: &Run) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let lock_path = path.with_extension("json.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    lock.lock()?;
    let mut doc: Value = match std::fs::read_to_string(path) {
        Ok(t) => match serde_json::from_str::<Value>(&t) {
            Ok(v) if v.is_object() && v["runs"].is_array() => v,
            _ => {
                let aside = path.with_extension(format!("json.unreadable-{}", run.run_id));
                std::fs::rename(path, &aside)?;
                eprintln!(
                    "warning: {} was not an evidence document; moved it to {} and started a new one",
                    path.display(),
                    aside.display()
                );
                json!({ "runs": [] })
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({ "runs": [] }),
        Err(e) => return Err(e.into()),
    };
    doc["schema_version"] = json!(crate::output::SCHEMA_VERSION);
    doc["tool"] = json!("sluice");
    doc["tool_version"] = json!(sluice_core::TOOL_VERSION);
    doc["git_sha"] = json!(sha);
    let mut run = serde_json::to_value(run)?;
    scrub_value(&mut run);
    doc["runs"].as_array_mut().expect("checked").push(run);
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    sluice_core::ledger::write_atomic(path, text.as_bytes())?;
    drop(lock);
    Ok(())
}

fn scrub_value(v: &mut Value) {
    match v {
        Value::String(s) => *s = crate::secrets::scrub(s),
        Value::Array(a) => a.iter_mut().for_each(scrub_value),
        Value::Object(o) => o.values_mut().for_each(scrub_value),
        _ => {}
    }
}

/// The latest evidence record for this commit, as `{ file, last_run }`, when
/// one exists.
pub fn latest(project: &Project) -> Option<sluice_report::pack::LatestEvidence> {
    let env = project.global.env.clone().unwrap_or_default();
    let (path, _) = evidence_path(project, &env);
    let doc = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())?;
    Some(sluice_report::pack::LatestEvidence {
        file: project.rel(&path),
        last_run: doc["runs"].as_array().and_then(|r| r.last()).cloned(),
    })
}

/// The commit being deployed: `GITHUB_SHA` / `CI_COMMIT_SHA` when CI sets them,
/// else `HEAD` of the repository holding `root`, read from `.git` directly (no
/// subprocess on the hot path of every command).
pub fn git_sha(root: &Path) -> Option<String> {
    for var in ["GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT"] {
        if let Ok(v) = std::env::var(var) {
            if is_sha(v.trim()) {
                return Some(v.trim().to_string());
            }
        }
    }
    let mut dir = Some(root);
    while let Some(d) = dir {
        let dot_git = d.join(".git");
        if dot_git.is_dir() {
            return resolve_head(&dot_git, &dot_git);
        }
        if dot_git.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let gitdir = d.join(text.strip_prefix("gitdir:")?.trim());
            let common = std::fs::read_to_string(gitdir.join("commondir"))
                .map(|c| gitdir.join(c.trim()))
                .unwrap_or_else(|_| gitdir.clone());
            return resolve_head(&gitdir, &common);
        }
        dir = d.parent();
    }
    None
}

fn is_sha(s: &str) -> bool {
    (40..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn resolve_head(gitdir: &Path, common: &Path) -> Option<String> {
    let head = std::fs::read_to_string(gitdir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(reference) = head.strip_prefix("ref:").map(str::trim) else {
        return is_sha(head).then(|| head.to_string());
    };
    for base in [gitdir, common] {
        if let Ok(s) = std::fs::read_to_string(base.join(reference)) {
            if is_sha(s.trim()) {
                return Some(s.trim().to_string());
            }
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|l| {
        let (sha, name) = l.split_once(' ')?;
        (name == reference && is_sha(sha)).then(|| sha.to_string())
    })
}

/// Who is running: the OS user, plus the CI identity when one is present.
pub fn actor() -> String {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(os_user)
        .unwrap_or_else(|| "unknown".into());
    let var = |k: &str| std::env::var(k).ok().filter(|s| !s.is_empty());
    let ci = if var("GITHUB_ACTIONS").is_some() {
        Some(format!(
            "github:{}@{} run {}",
            var("GITHUB_ACTOR").unwrap_or_default(),
            var("GITHUB_REPOSITORY").unwrap_or_default(),
            var("GITHUB_RUN_ID").unwrap_or_default()
        ))
    } else if var("GITLAB_CI").is_some() {
        Some(format!(
            "gitlab:{} job {}",
            var("GITLAB_USER_LOGIN").unwrap_or_default(),
            var("CI_JOB_ID").unwrap_or_default()
        ))
    } else if var("CI").is_some_and(|v| v == "true" || v == "1") {
        Some("ci".into())
    } else {
        None
    };
    match ci {
        Some(c) => format!("{user} via {c}"),
        None => user,
    }
}

/// The login name of this process's user from `/proc` and `/etc/passwd`, for
/// environments (containers, CI runners) that do not set `USER`.
fn os_user() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// A run id: time and process, unique enough to join history, audit and
/// evidence rows of one run.
pub fn run_id() -> String {
    format!(
        "{:x}-{:x}",
        sluice_core::clock::now_millis(),
        std::process::id()
    )
}
