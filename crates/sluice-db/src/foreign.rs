//! Other tools' history tables, read (never written) for `sluice baseline
//! --from TOOL`: which migrations the tool applied, which it left failed or
//! dirty, and the checksum it recorded where it records one.
//!
//! Each table is read with a plain `SELECT` through [`Executor::query_rows`]
//! (booleans arrive as `t`/`f` or `1`/`0`, binary as `\x<hex>`), in exactly
//! the shape the tool creates it; a table of another shape is an error naming
//! it and the columns expected.

use crate::{DbError, Executor};

/// A tool whose history sluice can take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// golang-migrate: `schema_migrations (version bigint, dirty boolean)`,
    /// one row (everything up to `version` is applied).
    GolangMigrate,
    /// dbmate: `schema_migrations (version varchar(128))`, a row per version.
    Dbmate,
    /// sqlx: `_sqlx_migrations (version, description, installed_on, success,
    /// checksum bytea (SHA-384 of the file), execution_time)`.
    Sqlx,
    /// goose: `goose_db_version (id, version_id, is_applied, tstamp)`, the
    /// latest row per version deciding.
    Goose,
    /// diesel: `__diesel_schema_migrations (version varchar(50), run_on)`.
    Diesel,
    /// Prisma: `_prisma_migrations (id, checksum (SHA-256 of migration.sql),
    /// finished_at, migration_name, logs, rolled_back_at, started_at,
    /// applied_steps_count)`.
    Prisma,
    /// Flyway: `flyway_schema_history (installed_rank, version, description,
    /// type, script, checksum (CRC32 of the script's lines), installed_by,
    /// installed_on, execution_time, success)`.
    Flyway,
    /// refinery (Flyway-style `V<n>__<name>.sql` files):
    /// `refinery_schema_history (version int4, name, applied_on, checksum)`,
    /// a row per applied version (its SipHash checksum is not compared).
    Refinery,
    /// Alembic: `alembic_version (version_num varchar(32) PRIMARY KEY)`, a
    /// row per head; each head and every revision it descends from are
    /// applied.
    Alembic,
}

impl Tool {
    /// Every tool, for messages.
    pub const ALL: [Tool; 9] = [
        Tool::GolangMigrate,
        Tool::Dbmate,
        Tool::Sqlx,
        Tool::Goose,
        Tool::Diesel,
        Tool::Prisma,
        Tool::Flyway,
        Tool::Refinery,
        Tool::Alembic,
    ];

    /// Its name on the command line (the layout's name).
    pub fn name(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Sqlx => "sqlx",
            Tool::Goose => "goose",
            Tool::Diesel => "diesel",
            Tool::Prisma => "prisma",
            Tool::Flyway => "flyway",
            Tool::Refinery => "refinery",
            Tool::Alembic => "alembic",
        }
    }

    /// The tool named `s`.
    pub fn parse(s: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Its history table.
    pub fn table(self) -> &'static str {
        match self {
            Tool::GolangMigrate | Tool::Dbmate => "schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Goose => "goose_db_version",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Prisma => "_prisma_migrations",
            Tool::Flyway => "flyway_schema_history",
            Tool::Refinery => "refinery_schema_history",
            Tool::Alembic => "alembic_version",
        }
    }

    /// Whether the tool runs one migration in a transaction that DDL takes
    /// part in on `backend`, so a failed one leaves nothing (Alembic: on
    /// Postgres; on SQLite and MySQL it assumes non-transactional DDL).
    pub fn rolls_back_on(self, backend: crate::Backend) -> bool {
        matches!(self, Tool::Alembic) && backend == crate::Backend::Postgres
    }

    /// How to settle a failed or dirty record in the tool's own terms.
    pub fn dirty_hint(self) -> &'static str {
        match self {
            Tool::GolangMigrate => "golang-migrate marked it dirty: check what ran, then `sluice resolve VERSION --applied|--rolled-back --reason ...`",
            Tool::Sqlx => "sqlx recorded it with success = false: check what ran, then `sluice resolve VERSION --applied|--rolled-back --reason ...`",
            Tool::Prisma => "Prisma never finished it (finished_at is NULL): check what ran, then `sluice resolve VERSION --applied|--rolled-back --reason ...`",
            Tool::Flyway => "Flyway recorded it with success = false: check what ran, then `sluice resolve VERSION --applied|--rolled-back --reason ...`",
            _ => "check what ran, then `sluice resolve VERSION --applied|--rolled-back --reason ...`",
        }
    }
}

/// What the tool recorded about one migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The migration as the tool names it: a version (`20240101000000`), or
    /// for Prisma the directory name (`20240101000000_init`).
    pub key: String,
    /// Applied (false: failed, dirty or never finished).
    pub applied: bool,
    /// The checksum the tool recorded (lowercase hex; Flyway's as a signed
    /// decimal), where it records one.
    pub checksum: Option<String>,
    /// Every migration up to this one counts as applied (Flyway's BASELINE).
    pub through: bool,
}

/// A tool's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// golang-migrate: every migration up to `version` is applied; `version`
    /// itself is dirty when `dirty`.
    UpTo {
        /// The last version run.
        version: String,
        /// Whether it stopped part-way.
        dirty: bool,
    },
    /// One record per migration.
    Records(Vec<Record>),
    /// Alembic: the heads; each and its ancestors are applied.
    Heads(Vec<String>),
}

fn truthy(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("t" | "true" | "1" | "TRUE"))
}

fn hex(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(|s| s.strip_prefix("\\x").unwrap_or(s).to_ascii_lowercase())
}

/// Reads `tool`'s history table; Ok(None) when the table does not exist.
pub fn read(tool: Tool, ex: &mut dyn Executor) -> Result<Option<History>, DbError> {
    let (sql, columns) = match tool {
        Tool::GolangMigrate => ("SELECT version, dirty FROM schema_migrations", "version, dirty"),
        Tool::Dbmate => ("SELECT version FROM schema_migrations", "version"),
        Tool::Sqlx => (
            "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version",
            "version, success, checksum",
        ),
        Tool::Goose => (
            "SELECT version_id, is_applied FROM goose_db_version ORDER BY id",
            "version_id, is_applied",
        ),
        Tool::Diesel => ("SELECT version FROM __diesel_schema_migrations", "version"),
        Tool::Refinery => (
            "SELECT version FROM refinery_schema_history ORDER BY version",
            "version, name, applied_on, checksum",
        ),
        Tool::Prisma => (
            "SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at, migration_name",
            "migration_name, checksum, finished_at, rolled_back_at",
        ),
        Tool::Flyway => (
            "SELECT version, type, checksum, success, description FROM flyway_schema_history ORDER BY installed_rank",
            "version, type, checksum, success, description",
        ),
        Tool::Alembic => (
            "SELECT version_num FROM alembic_version ORDER BY version_num",
            "version_num",
        ),
    };
    let rows = match ex.query_rows(sql) {
        Ok(r) => r,
        Err(e) => {
            if ex.classify(&e) == crate::ErrorKind::UndefinedTable {
                return Ok(None);
            }
            return Err(DbError::msg(format!(
                "{}'s table {} could not be read as {} creates it (columns {columns}): {}",
                tool.name(),
                tool.table(),
                tool.name(),
                e.message
            )));
        }
    };
    let get = |r: &Vec<Option<String>>, i: usize| r.get(i).cloned().flatten();
    Ok(Some(match tool {
        Tool::GolangMigrate => match rows.first() {
            None => History::Records(vec![]),
            Some(r) => History::UpTo {
                version: get(r, 0).unwrap_or_default(),
                dirty: truthy(&get(r, 1)),
            },
        },
        Tool::Dbmate | Tool::Diesel | Tool::Refinery => History::Records(
            rows.iter()
                .map(|r| Record {
                    key: get(r, 0).unwrap_or_default(),
                    applied: true,
                    checksum: None,
                    through: false,
                })
                .collect(),
        ),
        Tool::Sqlx => History::Records(
            rows.iter()
                .map(|r| Record {
                    key: get(r, 0).unwrap_or_default(),
                    applied: truthy(&get(r, 1)),
                    checksum: hex(&get(r, 2)),
                    through: false,
                })
                .collect(),
        ),
        Tool::Goose => History::Records(goose(&rows)),
        Tool::Alembic => History::Heads(rows.iter().filter_map(|r| get(r, 0)).collect()),
        Tool::Flyway => History::Records(flyway(&rows)),
        Tool::Prisma => History::Records(
            rows.iter()
                .filter(|r| get(r, 3).is_none()) // rolled back: as if never run
                .map(|r| Record {
                    key: get(r, 0).unwrap_or_default(),
                    applied: get(r, 2).is_some(),
                    checksum: get(r, 1).map(|c| c.to_ascii_lowercase()),
                    through: false,
                })
                .collect(),
        ),
    }))
}

/// The statements that record `revision` in `alembic_version` in place of
/// its parents (what `alembic stamp` would write after it), for a revision
/// sluice records as already live (`adopt`).
pub fn alembic_stamp_sql(parents: &[String], revision: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !parents.is_empty() {
        out.push(format!(
            "DELETE FROM alembic_version WHERE version_num IN ({})",
            parents
                .iter()
                .map(|p| crate::quote_literal(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push(format!(
        "INSERT INTO alembic_version (version_num) VALUES ({})",
        crate::quote_literal(revision)
    ));
    out
}

type Rows = [Vec<Option<String>>];

fn cell(r: &[Option<String>], i: usize) -> Option<String> {
    r.get(i).cloned().flatten()
}

/// goose: the latest row per version decides; version 0 is goose's own.
fn goose(rows: &Rows) -> Vec<Record> {
    let get = |r: &Vec<Option<String>>, i: usize| cell(r, i);
    let mut latest: Vec<(String, bool)> = Vec::new();
    for r in rows {
        let v = get(r, 0).unwrap_or_default();
        if v == "0" {
            continue;
        }
        let applied = truthy(&get(r, 1));
        latest.retain(|(k, _)| *k != v);
        latest.push((v, applied));
    }
    latest
        .into_iter()
        .filter(|(_, applied)| *applied)
        .map(|(key, _)| Record {
            key,
            applied: true,
            checksum: None,
            through: false,
        })
        .collect()
}

/// Flyway, in installed order: a run adds a version, an undo removes it.
fn flyway(rows: &Rows) -> Vec<Record> {
    let get = |r: &Vec<Option<String>>, i: usize| cell(r, i);
    let mut out: Vec<Record> = Vec::new();
    for r in rows {
        // A repeatable has no version: it is `R__<description>`.
        let version = get(r, 0).unwrap_or_else(|| format!("R__{}", get(r, 4).unwrap_or_default()));
        let kind = get(r, 1).unwrap_or_default();
        let success = truthy(&get(r, 3));
        out.retain(|x| x.key != version);
        if kind.starts_with("UNDO") || kind == "DELETE" {
            continue;
        }
        out.push(Record {
            key: version,
            applied: success,
            checksum: (kind == "SQL").then(|| get(r, 2)).flatten(),
            through: kind == "BASELINE",
        });
    }
    out
}
