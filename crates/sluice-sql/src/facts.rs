//! Statement facts: what a statement does, dialect-neutral.
//!
//! Rules reason about these, never about SQL text. One statement yields one
//! [`Facts`] holding one [`Action`] per effect (an `ALTER TABLE` with three
//! subcommands has three actions) and the locks Postgres takes on each relation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A schema-qualified object name, with identifiers folded the way the database
/// folds them (unquoted → lower case in Postgres; quoted kept as written).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectName {
    /// The schema, when the statement names one.
    pub schema: Option<String>,
    /// The object's name.
    pub name: String,
}

impl ObjectName {
    /// An unqualified name.
    pub fn bare(name: impl Into<String>) -> ObjectName {
        ObjectName {
            schema: None,
            name: name.into(),
        }
    }

    /// Whether this names the same object as `other`, treating an unqualified
    /// name as matching any schema (the search path is unknown statically).
    pub fn same_as(&self, other: &ObjectName) -> bool {
        self.name == other.name
            && (self.schema.is_none() || other.schema.is_none() || self.schema == other.schema)
    }

    /// The schema, or `public` when unqualified.
    pub fn schema_or_public(&self) -> &str {
        self.schema.as_deref().unwrap_or("public")
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Postgres table-level lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LockMode {
    /// SELECT.
    AccessShare,
    /// SELECT FOR UPDATE.
    RowShare,
    /// INSERT, UPDATE, DELETE.
    RowExclusive,
    /// VACUUM, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT.
    ShareUpdateExclusive,
    /// CREATE INDEX.
    Share,
    /// CREATE TRIGGER, ADD FOREIGN KEY.
    ShareRowExclusive,
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY.
    Exclusive,
    /// Most ALTER TABLE forms, DROP, TRUNCATE, VACUUM FULL.
    AccessExclusive,
}

impl LockMode {
    /// Postgres's name, as in `pg_locks.mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// Parses Postgres's name (`pg_locks.mode`), such as `ShareLock`.
    pub fn parse(name: &str) -> Option<LockMode> {
        [
            LockMode::AccessShare,
            LockMode::RowShare,
            LockMode::RowExclusive,
            LockMode::ShareUpdateExclusive,
            LockMode::Share,
            LockMode::ShareRowExclusive,
            LockMode::Exclusive,
            LockMode::AccessExclusive,
        ]
        .into_iter()
        .find(|m| m.as_str() == name)
    }

    /// Whether it blocks ordinary writes (SHARE and stronger).
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }
}

/// How a new column's default behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultKind {
    /// No default.
    None,
    /// A constant (or a stable function such as `now()`): no table rewrite.
    Constant,
    /// A volatile expression (`random()`, `gen_random_uuid()`, a user-defined
    /// or unknown function, a serial's or identity's `nextval()`): rewrites
    /// the table.
    Volatile,
    /// A STORED generated expression, computed per row: rewrites the table.
    Generated,
}

/// Kinds of table constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConstraintKind {
    /// PRIMARY KEY.
    PrimaryKey,
    /// UNIQUE.
    Unique,
    /// FOREIGN KEY.
    ForeignKey,
    /// CHECK.
    Check,
    /// EXCLUDE.
    Exclusion,
    /// NOT NULL and others.
    Other,
}

/// A foreign key: referencing columns on a table, and the table referenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: ObjectName,
}

/// One effect of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// CREATE TABLE (also CREATE TABLE AS / SELECT INTO).
    CreateTable {
        /// The table.
        table: ObjectName,
        /// Its columns.
        columns: Vec<String>,
        /// Its foreign keys.
        foreign_keys: Vec<ForeignKey>,
        /// Column lists covered by its primary key and unique constraints.
        indexed: Vec<Vec<String>>,
        /// Partitioned (PARTITION BY) or a partition (PARTITION OF).
        partitioned: bool,
        /// Names given to its constraints and indexes.
        constraint_names: Vec<String>,
        /// Each column's type as written (`int4`, `varchar(255)`,
        /// `timestamp`, `serial`), in column order (empty where unknown).
        column_types: Vec<String>,
        /// `IF NOT EXISTS`: it creates nothing when the table exists.
        if_not_exists: bool,
    },
    /// CREATE INDEX.
    CreateIndex {
        /// The index name, when given.
        index: Option<String>,
        /// The table.
        table: ObjectName,
        /// Leading plain columns (expressions end the list).
        columns: Vec<String>,
        /// CONCURRENTLY.
        concurrent: bool,
        /// UNIQUE.
        unique: bool,
        /// IF NOT EXISTS.
        if_not_exists: bool,
    },
    /// DROP TABLE.
    DropTable {
        /// The table.
        table: ObjectName,
    },
    /// DROP INDEX.
    DropIndex {
        /// The index.
        index: ObjectName,
        /// CONCURRENTLY.
        concurrent: bool,
        /// IF EXISTS.
        if_exists: bool,
    },
    /// DROP SCHEMA.
    DropSchema {
        /// The schema.
        schema: String,
    },
    /// DROP DATABASE.
    DropDatabase {
        /// The database.
        database: String,
    },
    /// DROP of another object kind (type, sequence, view, function, ...).
    DropObject {
        /// `TYPE`, `SEQUENCE`, `VIEW`, ...
        kind: String,
        /// The object.
        object: ObjectName,
    },
    /// DROP POLICY.
    DropPolicy {
        /// The policy.
        policy: String,
        /// Its table.
        table: ObjectName,
    },
    /// TRUNCATE.
    Truncate {
        /// The table.
        table: ObjectName,
    },
    /// DELETE.
    Delete {
        /// The table.
        table: ObjectName,
        /// Whether it has a WHERE clause.
        has_where: bool,
    },
    /// UPDATE.
    Update {
        /// The table.
        table: ObjectName,
        /// Whether it has a WHERE clause.
        has_where: bool,
    },
    /// INSERT / COPY FROM.
    Insert {
        /// The table.
        table: ObjectName,
    },
    /// ALTER TABLE ... ADD COLUMN.
    AddColumn {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
        /// NOT NULL.
        not_null: bool,
        /// Its default.
        default: DefaultKind,
        /// Identity or generated (fills itself).
        generated: bool,
        /// Column-level REFERENCES.
        references: Option<ObjectName>,
        /// Its type as written (`int4`, `varchar(255)`, `serial`), empty
        /// where unknown.
        data_type: String,
        /// When not empty, the default is [`DefaultKind::Volatile`] only
        /// because it calls these functions, which are neither known
        /// built-ins nor known volatile: a user-defined function is
        /// volatile unless its `CREATE FUNCTION` says `IMMUTABLE` or
        /// `STABLE`, which only the migration history can tell.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        default_functions: Vec<String>,
    },
    /// ALTER TABLE ... DROP COLUMN.
    DropColumn {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
    },
    /// ALTER COLUMN ... TYPE.
    AlterColumnType {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
    },
    /// ALTER COLUMN ... DROP NOT NULL.
    DropNotNull {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
    },
    /// ALTER COLUMN ... DROP DEFAULT.
    DropDefault {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
    },
    /// ALTER TYPE ... ADD VALUE.
    AddEnumValue {
        /// The enum type.
        type_name: ObjectName,
        /// The new label.
        value: String,
        /// BEFORE or AFTER an existing label was given.
        positioned: bool,
    },
    /// Renaming an object other than a table or column: an index, a
    /// constraint, a sequence, an enum value, ...
    RenameObject {
        /// `INDEX`, `CONSTRAINT`, `SEQUENCE`, `ENUM VALUE`, ...
        kind: String,
        /// The object's old name (for an enum value: `type.label`).
        object: String,
        /// Its new name.
        new_name: String,
    },
    /// ALTER COLUMN ... SET NOT NULL.
    SetNotNull {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
    },
    /// ADD CONSTRAINT (or ADD PRIMARY KEY ...).
    AddConstraint {
        /// The table.
        table: ObjectName,
        /// The name, when given.
        name: Option<String>,
        /// Its kind.
        kind: ConstraintKind,
        /// NOT VALID.
        not_valid: bool,
        /// USING INDEX (built from an existing index).
        using_index: bool,
        /// Its columns (referencing columns for a foreign key; for a CHECK,
        /// the one column when the check is exactly `col IS NOT NULL`,
        /// which lets Postgres 12+ skip the scan of a later SET NOT NULL).
        columns: Vec<String>,
        /// The referenced table of a foreign key.
        references: Option<ObjectName>,
    },
    /// DROP CONSTRAINT.
    DropConstraint {
        /// The table.
        table: ObjectName,
        /// The constraint.
        name: String,
    },
    /// VALIDATE CONSTRAINT.
    ValidateConstraint {
        /// The table.
        table: ObjectName,
        /// The constraint.
        name: String,
    },
    /// ALTER TABLE ... RENAME TO.
    RenameTable {
        /// The table.
        table: ObjectName,
        /// Its new name.
        new_name: String,
    },
    /// ALTER TABLE ... RENAME COLUMN.
    RenameColumn {
        /// The table.
        table: ObjectName,
        /// The column.
        column: String,
        /// Its new name.
        new_name: String,
    },
    /// ENABLE / DISABLE / FORCE / NO FORCE ROW LEVEL SECURITY.
    RowSecurity {
        /// The table.
        table: ObjectName,
        /// `enable`, `disable`, `force`, `no-force`.
        change: String,
    },
    /// CREATE POLICY.
    CreatePolicy {
        /// The policy.
        policy: String,
        /// Its table.
        table: ObjectName,
    },
    /// ALTER POLICY.
    AlterPolicy {
        /// The policy.
        policy: String,
        /// Its table.
        table: ObjectName,
    },
    /// SET TABLESPACE on a table or index.
    SetTablespace {
        /// The relation.
        relation: ObjectName,
    },
    /// VACUUM (FULL).
    Vacuum {
        /// FULL.
        full: bool,
        /// The tables (empty: all).
        tables: Vec<ObjectName>,
    },
    /// CLUSTER.
    Cluster {
        /// The table (None: all clustered tables).
        table: Option<ObjectName>,
    },
    /// REINDEX.
    Reindex {
        /// CONCURRENTLY.
        concurrent: bool,
        /// What (an index, a table, a schema...).
        target: String,
    },
    /// BEGIN / COMMIT / ROLLBACK / ...
    Transaction {
        /// `BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, ...
        kind: String,
    },
    /// SET (session or local) of a setting.
    Set {
        /// The setting.
        name: String,
    },
    /// Creation of another object (view, function, type, schema, ...).
    CreateObject {
        /// `VIEW`, `MATERIALIZED VIEW`, `FUNCTION`, `TYPE`, ...
        kind: String,
        /// The object.
        object: ObjectName,
        /// The table it is defined on (trigger, policy), if any.
        table: Option<ObjectName>,
        /// For a function: whether it is VOLATILE (the default of `CREATE
        /// FUNCTION`) rather than STABLE or IMMUTABLE.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        volatile: Option<bool>,
    },
    /// Another ALTER TABLE subcommand.
    AlterTableOther {
        /// The table.
        table: ObjectName,
        /// The subcommand, such as `AT_SetStatistics`.
        subcommand: String,
    },
    /// COMMENT ON / GRANT / REVOKE.
    Metadata {
        /// `COMMENT`, `GRANT`, `REVOKE`.
        kind: String,
    },
    /// Anything else (SELECT, DO, ...).
    Other {
        /// The statement's kind.
        kind: String,
    },
}

impl Action {
    /// Whether this is transaction control that opens or ends the surrounding
    /// transaction (BEGIN, COMMIT, END, ROLLBACK, ABORT, ROLLBACK AND CHAIN,
    /// PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED); SAVEPOINT and RELEASE
    /// are not: they nest inside it.
    pub fn is_transaction_control(&self) -> bool {
        matches!(self, Action::Transaction { kind } if matches!(
            kind.as_str(),
            "BEGIN" | "COMMIT" | "ROLLBACK" | "PREPARE TRANSACTION" | "COMMIT PREPARED"
        ))
    }

    /// The one column this action changes, when it is about a column
    /// (added, dropped, retyped, renamed, its nullability or default).
    pub fn column(&self) -> Option<&str> {
        use Action::*;
        match self {
            AddColumn { column, .. }
            | DropColumn { column, .. }
            | AlterColumnType { column, .. }
            | SetNotNull { column, .. }
            | DropNotNull { column, .. }
            | DropDefault { column, .. }
            | RenameColumn { column, .. } => Some(column),
            _ => None,
        }
    }

    /// The table this action changes or reads, when it has one.
    pub fn table(&self) -> Option<&ObjectName> {
        use Action::*;
        match self {
            CreateTable { table, .. }
            | CreateIndex { table, .. }
            | DropTable { table }
            | DropPolicy { table, .. }
            | Truncate { table }
            | Delete { table, .. }
            | Update { table, .. }
            | Insert { table }
            | AddColumn { table, .. }
            | DropColumn { table, .. }
            | AlterColumnType { table, .. }
            | SetNotNull { table, .. }
            | DropNotNull { table, .. }
            | DropDefault { table, .. }
            | AddConstraint { table, .. }
            | DropConstraint { table, .. }
            | ValidateConstraint { table, .. }
            | RenameTable { table, .. }
            | RenameColumn { table, .. }
            | RowSecurity { table, .. }
            | CreatePolicy { table, .. }
            | AlterPolicy { table, .. }
            | AlterTableOther { table, .. } => Some(table),
            SetTablespace { relation } => Some(relation),
            Cluster { table } => table.as_ref(),
            CreateObject { table, .. } => table.as_ref(),
            _ => None,
        }
    }

    /// Whether the action only adds (DESIGN.md's "purely additive": create,
    /// add a column, create an index, create a view or policy, enable RLS,
    /// comment, grant, insert rows).
    pub fn is_additive(&self) -> bool {
        use Action::*;
        match self {
            CreateTable { .. }
            | CreateIndex { .. }
            | CreatePolicy { .. }
            | Insert { .. }
            | Metadata { .. }
            | Set { .. } => true,
            AddColumn {
                not_null,
                default,
                generated,
                ..
            } => !*not_null || *default != DefaultKind::None || *generated,
            CreateObject { .. } | AddEnumValue { .. } => true,
            RowSecurity { change, .. } => change == "enable" || change == "force",
            Other { kind } => matches!(
                kind.as_str(),
                "SELECT" | "DO" | "ALTER TYPE ADD VALUE" | "EXPLAIN" | "SHOW"
            ),
            _ => false,
        }
    }
}

/// Everything known about one statement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The statement's kind, such as `ALTER TABLE`.
    pub kind: String,
    /// Its effects.
    pub actions: Vec<Action>,
    /// Locks it takes, per relation (strongest per relation).
    pub locks: Vec<(ObjectName, LockMode)>,
    /// It cannot run inside a transaction block (CONCURRENTLY, VACUUM, ...).
    pub no_transaction: bool,
    /// MySQL/MariaDB: how the server runs this `ALTER TABLE` or index
    /// change (its online-DDL algorithm and lock level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online_ddl: Option<OnlineDdl>,
}

/// MySQL/MariaDB online-DDL algorithms, cheapest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// Metadata only: no rows are touched.
    Instant,
    /// In place (the table may be rebuilt in the engine), concurrent DML
    /// allowed unless the lock level says otherwise.
    Inplace,
    /// A full copy of the table; writes wait for the whole copy.
    Copy,
}

impl Algorithm {
    /// The clause value (`INSTANT`, `INPLACE`, `COPY`).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Instant => "INSTANT",
            Algorithm::Inplace => "INPLACE",
            Algorithm::Copy => "COPY",
        }
    }
}

/// MySQL/MariaDB online-DDL lock levels (`LOCK=`), weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DdlLock {
    /// Concurrent reads and writes.
    None,
    /// Reads only: writes wait.
    Shared,
    /// Neither reads nor writes.
    Exclusive,
}

impl DdlLock {
    /// The clause value (`NONE`, `SHARED`, `EXCLUSIVE`).
    pub fn as_str(self) -> &'static str {
        match self {
            DdlLock::None => "NONE",
            DdlLock::Shared => "SHARED",
            DdlLock::Exclusive => "EXCLUSIVE",
        }
    }
}

/// How MySQL/MariaDB runs one `ALTER TABLE` (or `CREATE`/`DROP INDEX`) on
/// InnoDB: the cheapest algorithm and lock level every operation of the
/// statement allows, or what its `ALGORITHM=`/`LOCK=` clauses demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineDdl {
    /// The table.
    pub table: ObjectName,
    /// The algorithm the server will use.
    pub algorithm: Algorithm,
    /// The lock level it will hold.
    pub lock: DdlLock,
    /// `ALGORITHM=` written in the statement (INSTANT/INPLACE make the
    /// server refuse rather than fall back to a copy).
    pub algorithm_clause: Option<Algorithm>,
    /// `LOCK=` written in the statement.
    pub lock_clause: Option<DdlLock>,
    /// The operation that decides the algorithm, for messages.
    pub decided_by: String,
}

impl OnlineDdl {
    /// `ALGORITHM=COPY, LOCK=SHARED`, as reports show it.
    pub fn label(&self) -> &'static str {
        online_label(self.algorithm, self.lock)
    }
}

/// `ALGORITHM=COPY, LOCK=SHARED`, as reports show it.
pub fn online_label(algorithm: Algorithm, lock: DdlLock) -> &'static str {
    {
        use Algorithm as A;
        use DdlLock as L;
        match (algorithm, lock) {
            (A::Instant, L::None) => "ALGORITHM=INSTANT, LOCK=NONE",
            (A::Instant, L::Shared) => "ALGORITHM=INSTANT, LOCK=SHARED",
            (A::Instant, L::Exclusive) => "ALGORITHM=INSTANT, LOCK=EXCLUSIVE",
            (A::Inplace, L::None) => "ALGORITHM=INPLACE, LOCK=NONE",
            (A::Inplace, L::Shared) => "ALGORITHM=INPLACE, LOCK=SHARED",
            (A::Inplace, L::Exclusive) => "ALGORITHM=INPLACE, LOCK=EXCLUSIVE",
            (A::Copy, L::None) => "ALGORITHM=COPY, LOCK=NONE",
            (A::Copy, L::Shared) => "ALGORITHM=COPY, LOCK=SHARED",
            (A::Copy, L::Exclusive) => "ALGORITHM=COPY, LOCK=EXCLUSIVE",
        }
    }
}

impl Facts {
    /// Records a lock, keeping the strongest per relation.
    pub fn lock(&mut self, rel: &ObjectName, mode: LockMode) {
        match self.locks.iter_mut().find(|(r, _)| r == rel) {
            Some((_, m)) => *m = (*m).max(mode),
            None => self.locks.push((rel.clone(), mode)),
        }
    }

    /// Adds an action.
    pub fn push(&mut self, a: Action) {
        self.actions.push(a);
    }

    /// Whether the statement changes rows (INSERT, UPDATE, DELETE).
    pub fn changes_rows(&self) -> bool {
        self.actions.iter().any(|a| {
            matches!(
                a,
                Action::Insert { .. } | Action::Update { .. } | Action::Delete { .. }
            )
        })
    }

    /// Whether the statement changes the schema (DDL: on MySQL it commits
    /// itself, and the open transaction with it).
    pub fn changes_schema(&self) -> bool {
        self.actions.iter().any(|a| {
            !matches!(
                a,
                Action::Insert { .. }
                    | Action::Update { .. }
                    | Action::Delete { .. }
                    | Action::Transaction { .. }
                    | Action::Set { .. }
                    | Action::Other { .. }
                    | Action::Metadata { .. }
            )
        })
    }
}
