//! The analysis cache: each migration's findings and computed risk, keyed by its
//! checksum and path, for one build of sluice and one policy.
//!
//! Migrations are immutable once merged, so a repeat `check` parses only new or
//! changed files. The cache lives in `<root>/.sluice/cache/check.json` and is
//! thrown away whole when the sluice binary changes (its version, size or
//! modification time) or when anything the rules read from the configuration
//! changes (dialect, layout, `[policy]`, whether every environment sets
//! `lock_timeout`). Severity overrides from `[rules]` are applied after the
//! cache, so changing them needs no new analysis.
//!
//! Like the stat cache, it is an optimisation only: unreadable means empty, and a
//! failed write is ignored. `--no-cache` (or `SLUICE_NO_CACHE=1`) bypasses both.

use crate::project::Project;
use serde::{Deserialize, Serialize};
use sluice_core::header::RiskLevel;
use sluice_core::Migration;
use sluice_lint::{Diagnostic, MigrationLint, Policy, Severity};
use std::collections::HashMap;
use std::path::PathBuf;

const FORMAT: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedDiagnostic {
    rule: String,
    severity: Severity,
    path: String,
    line: usize,
    column: usize,
    message: String,
    help: String,
    /// The byte range the diagnostic is about (`[start, end]`), when known.
    #[serde(default)]
    span: Option<(usize, usize)>,
    /// `up` or `down` for a statement's finding.
    #[serde(default)]
    section: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    risk: RiskLevel,
    diagnostics: Vec<CachedDiagnostic>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    format: u32,
    /// The build of sluice and the policy the entries were computed with.
    fingerprint: String,
    entries: HashMap<String, Entry>,
}

/// The analysis cache of one project for one command.
pub struct LintCache {
    path: Option<PathBuf>,
    fingerprint: String,
    old: HashMap<String, Entry>,
    new: HashMap<String, Entry>,
    dirty: bool,
}

/// What the build of sluice is: its version, and the size and modification
/// time of the executable, so that a rebuilt binary (whose rules may differ)
/// starts with an empty cache.
fn tool_fingerprint() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            format!("{}:{mtime}", m.len())
        })
        .unwrap_or_default();
    format!("{}:{exe}", env!("CARGO_PKG_VERSION"))
}

fn key(m: &Migration) -> String {
    format!("{}:{}", m.checksum.to_hex(), m.display_path)
}

impl LintCache {
    /// Loads the cache for this project and policy (an inert one with
    /// `--no-cache`).
    pub fn load(project: &Project, policy: &Policy<'_>) -> LintCache {
        let path = project.cache_dir().map(|d| d.join("check.json"));
        let config = format!(
            "{:?}|{:?}|{:?}|{}|{}",
            project.config.layout,
            policy.dialect,
            policy.policy,
            policy.lock_timeout_everywhere,
            policy.statement_timeout_everywhere
        );
        let fingerprint = format!(
            "{}|{}",
            tool_fingerprint(),
            sluice_core::Checksum::of(config.as_bytes()).to_hex()
        );
        let old = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<File>(&b).ok())
            .filter(|f| f.format == FORMAT && f.fingerprint == fingerprint)
            .map(|f| f.entries)
            .unwrap_or_default();
        LintCache {
            path,
            fingerprint,
            old,
            new: HashMap::new(),
            dirty: false,
        }
    }

    /// The findings and risk of a migration analysed before, with this build
    /// and policy.
    pub fn get(&mut self, m: &Migration) -> Option<MigrationLint> {
        self.path.as_ref()?;
        let k = key(m);
        let entry = self.old.remove(&k)?;
        let mut diagnostics = Vec::with_capacity(entry.diagnostics.len());
        for d in &entry.diagnostics {
            // A rule id this build does not know: analyse again.
            let rule = sluice_lint::registry::lookup(&d.rule)?.id;
            diagnostics.push(Diagnostic {
                rule,
                severity: d.severity,
                path: d.path.clone(),
                line: d.line,
                column: d.column,
                message: d.message.clone(),
                help: d.help.clone(),
                span: d.span.map(|(a, b)| a..b),
                fix: None,
                section: match d.section.as_deref() {
                    Some("down") => Some("down"),
                    Some("up") => Some("up"),
                    _ => None,
                },
            });
        }
        let lint = MigrationLint {
            diagnostics,
            risk: entry.risk,
        };
        self.new.insert(k, entry);
        Some(lint)
    }

    /// Records a migration analysed in this run.
    pub fn put(&mut self, m: &Migration, lint: &MigrationLint) {
        if self.path.is_none() {
            return;
        }
        self.dirty = true;
        self.new.insert(
            key(m),
            Entry {
                risk: lint.risk,
                diagnostics: lint
                    .diagnostics
                    .iter()
                    .map(|d| CachedDiagnostic {
                        rule: d.rule.to_string(),
                        severity: d.severity,
                        path: d.path.clone(),
                        line: d.line,
                        column: d.column,
                        message: d.message.clone(),
                        help: d.help.clone(),
                        span: d.span.as_ref().map(|r| (r.start, r.end)),
                        section: d.section.map(str::to_string),
                    })
                    .collect(),
            },
        );
    }

    /// Writes the cache when it changed, keeping only the migrations of this
    /// run.
    pub fn save(self) {
        let Some(path) = self.path else { return };
        if !self.dirty && self.old.is_empty() {
            return;
        }
        let file = File {
            format: FORMAT,
            fingerprint: self.fingerprint,
            entries: self.new,
        };
        if let Ok(json) = serde_json::to_vec(&file) {
            sluice_core::cache::write_cache_file(&path, &json);
        }
    }
}
