//! The analysis cache: each migration's findings and computed risk, keyed by
//! its checksum and path, for one build of sluice and one policy; and,
//! beside it, each migration's effects on the history model.
//!
//! A migration is judged against the history before it, so its findings
//! hold only while that history is the same: each entry records the hash of
//! the migrations before it (`before`), and its findings count only when
//! that hash still matches. Its effects on the model depend on its own text
//! alone (and the dialect and layout), not on the policy: they live in
//! `effects.json`, read only when a migration has to be judged again (a
//! warm run that judges nothing does not read it).
//!
//! Migrations are immutable once merged, so a repeat `check` parses only new or
//! changed files (and, after an edit, the ones after it). The cache lives in
//! `<root>/.sluice/cache/check.json` and is
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
use sluice_lint::history::{Effects, UnindexedForeignKey};
use sluice_lint::{Diagnostic, MigrationLint, Policy, Severity};
use std::collections::HashMap;
use std::path::PathBuf;

const FORMAT: u32 = 3;

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
    /// The hash of the history before the migration when it was judged.
    before: String,
    risk: RiskLevel,
    diagnostics: Vec<CachedDiagnostic>,
    unindexed: Vec<UnindexedForeignKey>,
}

/// What the cache holds for a migration.
pub enum Cached {
    /// Its findings, judged against the same history (its `effects` left
    /// empty: see [`LintCache::effects`]).
    Lint(MigrationLint),
    /// Findings judged against another history: to judge again.
    Stale,
    /// Nothing.
    Miss,
}

/// `effects.json`: each migration's effects on the history model.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EffectsFile {
    format: u32,
    /// The build of sluice, the dialect and the layout.
    fingerprint: String,
    effects: HashMap<String, Effects>,
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
    /// `check.json` was written with another policy: its findings are not
    /// used, and the file is left alone (`effects.json` is shared).
    foreign: bool,
    fingerprint: String,
    old: HashMap<String, Entry>,
    new: HashMap<String, Entry>,
    dirty: bool,
    effects_path: Option<PathBuf>,
    effects_fingerprint: String,
    /// `effects.json`, once read.
    effects_old: Option<HashMap<String, Effects>>,
    effects_new: HashMap<String, Effects>,
    /// The migrations of this run (what a pruning save keeps).
    seen: Vec<String>,
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
    /// `--no-cache`). The `owner` (`check`) replaces a cache written with
    /// another policy; any other command leaves it alone.
    pub fn load(project: &Project, policy: &Policy<'_>, owner: bool) -> LintCache {
        let config = format!(
            "{:?}|{:?}|{:?}|{}|{}",
            project.config.layout,
            policy.dialect,
            policy.policy,
            policy.lock_timeout_everywhere,
            policy.statement_timeout_everywhere,
        ) + &format!(
            "|{:?}|{:?}",
            policy.risk_overrides,
            policy
                .domains
                .iter()
                .map(|d| (
                    &d.name,
                    &d.header,
                    &d.objects,
                    d.reference.as_ref().map(|r| r.as_str())
                ))
                .collect::<Vec<_>>()
        );
        let path = project.cache_dir().map(|d| d.join("check.json"));
        let fingerprint = format!(
            "{}|{}",
            tool_fingerprint(),
            sluice_core::Checksum::of(config.as_bytes()).to_hex()
        );
        let file = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<File>(&b).ok())
            .filter(|f| f.format == FORMAT);
        // A run with another policy (`plan` for one environment) neither
        // uses nor replaces the entries of `check`'s policy.
        let foreign = !owner && file.as_ref().is_some_and(|f| f.fingerprint != fingerprint);
        let old = file
            .filter(|f| f.fingerprint == fingerprint)
            .map(|f| f.entries)
            .unwrap_or_default();
        LintCache {
            effects_path: path.as_ref().map(|p| p.with_file_name("effects.json")),
            effects_fingerprint: format!(
                "{}|{:?}|{:?}",
                tool_fingerprint(),
                project.config.layout,
                policy.dialect
            ),
            effects_old: None,
            effects_new: HashMap::new(),
            seen: Vec::new(),
            path,
            foreign,
            fingerprint,
            old,
            new: HashMap::new(),
            dirty: false,
        }
    }

    /// The effects of a migration on the history model, when the cache has
    /// them (reads `effects.json` the first time).
    pub fn effects(&mut self, m: &Migration) -> Option<Effects> {
        self.effects_path.as_ref()?;
        let k = key(m);
        if let Some(e) = self.effects_new.get(&k) {
            return Some(e.clone());
        }
        if self.effects_old.is_none() {
            let fp = &self.effects_fingerprint;
            self.effects_old = Some(
                self.effects_path
                    .as_ref()
                    .and_then(|p| std::fs::read(p).ok())
                    .and_then(|b| serde_json::from_slice::<EffectsFile>(&b).ok())
                    .filter(|f| f.format == FORMAT && &f.fingerprint == fp)
                    .map(|f| f.effects)
                    .unwrap_or_default(),
            );
        }
        let e = self.effects_old.as_mut()?.remove(&k)?;
        self.effects_new.insert(k, e.clone());
        Some(e)
    }

    /// What the cache holds for a migration, judged after the history whose
    /// hash is `before`, with this build and policy.
    pub fn get(&mut self, m: &Migration, before: &str) -> Cached {
        if self.path.is_none() {
            return Cached::Miss;
        }
        let k = key(m);
        self.seen.push(k.clone());
        if self.foreign {
            return Cached::Stale;
        }
        let Some(entry) = self.old.remove(&k) else {
            return Cached::Miss;
        };
        if entry.before != before {
            // Kept until this run judges it again.
            self.old.insert(k, entry);
            return Cached::Stale;
        }
        let mut diagnostics = Vec::with_capacity(entry.diagnostics.len());
        for d in &entry.diagnostics {
            // A rule id this build does not know: analyse again.
            let Some(rule) = sluice_lint::registry::lookup(&d.rule).map(|r| r.id) else {
                return Cached::Miss;
            };
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
            effects: Effects::default(),
            unindexed: entry.unindexed.clone(),
        };
        self.new.insert(k, entry);
        Cached::Lint(lint)
    }

    /// Records a migration analysed in this run, after the history whose
    /// hash is `before`, with its effects on the model.
    pub fn put(
        &mut self,
        m: &Migration,
        before: &str,
        lint: &MigrationLint,
        effects: Option<&Effects>,
    ) {
        if self.path.is_none() {
            return;
        }
        if let Some(e) = effects {
            self.effects_new.insert(key(m), e.clone());
        }
        if self.foreign {
            return;
        }
        self.dirty = true;
        self.old.remove(&key(m));
        self.new.insert(
            key(m),
            Entry {
                before: before.to_string(),
                unindexed: lint.unindexed.clone(),
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

    /// Writes the cache when it changed. With `prune`, only the migrations
    /// of this run are kept (a run over the whole catalog); without, the
    /// entries this run did not look at are kept too.
    pub fn save(mut self, prune: bool) {
        self.save_effects(prune);
        let Some(path) = self.path.filter(|_| !self.foreign) else {
            return;
        };
        if !self.dirty && (self.old.is_empty() || !prune) {
            return;
        }
        let mut entries = self.new;
        if !prune {
            for (k, e) in self.old {
                entries.entry(k).or_insert(e);
            }
        }
        let file = File {
            format: FORMAT,
            fingerprint: self.fingerprint,
            entries,
        };
        if let Ok(json) = serde_json::to_vec(&file) {
            sluice_core::cache::write_cache_file(&path, &json);
        }
    }

    /// Writes `effects.json` when this run computed effects it did not have.
    fn save_effects(&mut self, prune: bool) {
        let Some(path) = self.effects_path.clone() else {
            return;
        };
        let known = |k: &String| self.effects_old.as_ref().is_some_and(|o| o.contains_key(k));
        let added = self.effects_new.keys().any(|k| !known(k));
        if !added {
            return;
        }
        if self.effects_old.is_none() {
            // Read it, to keep what this run did not look at.
            let fp = self.effects_fingerprint.clone();
            self.effects_old = Some(
                std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<EffectsFile>(&b).ok())
                    .filter(|f| f.format == FORMAT && f.fingerprint == fp)
                    .map(|f| f.effects)
                    .unwrap_or_default(),
            );
        }
        let mut effects = std::mem::take(&mut self.effects_new);
        let old = self.effects_old.take().unwrap_or_default();
        if prune {
            let seen: std::collections::HashSet<&String> = self.seen.iter().collect();
            for (k, e) in old {
                if seen.contains(&k) {
                    effects.entry(k).or_insert(e);
                }
            }
        } else {
            for (k, e) in old {
                effects.entry(k).or_insert(e);
            }
        }
        let file = EffectsFile {
            format: FORMAT,
            fingerprint: std::mem::take(&mut self.effects_fingerprint),
            effects,
        };
        if let Ok(json) = serde_json::to_vec(&file) {
            sluice_core::cache::write_cache_file(&path, &json);
        }
    }
}
