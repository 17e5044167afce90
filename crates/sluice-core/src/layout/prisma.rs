//! Prisma Migrate's layout, read in place: `<timestamp>_<name>/migration.sql`
//! per migration under `prisma/migrations`, and `migration_lock.toml` beside
//! them (not a migration). Prisma has no down migrations.
//!
//! Prisma sends `migration.sql` as one script: several statements run in one
//! implicit transaction, a lone statement alone, which sluice follows
//! ([`Section::alone_if_single`](crate::migration::Section)).

use super::MigrationLayout;
use crate::catalog::{display_path, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::migration::{Migration, PartFile, Role};
use crate::tree::{Entry, SourceTree};
use crate::version::Version;

/// The Prisma layout.
pub struct Prisma;

/// A migration directory's name: `<digits>_<name>`.
pub const DEFAULT_FILENAME: &str = r"^(?P<version>\d+)_(?P<name>.+)$";

/// The file beside the migrations that is not one.
pub const LOCK_FILE: &str = "migration_lock.toml";

impl MigrationLayout for Prisma {
    fn name(&self) -> &'static str {
        "prisma"
    }

    /// Prisma has no downs: a down is left out.
    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let first = if new.no_transaction {
            "-- sluice:no-transaction\n"
        } else {
            ""
        };
        vec![(
            format!("{}_{}/migration.sql", new.version, new.name),
            new.up_file(first),
        )]
    }

    fn default_filename(&self) -> &'static str {
        DEFAULT_FILENAME
    }

    fn per_directory(&self) -> bool {
        true
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        let mut catalog = Catalog::default();
        for e in entries {
            if !e.is_dir && e.name == LOCK_FILE {
                continue;
            }
            let display = display_path(opts.root, &e.path);
            let parsed = e
                .is_dir
                .then(|| opts.filename.captures(&e.name))
                .flatten()
                .and_then(|c| {
                    let v = Version::parse(c.name("version")?.as_str())?;
                    Some((v, c.name("name").map_or("", |n| n.as_str()).to_string()))
                });
            let Some((version, name)) = parsed else {
                catalog
                    .issues
                    .push(CatalogIssue::filename_contract(opts, display));
                continue;
            };
            let sql = e.path.join("migration.sql");
            let Some(bytes) = tree.read(&sql)? else {
                catalog.issues.push(CatalogIssue::MissingBody {
                    display_path: display,
                    missing: "migration.sql".into(),
                });
                continue;
            };
            catalog.migrations.push(Migration::from_parts(
                version,
                name,
                (e.path.clone(), display),
                vec![PartFile {
                    role: Role::Up,
                    display_path: display_path(opts.root, &sql),
                    path: sql,
                    bytes,
                    no_transaction: false,
                    alone_if_single: true,
                }],
                super::BodyKind::Sql,
            )?);
        }
        catalog.order_by_version();
        Ok(catalog)
    }
}
