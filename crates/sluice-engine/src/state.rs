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

/// `sluice_history`, joined with the record of the tool that runs the
/// migrations where that tool keeps one (a revision graph: Alembic's
/// `alembic_version`). That record decides what is applied: a revision it
/// holds (or descends from) that sluice never recorded counts as applied by
/// the tool, with today's checksum; a revision sluice recorded as applied
/// that it no longer holds (an `alembic downgrade` run by hand) is pending
/// again; a head it holds that no file has is `applied-missing`. Dirty and
/// failed rows stay as sluice recorded them. Without that table, sluice's own
/// record stands.
pub fn load_history(
    db: &mut dyn sluice_db::Database,
    catalog: &Catalog,
) -> Result<Vec<HistoryRow>, sluice_db::DbError> {
    use sluice_db::foreign::{self, History, Tool};
    use sluice_db::HistoryStore as _;
    let mut rows = db.load_history()?;
    if !catalog.revision_graph {
        return Ok(rows);
    }
    let Some(History::Heads(heads)) = foreign::read(Tool::Alembic, db.executor())? else {
        return Ok(rows);
    };
    let applied = catalog.with_ancestors(&heads);
    rows.retain(|r| !r.status.is_applied() || applied.contains(&r.version));
    let known: std::collections::HashSet<String> = rows.iter().map(|r| r.version.clone()).collect();
    let by_tool = |version: &str, name: &str, checksum: String| HistoryRow {
        version: version.to_string(),
        name: name.to_string(),
        checksum,
        status: Status::Applied,
        applied_at: String::new(),
        applied_by: "alembic_version".into(),
        environment: String::new(),
        approvals: "[]".into(),
        statements_total: 0,
        statements_applied: 0,
        execution_ms: None,
        tool_version: String::new(),
        run_id: String::new(),
        error: None,
    };
    for m in &catalog.migrations {
        if applied.contains(m.version.as_str()) && !known.contains(m.version.as_str()) {
            rows.push(by_tool(m.version.as_str(), &m.name, m.checksum.to_hex()));
        }
    }
    for head in heads
        .iter()
        .filter(|h| catalog.find(h).is_none() && !known.contains(*h))
    {
        rows.push(by_tool(head, "", String::new()));
    }
    Ok(rows)
}

/// What `--to VERSION` lets run: versions up to it, or in a revision graph
/// the revision and its ancestors (revision ids have no order).
pub fn up_to<'c>(catalog: &'c Catalog, to: Option<&'c Version>) -> impl Fn(&Version) -> bool + 'c {
    let graph = to
        .filter(|_| catalog.revision_graph)
        .map(|t| catalog.with_ancestors(&[t.as_str().to_string()]));
    move |v: &Version| match (to, &graph) {
        (None, _) => true,
        (Some(_), Some(allowed)) => allowed.contains(v.as_str()),
        (Some(t), None) => v <= t,
    }
}

/// Joins catalog and history, ordered by version (for a revision graph, in
/// the catalog's order, parents first, then history rows without a file).
pub fn join<'a>(catalog: &'a Catalog, history: &'a [HistoryRow]) -> Vec<Entry<'a>> {
    let pairs: Vec<(Version, Option<&Migration>, Option<&HistoryRow>)> = if catalog.revision_graph {
        // Revision ids are matched as written (`0002` is not `2`).
        let mut rows: BTreeMap<&str, &HistoryRow> =
            history.iter().map(|h| (h.version.as_str(), h)).collect();
        let mut out: Vec<_> = catalog
            .migrations
            .iter()
            .map(|m| (m.version.clone(), Some(m), rows.remove(m.version.as_str())))
            .collect();
        out.extend(
            rows.into_values()
                .map(|h| (Version::revision(&h.version), None, Some(h))),
        );
        out
    } else {
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
            .map(|(v, (m, h))| (v, m, h))
            .collect()
    };
    pairs
        .into_iter()
        .map(|(version, migration, history)| Entry {
            state: entry_state(migration, history),
            version,
            migration,
            history,
        })
        .filter(|e| !(e.migration.is_none() && e.state == State::Pending))
        .collect()
}

/// One migration's state from its file and its history row.
fn entry_state(migration: Option<&Migration>, history: Option<&HistoryRow>) -> State {
    match (migration, history) {
        (_, Some(h)) if h.status == Status::Dirty => State::Dirty,
        (Some(_), Some(h)) if h.status == Status::Failed => State::Failed,
        (None, Some(h)) if h.status == Status::Failed => State::Pending,
        (None, Some(_)) => State::Missing,
        // A repeatable whose file changed runs again.
        (Some(m), Some(h)) if m.checksum.to_hex() != h.checksum && m.repeatable => State::Pending,
        (Some(m), Some(h)) if m.checksum.to_hex() != h.checksum => State::Modified,
        (Some(_), Some(h)) => match h.status {
            Status::Adopted => State::Adopted,
            Status::Baseline => State::Baseline,
            _ => State::Applied,
        },
        (Some(_), None) => State::Pending,
        (None, None) => unreachable!("every key came from one side"),
    }
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
    // A graph with several heads or a gap has no order to apply in.
    let mut out = sluice_lint::rules::multiple_heads::findings(catalog);
    // A file that could not be read as UTF-8 is missing from the catalog:
    // running without it would skip a migration.
    out.extend(
        catalog
            .issues
            .iter()
            .filter_map(sluice_lint::rules::file_encoding::finding),
    );
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
