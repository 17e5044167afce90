//! Migration layouts: how a source tree holds migrations. Each layout is one
//! module implementing [`MigrationLayout`]; [`crate::config::Layout`] names
//! them in `[migrations] layout` and [`crate::config::Layout::imp`] is the one
//! place that maps a name to its implementation. Adding a layout is a new
//! module here plus one line there.

pub mod alembic;
pub mod diesel;
pub mod files;
pub mod flyway;
pub mod marked;
pub mod paired;
pub mod prisma;
pub mod sluice;

use crate::catalog::{Catalog, CatalogOptions};
use crate::error::CoreError;
use crate::tree::{Entry, SourceTree};

/// What a migration's body is, so analysis knows how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// SQL in the project's dialect, split into statements.
    Sql,
    /// An Alembic revision: Python whose `op.*` calls are read as SQL.
    AlembicOps,
    /// A body sluice does not read (a script another program runs): the
    /// contract, the ledger, immutability and `guard` apply to it; analysis
    /// finds no statements in it, and the layout's
    /// [`MigrationLayout::external_runner`] says who runs it.
    Opaque,
}

/// A migration layout.
pub trait MigrationLayout: Send + Sync {
    /// Its name in `[migrations] layout`.
    fn name(&self) -> &'static str;

    /// The filename contract when `[migrations] filename` is not set.
    fn default_filename(&self) -> &'static str;

    /// Reads the entries of the migrations directory (files and directories,
    /// sorted by name, dot files and ignored paths left out), reading what it
    /// needs through `tree` (the working directory or a git commit), into a
    /// catalog in apply order; contract problems go to [`Catalog::issues`].
    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError>;

    /// The version and name a migration's file (or directory) name gives by
    /// the filename contract `filename`; None when it does not match.
    fn version_of(&self, filename: &regex::Regex, name: &str) -> Option<(crate::Version, String)> {
        crate::catalog::split_file_name(filename, name)
    }

    /// When a migration is several files side by side, the name of the one a
    /// file belongs to (`1_x.up.sql` and `1_x.down.sql` → `1_x`); None when
    /// each file is its own migration (or a migration is a directory).
    fn unit_name(&self, _file_name: &str) -> Option<String> {
        None
    }

    /// Whether a migration is a directory (diesel, prisma) rather than one or
    /// two files: `guard` then judges a change to any file inside it as a
    /// change to that migration.
    fn per_directory(&self) -> bool {
        false
    }

    /// When another program applies this layout's migrations, whose job it
    /// is, as "applying stays …" ends (None: sluice runs them).
    fn external_runner(&self) -> Option<&'static str> {
        None
    }

    /// When `sluice new` cannot write a migration in this layout, what to do
    /// instead for a migration called `name` (None: it can).
    fn authoring_refusal(&self, _name: &str) -> Option<String> {
        None
    }

    /// The files of a new migration (`sluice new`, `adopt`'s retroactive
    /// one) in this layout's own shape: each a path relative to the
    /// migrations directory and its text. Layouts that sluice does not write
    /// say so in [`MigrationLayout::authoring_refusal`].
    fn author(&self, new: &NewMigration) -> Vec<(String, String)> {
        let mut text = new.header.clone();
        if new.no_transaction {
            text.push_str("-- sluice:no-transaction\n");
        }
        text.push('\n');
        text.push_str(&new.up);
        if let Some(down) = &new.down {
            text.push_str("\n-- sluice:down\n");
            text.push_str(down);
        }
        vec![(format!("{}_{}.sql", new.version, new.name), text)]
    }
}

/// A migration sluice writes: its version and name, sluice's header (SQL
/// comment lines), and its SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMigration {
    /// Its version (digits).
    pub version: String,
    /// Its name (`add_users`).
    pub name: String,
    /// `-- KEY: value` lines, each ending in a newline.
    pub header: String,
    /// The forward SQL.
    pub up: String,
    /// The reverse SQL, when there is one.
    pub down: Option<String>,
    /// It must run outside a transaction.
    pub no_transaction: bool,
}

impl NewMigration {
    /// The header, then the `up` SQL (after a blank line).
    fn up_file(&self, first: &str) -> String {
        format!("{first}{}\n{}", self.header, self.up)
    }
}
