//! Diesel's layout, read in place: a directory per migration,
//! `<version>_<name>/up.sql` and `down.sql`, where the version is
//! `YYYY-MM-DD-HHMMSS` or digits (`00000000000000_diesel_initial_setup`), and
//! `metadata.toml` may say `run_in_transaction = false`.
//!
//! A migration is made of two files ([`Migration::from_parts`]): findings are
//! reported at `up.sql` or `down.sql` and their own lines; the checksum covers
//! both. Diesel runs each file in one transaction unless `metadata.toml` says
//! otherwise, and so does sluice.

use super::MigrationLayout;
use crate::catalog::{display_path, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::migration::{Migration, PartFile, Role};
use crate::tree::{Entry, SourceTree};
use crate::version::Version;

/// The diesel layout.
pub struct Diesel;

/// The default contract for a migration directory's name.
pub const DEFAULT_FILENAME: &str =
    r"^(?P<version>\d{4}-\d{2}-\d{2}-\d{6}|\d+)_(?P<name>[A-Za-z0-9_]+)$";

impl MigrationLayout for Diesel {
    fn name(&self) -> &'static str {
        "diesel"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let dir = format!("{}_{}", new.version, new.name);
        let mut out = vec![(format!("{dir}/up.sql"), new.up_file(""))];
        out.push((
            format!("{dir}/down.sql"),
            new.down
                .clone()
                .unwrap_or_else(|| "-- This migration is forward only.\n".into()),
        ));
        if new.no_transaction {
            out.push((
                format!("{dir}/metadata.toml"),
                "run_in_transaction = false\n".into(),
            ));
        }
        out
    }

    fn default_filename(&self) -> &'static str {
        DEFAULT_FILENAME
    }

    fn per_directory(&self) -> bool {
        true
    }

    /// `2024-01-02-030405_create_users` is version `20240102030405`.
    fn version_of(&self, filename: &regex::Regex, name: &str) -> Option<(Version, String)> {
        let c = filename.captures(name)?;
        let digits: String = c.name("version")?.as_str().replace('-', "");
        let name = c.name("name").map_or("", |n| n.as_str()).to_string();
        Some((Version::parse(&digits)?, name))
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        let mut catalog = Catalog::default();
        for entry in entries {
            let display = display_path(opts.root, &entry.path);
            let parsed = entry
                .is_dir
                .then(|| self.version_of(opts.filename, &entry.name))
                .flatten();
            let Some((version, name)) = parsed else {
                catalog
                    .issues
                    .push(CatalogIssue::filename_contract(opts, display));
                continue;
            };
            match read_dir(opts, tree, &entry, display, version, name)? {
                Ok(m) => catalog.migrations.push(m),
                Err(issue) => catalog.issues.push(issue),
            }
        }
        catalog.order_by_version();
        Ok(catalog)
    }
}

/// One migration directory: its `up.sql` (required), `down.sql` and
/// `metadata.toml`; a directory without `up.sql` is a contract issue.
fn read_dir(
    opts: &CatalogOptions<'_>,
    tree: &dyn SourceTree,
    entry: &Entry,
    display: String,
    version: Version,
    name: String,
) -> Result<Result<Migration, CatalogIssue>, CoreError> {
    let file = |n: &str| entry.path.join(n);
    let Some(up) = tree.read(&file("up.sql"))? else {
        return Ok(Err(CatalogIssue::MissingBody {
            display_path: display,
            missing: "up.sql".into(),
        }));
    };
    let no_transaction = match tree.read(&file("metadata.toml"))? {
        Some(bytes) => run_in_transaction(&file("metadata.toml"), &bytes)? == Some(false),
        None => false,
    };
    let part = |role, name: &str, bytes| PartFile {
        role,
        path: file(name),
        display_path: display_path(opts.root, &file(name)),
        bytes,
        no_transaction,
        alone_if_single: false,
    };
    let mut files = vec![part(Role::Up, "up.sql", up)];
    if let Some(down) = tree.read(&file("down.sql"))? {
        files.push(part(Role::Down, "down.sql", down));
    }
    Migration::from_parts(
        version,
        name,
        (entry.path.clone(), display),
        files,
        super::BodyKind::Sql,
    )
    .map(Ok)
}

/// `run_in_transaction` from a `metadata.toml`.
fn run_in_transaction(path: &std::path::Path, bytes: &[u8]) -> Result<Option<bool>, CoreError> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        run_in_transaction: Option<bool>,
    }
    let text = String::from_utf8_lossy(bytes);
    let m: Metadata = toml::from_str(&text).map_err(|e| CoreError::Config {
        path: path.to_path_buf(),
        message: format!("diesel's metadata.toml is not valid: {e}"),
    })?;
    Ok(m.run_in_transaction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Layout;
    use regex::Regex;

    fn load(dir: &std::path::Path) -> Catalog {
        let re = Regex::new(DEFAULT_FILENAME).unwrap();
        Catalog::load(&CatalogOptions {
            dir,
            root: dir.parent().unwrap(),
            filename: &re,
            ignore: &[],
            layout: Layout::Diesel,
            cache: None,
        })
        .unwrap()
    }

    #[test]
    fn a_directory_is_a_migration_of_two_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        let a = dir.join("2024-01-02-030405_create_users");
        let b = dir.join("00000000000000_diesel_initial_setup");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("up.sql"), "CREATE TABLE users (id int);\nSELECT 1;").unwrap();
        std::fs::write(a.join("down.sql"), "-- undo\nDROP TABLE users;\n").unwrap();
        std::fs::write(a.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
        std::fs::write(b.join("up.sql"), "SELECT 1;\n").unwrap();
        std::fs::write(b.join("down.sql"), "-- nothing\n").unwrap();
        let c = load(&dir);
        assert!(c.issues.is_empty(), "{:?}", c.issues);
        let v: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["00000000000000", "20240102030405"]);
        let m = &c.migrations[1];
        assert_eq!(m.name, "create_users");
        assert_eq!(m.file_name, "2024-01-02-030405_create_users");
        assert_eq!(m.display_path, "migrations/2024-01-02-030405_create_users");
        assert!(m.up.no_transaction && m.down.as_ref().unwrap().no_transaction);
        assert_eq!(m.up_sql(), "CREATE TABLE users (id int);\nSELECT 1;\n");
        assert_eq!(m.down_sql(), Some("-- undo\nDROP TABLE users;\n"));
        // Line 4 of the text is line 2 of down.sql.
        let (path, line, span) = m.locate(4, Some(m.down.as_ref().unwrap().range.clone()));
        assert_eq!(path, "migrations/2024-01-02-030405_create_users/down.sql");
        assert_eq!(line, 2);
        assert_eq!(span, Some(0..26));
        assert_eq!(
            m.locate(1, None).0,
            "migrations/2024-01-02-030405_create_users/up.sql"
        );
        // A down.sql of comments only is no down section.
        assert!(c.migrations[0].down.is_none());
        // The checksum covers both files.
        let before = m.checksum;
        std::fs::write(a.join("down.sql"), "DROP TABLE users CASCADE;\n").unwrap();
        assert_ne!(load(&dir).migrations[1].checksum, before);
    }

    #[test]
    fn a_directory_without_up_sql_and_a_stray_file_are_issues() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        std::fs::create_dir_all(dir.join("20240101000000_a")).unwrap();
        std::fs::write(dir.join("20240101000000_a/down.sql"), "SELECT 1;").unwrap();
        std::fs::write(dir.join("notes.sql"), "SELECT 1;").unwrap();
        let c = load(&dir);
        assert!(c.migrations.is_empty());
        assert_eq!(
            c.issues,
            [
                CatalogIssue::MissingBody {
                    display_path: "migrations/20240101000000_a".into(),
                    missing: "up.sql".into()
                },
                CatalogIssue::FilenameContract {
                    display_path: "migrations/notes.sql".into(),
                    pattern: DEFAULT_FILENAME.into()
                }
            ]
        );
    }
}
