//! Introspection: a live database's catalog into the schema model
//! ([`sluice_schema::Schema`]), one implementation per driver
//! ([`crate::postgres::introspect`], [`crate::sqlite::introspect`]) behind
//! [`crate::Database::introspect`].
//!
//! Postgres: a fixed set of catalog queries (one per object kind), whatever
//! the schema's size: no query per table. System schemas, objects that belong
//! to extensions, and sluice's own tables are left out; `include` / `exclude`
//! narrow the schemas. SQLite: three queries over `sqlite_master` and its
//! pragma table functions.

use crate::{Backend, Database, DbError};
use sluice_schema::Schema;

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these schemas (empty: all but the system ones).
    pub include: Vec<String>,
    /// Never these schemas.
    pub exclude: Vec<String>,
    /// Where sluice keeps `sluice_history` / `sluice_audit` (left out).
    pub history_schema: String,
    /// Tables in which the program that runs the migrations keeps its own
    /// record (`alembic_version`), left out like sluice's: they are
    /// bookkeeping, not the schema the migrations build.
    pub tool_tables: Vec<String>,
}

impl Options {
    pub(crate) fn wants(&self, schema: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|s| s == schema))
            && !self.exclude.iter().any(|s| s == schema)
    }

    pub(crate) fn wants_relation(&self, schema: &str, name: &str) -> bool {
        self.wants(schema)
            && !(schema == self.history_schema && name.starts_with("sluice_"))
            && !self.tool_tables.iter().any(|t| t == name)
    }
}

/// The number of catalog queries [`introspect`] sends to Postgres.
pub const POSTGRES_QUERIES: usize = crate::postgres::introspect::QUERIES;

pub(crate) type Row = Vec<Option<String>>;

pub(crate) fn s(r: &Row, i: usize) -> String {
    r.get(i).cloned().flatten().unwrap_or_default()
}

pub(crate) fn o(r: &Row, i: usize) -> Option<String> {
    r.get(i).cloned().flatten()
}

pub(crate) fn b(r: &Row, i: usize) -> bool {
    matches!(
        r.get(i).cloned().flatten().as_deref(),
        Some("t" | "true" | "1")
    )
}

pub(crate) fn n(r: &Row, i: usize) -> i64 {
    s(r, i).parse().unwrap_or(0)
}

/// Reads the schema of a live database (the driver's own introspection).
pub fn introspect(db: &mut dyn Database, opts: &Options) -> Result<Schema, DbError> {
    db.introspect(opts)
}

/// Reads the schema of a live database, spreading the catalog queries over
/// `db` and the `extra` connections to the same database (Postgres; other
/// drivers and an empty `extra` read on `db` alone). Same result as
/// [`introspect`].
pub fn introspect_parallel(
    db: &mut dyn Database,
    extra: &mut [Box<dyn Database>],
    opts: &Options,
) -> Result<Schema, DbError> {
    if db.backend() != Backend::Postgres || extra.is_empty() {
        return introspect(db, opts);
    }
    crate::postgres::introspect::parallel(db, extra, opts)
}
