//! The catalog joined with a database's history: each migration's state, and the
//! gates that depend only on that join (dirty-state, applied-modified,
//! applied-missing, out-of-order, duplicate-version).

use serde::Serialize;
use sluice_core::{Catalog, Migration, Version};
use sluice_db::{HistoryRow, Status};
use sluice_lint::Diagnostic;
use std::collections::BTreeMap;

/// A migration's state on one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Applied and the file still matches.
    Applied,
    /// Recorded as applied by adopt.
    Adopted,
    /// Recorded as applied by a baseline.
    Baseline,
    /// Not applied yet.
    Pending,
    /// The last attempt failed and was rolled back; it will run again.
    Failed,
    /// Applied, but the file changed since.
    Modified,
    /// Applied, but the file is gone.
    Missing,
    /// Stopped part-way; needs `resolve`.
    Dirty,
}

impl State {
    /// Whether this state is fine for `status --exit-code`.
    pub fn is_clean(self) -> bool {
        matches!(self, State::Applied | State::Adopted | State::Baseline)
    }
}

/// One row of the join.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The version.
    pub version: Version,
    /// The file, when there is one.
    pub migration: Option<&'a Migration>,
    /// The history row, when there is one.
    pub history: Option<&'a HistoryRow>,
    /// The state.
    pub state: State,
}

impl Entry<'_> {
    /// The migration's name (from the file, else from history).
    pub fn name(&self) -> &str {
        self.migration
            .map(|m| m.name.as_str())
            .or(self.history.map(|h| h.name.as_str()))
            .unwrap_or("")
    }

    /// Whether it is waiting to run.
    pub fn is_pending(&self) -> bool {
        matches!(self.state, State::Pending | State::Failed)
    }
}

/// Joins catalog and history, ordered by version.
pub fn join<'a>(catalog: &'a Catalog, history: &'a [HistoryRow]) -> Vec<Entry<'a>> {
    let mut by_version: BTreeMap<Version, (Option<&Migration>, Option<&HistoryRow>)> =
        BTreeMap::new();
    for m in &catalog.migrations {
        by_version
            .entry(m.version.clone())
            .or_default()
            .0
            .get_or_insert(m);
    }
    for h in history {
        // A version that is not a number names a repeatable (`R__views`).
        let v = Version::parse(&h.version).unwrap_or_else(|| Version::revision(&h.version));
        by_version.entry(v).or_default().1 = Some(h);
    }
    by_version
        .into_iter()
        .map(|(version, (migration, history))| {
            let state = match (migration, history) {
                (_, Some(h)) if h.status == Status::Dirty => State::Dirty,
                (Some(_), Some(h)) if h.status == Status::Failed => State::Failed,
                (None, Some(h)) if h.status == Status::Failed => State::Pending,
                (None, Some(_)) => State::Missing,
                // A repeatable whose file changed runs again.
                (Some(m), Some(h)) if m.checksum.to_hex() != h.checksum && m.repeatable => {
                    State::Pending
                }
                (Some(m), Some(h)) if m.checksum.to_hex() != h.checksum => State::Modified,
                (Some(_), Some(h)) => match h.status {
                    Status::Adopted => State::Adopted,
                    Status::Baseline => State::Baseline,
                    _ => State::Applied,
                },
                (Some(_), None) => State::Pending,
                (None, None) => unreachable!("every key came from one side"),
            };
            Entry {
                version,
                migration,
                history,
                state,
            }
        })
        .filter(|e| !(e.migration.is_none() && e.state == State::Pending))
        .collect()
}

/// Where a gate finding points: the file when there is one.
fn location(project_dir: &str, e: &Entry<'_>) -> String {
    e.migration
        .map(|m| m.display_path.clone())
        .unwrap_or_else(|| format!("{project_dir}/{}_{}.sql", e.version, e.name()))
}

/// The gates that refuse `apply` given this join. `allow_out_of_order` lifts the
/// ordering gate; `env` names the environment in the advice.
pub fn apply_gates(
    catalog: &Catalog,
    entries: &[Entry<'_>],
    migrations_dir: &str,
    env: &str,
    allow_out_of_order: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for issue in &catalog.issues {
        if let sluice_core::CatalogIssue::DuplicateVersion {
            version,
            display_paths,
        } = issue
        {
            out.push(Diagnostic::new(
                sluice_lint::RuleId::DuplicateVersion,
                &display_paths[1],
                1,
                1,
                format!(
                    "version {version} is used by {}; the order between them is undefined",
                    display_paths.join(", ")
                ),
                "give one of them a new version, then run `sluice hash`",
            ));
        }
    }
    // Repeatables (revision-keyed, after every versioned one) do not order
    // the versioned migrations.
    let newest_applied = entries
        .iter()
        .filter(|e| e.history.is_some() && !e.is_pending() && !e.version.is_revision())
        .map(|e| &e.version)
        .max();
    for e in entries {
        if let Some(d) = entry_gate(e, migrations_dir, env) {
            out.push(d);
            continue;
        }
        let path = location(migrations_dir, e);
        match e.state {
            State::Pending | State::Failed
                if !allow_out_of_order && !e.migration.is_some_and(|m| m.repeatable) =>
            {
                if let Some(newest) = newest_applied {
                    if e.version < *newest {
                        out.push(Diagnostic::new(
                            sluice_lint::RuleId::OutOfOrder,
                            path,
                            1,
                            1,
                            format!(
                                "pending migration {} is older than {}, which is already applied",
                                e.version, newest
                            ),
                            format!(
                                "re-version it to run after {newest} (recreate it with `sluice new` and run `sluice hash`), or set [migrations] allow_out_of_order = true"
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The gate a single migration's own state triggers, if any: `dirty-state`,
/// `applied-modified` or `applied-missing`. `apply` checks every migration;
/// `down` checks the dirty ones and those it would reverse.
pub fn entry_gate(e: &Entry<'_>, migrations_dir: &str, env: &str) -> Option<Diagnostic> {
    let path = location(migrations_dir, e);
    match e.state {
        State::Dirty => {
            let h = e.history.expect("dirty comes from history");
            Some(Diagnostic::new(
                sluice_lint::RuleId::DirtyState,
                path,
                1,
                1,
                format!(
                    "migration {} is dirty at statement {} of {}{}: it stopped part-way, so some of it may have run",
                    e.version,
                    h.statements_applied + 1,
                    h.statements_total,
                    h.error.as_deref().map(|m| format!(" ({m})")).unwrap_or_default()
                ),
                format!(
                    "inspect the database, then run `sluice resolve {} --env {env} --applied|--rolled-back --reason \"...\"`; nothing runs against this database until then",
                    e.version
                ),
            ))
        }
        State::Modified => {
            let h = e.history.expect("modified comes from history");
            Some(Diagnostic::new(
                sluice_lint::RuleId::AppliedModified,
                path,
                1,
                1,
                format!(
                    "migration {} was applied on {} with checksum {} but the file now has checksum {}",
                    e.version,
                    h.applied_at,
                    &h.checksum[..h.checksum.len().min(12)],
                    &e.migration.expect("modified has a file").checksum.to_hex()[..12]
                ),
                "applied migrations are immutable: restore the file as it was applied and put the change in a new migration",
            ))
        }
        State::Missing => Some(Diagnostic::new(
            sluice_lint::RuleId::AppliedMissing,
            path,
            1,
            1,
            format!(
                "migration {} ({}) is applied on this database but its file is not in the migrations directory",
                e.version,
                e.name()
            ),
            "restore the file from version control (or check that you are on the right branch and --env)",
        )),
        _ => None,
    }
}
