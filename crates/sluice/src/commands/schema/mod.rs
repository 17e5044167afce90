//! Drift: `snapshot`, `verify`, `diff` and `adopt` (see docs/drift.md).
//!
//! - `snapshot --env E [--out FILE]` writes the live schema as JSON.
//! - `verify --env E [--against FILE]` compares the live schema with the
//!   expected one (the applied migrations replayed on a scratch database, or a
//!   snapshot): exit 0 none, 1 drift (or tables without RLS in
//!   `require_rls_in_schemas`).
//! - `diff --from A --to B` prints the Postgres DDL that turns A into B (each a
//!   database URL or a snapshot file): exit 0 same, 1 differs.
//! - `adopt --env E --name N --incident ID` turns E's drift into a retroactive
//!   migration recorded as `adopted` on E, and appends to EXCEPTIONS.md.

mod adopt;
mod adopt_alembic;
mod diff;
mod snapshot;
mod verify;

pub use adopt::{adopt, AdoptArgs};
pub use diff::{diff, DiffArgs};
pub use snapshot::{snapshot, SnapshotArgs};
pub use verify::{verify, VerifyArgs};

use crate::cli::{Format, Outcome};
use crate::project::Project;
use crate::session::Session;
use crate::state;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::json;
use sluice_core::Migration;
use sluice_schema::{compare, Difference, Schema};
use std::fmt::Write as _;
use std::path::PathBuf;

pub(crate) fn options(project: &Project) -> sluice_db::introspect::Options {
    let s = &project.config.file.schema;
    sluice_db::introspect::Options {
        include: s.include.clone(),
        exclude: s.exclude.clone(),
        history_schema: project.config.file.history.schema.clone(),
        tool_tables: project.tool_tables(),
    }
}

pub(crate) fn live(project: &Project, session: &Session<'_>) -> Result<Schema> {
    // Postgres: two more connections let the server build the heavy parts of a
    // large schema at once. They are opened together with the first (each is a
    // backend start and an authentication); when they cannot be had, fewer are
    // used.
    let postgres =
        sluice_db::backend_of(&session.env.url).ok() == Some(sluice_db::Backend::Postgres);
    let (db, mut extra) = std::thread::scope(|sc| {
        let others: Vec<_> = (0..if postgres { 2 } else { 0 })
            .map(|_| sc.spawn(|| session.connect().ok()))
            .collect();
        let db = session.connect();
        let extra: Vec<_> = others
            .into_iter()
            .filter_map(|h| h.join().expect("connection thread panicked"))
            .collect();
        (db, extra)
    });
    let mut db = db?;
    sluice_db::introspect::introspect_parallel(&mut *db, &mut extra, &options(project))
        .map_err(|e| anyhow!("reading the schema of `{}`: {e}", session.env.name))
}

/// The top-level fields of a snapshot (`sluice snapshot` writes all of them).
pub(super) const SNAPSHOT_FIELDS: [&str; 10] = [
    "snapshot_version",
    "dialect",
    "schemas",
    "extensions",
    "enums",
    "domains",
    "sequences",
    "tables",
    "views",
    "functions",
];

/// Reads a snapshot written by `sluice snapshot`. Anything else (`{}`, an
/// array, a package.json, the ledger, an evidence file) is an error naming the
/// file: it carries its `snapshot_version` and `dialect`, and no field a
/// snapshot does not have.
pub(super) fn read_snapshot(project: &Project, path: &std::path::Path) -> Result<Schema> {
    let full = project.config.root.join(path);
    let shown = sluice_core::redact::redact_text(&project.rel(&full));
    let text =
        std::fs::read_to_string(&full).with_context(|| format!("reading snapshot {shown}"))?;
    let hint = "write one with `sluice snapshot`";
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{shown}:{}:{}: not a sluice schema snapshot: {e}; {hint}",
            e.line(),
            e.column()
        )
    })?;
    let Some(obj) = value.as_object() else {
        bail!("{shown}: not a sluice schema snapshot (a JSON object is expected); {hint}");
    };
    let unknown: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !SNAPSHOT_FIELDS.contains(k))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{shown}: not a sluice schema snapshot: unknown field{} {}; {hint}",
            if unknown.len() == 1 { "" } else { "s" },
            unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let version = obj.get("snapshot_version").and_then(|v| v.as_u64());
    let Some(version) = version.filter(|v| *v >= 1) else {
        bail!("{shown}: not a sluice schema snapshot: it has no `snapshot_version`; {hint}");
    };
    if version > u64::from(sluice_schema::model::SNAPSHOT_VERSION) {
        bail!(
            "{shown} is snapshot format {version}; this sluice reads up to {}: upgrade sluice",
            sluice_schema::model::SNAPSHOT_VERSION
        );
    }
    match obj.get("dialect").and_then(|v| v.as_str()) {
        Some("postgres" | "sqlite" | "mysql") => {}
        Some(d) => {
            bail!("{shown}: snapshot dialect {d:?} is not postgres, sqlite or mysql; {hint}")
        }
        None => bail!("{shown}: not a sluice schema snapshot: it has no `dialect`; {hint}"),
    }
    serde_json::from_value(value)
        .map_err(|e| anyhow!("{shown}: not a sluice schema snapshot: {e}; {hint}"))
}

/// `--from` / `--to`: a URL, else a file.
pub(super) fn side(project: &Project, spec: &str) -> Result<Schema> {
    // A URL or a libpq key=value string, unless a file by that name exists.
    let is_file = project.config.root.join(spec).is_file();
    if !is_file
        && (spec.contains("://")
            || spec.starts_with("sqlite:")
            || sluice_db::is_keyword_value(spec))
    {
        crate::secrets::register_url(spec);
        let mut db = sluice_db::connect(
            spec,
            &sluice_db::ConnectOptions {
                root: &project.config.root,
                history_schema: &project.config.file.history.schema,
            },
        )
        .map_err(|e| {
            anyhow!(
                "{}: {}",
                sluice_core::redact::redact_url(spec),
                crate::secrets::scrub(&e.to_string())
            )
        })?;
        sluice_db::introspect::introspect(&mut *db, &options(project)).map_err(|e| {
            anyhow!(
                "reading the schema of {}: {e}",
                sluice_core::redact::redact_url(spec)
            )
        })
    } else {
        read_snapshot(project, std::path::Path::new(spec))
    }
}

pub(super) fn write_json(path: &std::path::Path, v: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    sluice_core::ledger::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Tables in `require_rls_in_schemas` without row-level security.
pub(super) fn rls_missing(project: &Project, actual: &Schema) -> Vec<String> {
    let required = &project.config.file.policy.require_rls_in_schemas;
    actual
        .tables
        .values()
        .filter(|t| required.contains(&t.schema) && !t.rls_enabled)
        .filter(|t| t.partition_of.is_none())
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect()
}

/// The migrations a database has applied (clean ones, in order), the history
/// gates that make its expected schema unknown, and how many are pending.
/// Ordering is not a concern here (the schema is what was applied, in any
/// order), so `out-of-order` is not raised.
pub(super) fn applied_migrations<'a>(
    catalog: &'a sluice_core::Catalog,
    history: &'a [sluice_db::HistoryRow],
    session: &Session<'_>,
) -> (Vec<&'a Migration>, Vec<sluice_lint::Diagnostic>, usize) {
    let project = session.project;
    let entries = state::join(catalog, history);
    let gates = state::apply_gates(
        catalog,
        &entries,
        &project.rel(&project.config.migrations_dir),
        &session.env.name,
        true,
    );
    let pending = entries.iter().filter(|e| e.is_pending()).count();
    let applied = entries
        .iter()
        .filter(|e| e.state.is_clean())
        .filter_map(|e| e.migration)
        .collect();
    (applied, gates, pending)
}

pub(super) use sluice_report::verify::differences_text;
