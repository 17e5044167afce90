//! The schema model: one dialect-neutral description of a database's schema,
//! serialisable to a stable, diff-friendly JSON snapshot (maps keyed by
//! qualified name, so objects are sorted; columns in their table order).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the snapshot format.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A whole schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schema {
    /// Snapshot format version.
    pub snapshot_version: u32,
    /// `postgres` or `sqlite`.
    pub dialect: String,
    /// Namespaces (Postgres schemas), by name.
    pub schemas: BTreeMap<String, Namespace>,
    /// Extensions, by name.
    pub extensions: BTreeMap<String, Extension>,
    /// Enum types, by `schema.name`.
    pub enums: BTreeMap<String, Enum>,
    /// Domains, by `schema.name`.
    pub domains: BTreeMap<String, Domain>,
    /// Sequences (not those behind identity columns), by `schema.name`.
    pub sequences: BTreeMap<String, Sequence>,
    /// Tables (and partitions), by `schema.name`.
    pub tables: BTreeMap<String, Table>,
    /// Views and materialized views, by `schema.name`.
    pub views: BTreeMap<String, View>,
    /// Functions and procedures, by `schema.name(identity arguments)`.
    pub functions: BTreeMap<String, Function>,
}

/// A namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Namespace {
    /// Its comment.
    pub comment: Option<String>,
}

/// An extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extension {
    /// The schema its objects live in.
    pub schema: String,
    /// Installed version (informational: not compared).
    pub version: String,
}

/// An enum type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Enum {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Labels in sort order.
    pub values: Vec<String>,
}

/// A domain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Domain {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// Base type (`format_type`).
    pub data_type: String,
    /// NOT NULL.
    pub not_null: bool,
    /// Default expression.
    pub default: Option<String>,
    /// CHECK constraints by name: definition.
    pub checks: BTreeMap<String, String>,
}

/// A sequence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sequence {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `bigint`, `integer`, `smallint`.
    pub data_type: String,
    /// START.
    pub start: i64,
    /// INCREMENT.
    pub increment: i64,
    /// MINVALUE.
    pub min: i64,
    /// MAXVALUE.
    pub max: i64,
    /// CYCLE.
    pub cycle: bool,
    /// CACHE.
    pub cache: i64,
    /// OWNED BY `schema.table.column`.
    pub owned_by: Option<String>,
}

/// A column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type (`format_type`, or SQLite's declared type).
    pub data_type: String,
    /// NOT NULL.
    pub not_null: bool,
    /// Default expression.
    pub default: Option<String>,
    /// `always` or `by default` for identity columns.
    pub identity: Option<String>,
    /// Generation expression of a stored generated column.
    pub generated: Option<String>,
    /// Collation, when not the type's default.
    pub collation: Option<String>,
    /// Comment.
    pub comment: Option<String>,
}

/// A table constraint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Constraint {
    /// `primary key`, `unique`, `foreign key`, `check`, `exclusion`.
    pub kind: String,
    /// `pg_get_constraintdef` (ends in `NOT VALID` when not validated).
    pub definition: String,
    /// Validated (false: NOT VALID).
    pub validated: bool,
    /// For a foreign key: the referenced table (`schema.name`).
    pub references: Option<String>,
}

/// An index (not those behind a primary key, unique or exclusion constraint).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Index {
    /// `pg_get_indexdef` (method, columns, expressions, predicate, UNIQUE).
    pub definition: String,
    /// Valid (false: a failed CREATE INDEX CONCURRENTLY left it behind).
    pub valid: bool,
}

/// A trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Trigger {
    /// `pg_get_triggerdef`.
    pub definition: String,
    /// `O` enabled, `D` disabled, `R` replica, `A` always.
    pub enabled: String,
}

/// A row-level security policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE`, `DELETE`.
    pub command: String,
    /// PERMISSIVE (false: RESTRICTIVE).
    pub permissive: bool,
    /// Roles (`public` for all).
    pub roles: Vec<String>,
    /// USING expression.
    pub using: Option<String>,
    /// WITH CHECK expression.
    pub check: Option<String>,
}

/// A table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Table {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `table`, `partitioned table` or `foreign table`.
    pub kind: String,
    /// PARTITION BY (`pg_get_partkeydef`), for a partitioned table.
    pub partition_by: Option<String>,
    /// For a partition: its parent (`schema.name`).
    pub partition_of: Option<String>,
    /// For a partition: its bound (`FOR VALUES ...`).
    pub partition_bound: Option<String>,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Constraints by name.
    pub constraints: BTreeMap<String, Constraint>,
    /// Indexes by name.
    pub indexes: BTreeMap<String, Index>,
    /// Triggers by name.
    pub triggers: BTreeMap<String, Trigger>,
    /// ROW LEVEL SECURITY enabled.
    pub rls_enabled: bool,
    /// ROW LEVEL SECURITY forced.
    pub rls_forced: bool,
    /// Policies by name.
    pub policies: BTreeMap<String, Policy>,
    /// Comment.
    pub comment: Option<String>,
    /// SQLite: the CREATE TABLE statement.
    pub sql: Option<String>,
}

impl Table {
    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A view or materialized view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct View {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// MATERIALIZED.
    pub materialized: bool,
    /// The query (`pg_get_viewdef`).
    pub definition: String,
    /// Relations it reads (`schema.name`), for ordering.
    pub depends_on: Vec<String>,
    /// Indexes on a materialized view, by name.
    pub indexes: BTreeMap<String, Index>,
    /// Comment.
    pub comment: Option<String>,
}

/// A function or procedure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Function {
    /// Schema.
    pub schema: String,
    /// Name.
    pub name: String,
    /// `function` or `procedure`.
    pub kind: String,
    /// Identity arguments (`a integer, b text`).
    pub arguments: String,
    /// `CREATE OR REPLACE ...` (`pg_get_functiondef`).
    pub definition: String,
    /// Comment.
    pub comment: Option<String>,
}

/// `schema.name` key.
pub fn key(schema: &str, name: &str) -> String {
    format!("{schema}.{name}")
}
