//! Layouts whose migration is an up file and an optional down file side by
//! side: golang-migrate (`<version>_<title>.up.sql` + `.down.sql`) and sqlx
//! (the same pair, or one reversible-less `<version>_<desc>.sql`).
//!
//! Transactions follow each tool:
//!
//! - **golang-migrate** sends a file as one multi-statement query, which the
//!   server runs as one implicit transaction; a file of a single statement is
//!   that statement alone (so a lone `CREATE INDEX CONCURRENTLY` works). sluice
//!   does the same: a file runs in one transaction, a single-statement file on
//!   its own ([`Section::alone_if_single`](crate::migration::Section)).
//! - **sqlx** wraps each file in a transaction unless its first line is
//!   `-- no-transaction`.
//!
//! `-- sluice:no-transaction` in a file's header runs it outside a
//! transaction under either.

use super::MigrationLayout;
use crate::catalog::{display_path, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::migration::{Migration, PartFile, Role};
use crate::tree::{Entry, SourceTree};
use crate::version::Version;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// golang-migrate's layout.
pub struct GolangMigrate;

/// sqlx's layout.
pub struct Sqlx;

/// golang-migrate's contract: `<version>_<title>.up.sql` / `.down.sql`, the
/// title anything (golang-migrate's own pattern is `^([0-9]+)_(.*)\.(down|up)\.(.*)$`,
/// so `1_x.postgres.up.sql` is migration 1, `x.postgres`).
pub const GOLANG_MIGRATE_FILENAME: &str =
    r"^(?P<version>\d+)_(?P<name>.*)\.(?P<direction>up|down)\.sql$";

/// sqlx's contract: `<version>_<description>.sql`, or `.up.sql` / `.down.sql`.
pub const SQLX_FILENAME: &str = r"^(?P<version>\d+)_(?P<name>.+?)(\.(?P<direction>up|down))?\.sql$";

impl MigrationLayout for GolangMigrate {
    fn unit_name(&self, file_name: &str) -> Option<String> {
        pair_stem(file_name)
    }

    fn name(&self) -> &'static str {
        "golang-migrate"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let stem = format!("{}_{}", new.version, new.name);
        let first = if new.no_transaction {
            "-- sluice:no-transaction\n"
        } else {
            ""
        };
        let mut out = vec![(format!("{stem}.up.sql"), new.up_file(first))];
        if let Some(d) = &new.down {
            out.push((format!("{stem}.down.sql"), d.clone()));
        }
        out
    }

    fn default_filename(&self) -> &'static str {
        GOLANG_MIGRATE_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        scan_pairs(opts, tree, entries, Tool::GolangMigrate)
    }
}

impl MigrationLayout for Sqlx {
    fn unit_name(&self, file_name: &str) -> Option<String> {
        pair_stem(file_name)
    }

    fn name(&self) -> &'static str {
        "sqlx"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let stem = format!("{}_{}", new.version, new.name);
        // sqlx reads `-- no-transaction` on the first line only.
        let first = if new.no_transaction {
            "-- no-transaction\n"
        } else {
            ""
        };
        match &new.down {
            Some(d) => vec![
                (format!("{stem}.up.sql"), new.up_file(first)),
                (format!("{stem}.down.sql"), d.clone()),
            ],
            None => vec![(format!("{stem}.sql"), new.up_file(first))],
        }
    }

    fn default_filename(&self) -> &'static str {
        SQLX_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        scan_pairs(opts, tree, entries, Tool::Sqlx)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    GolangMigrate,
    Sqlx,
}

/// One migration's files, as found.
#[derive(Default)]
struct Pair {
    name: String,
    up: Option<(PathBuf, String)>,
    down: Option<(PathBuf, String)>,
}

fn scan_pairs(
    opts: &CatalogOptions<'_>,
    tree: &dyn SourceTree,
    entries: Vec<Entry>,
    tool: Tool,
) -> Result<Catalog, CoreError> {
    let mut catalog = Catalog::default();
    // (version text, name) → its files; the text keeps `007` apart from `7`
    // only until `order_by_version` reports them as duplicates.
    let mut pairs: BTreeMap<(String, String), Pair> = BTreeMap::new();
    for e in entries.into_iter().filter(|e| !e.is_dir) {
        let display = display_path(opts.root, &e.path);
        let caps = opts.filename.captures(&e.name);
        let Some((version, name, direction)) = caps.as_ref().and_then(|c| {
            Some((
                c.name("version")?.as_str().to_string(),
                c.name("name")?.as_str().to_string(),
                c.name("direction").map(|d| d.as_str()),
            ))
        }) else {
            catalog
                .issues
                .push(CatalogIssue::filename_contract(opts, display));
            continue;
        };
        let pair = pairs.entry((version, name.clone())).or_default();
        pair.name = name;
        match direction {
            Some("down") => pair.down = Some((e.path, display)),
            _ => pair.up = Some((e.path, display)),
        }
    }
    for ((version_text, _), pair) in pairs {
        let Some(version) = Version::parse(&version_text) else {
            continue; // the contract only admits digits
        };
        let Some(up) = pair.up else {
            let (_, down_display) = pair.down.expect("a pair has a file");
            catalog.issues.push(CatalogIssue::MissingBody {
                display_path: down_display,
                missing: format!("{version_text}_{}.up.sql", pair.name),
            });
            continue;
        };
        catalog.migrations.push(read_pair(
            opts, tree, tool, version, &pair.name, up, pair.down,
        )?);
    }
    catalog.order_by_version();
    Ok(catalog)
}

fn read_pair(
    opts: &CatalogOptions<'_>,
    tree: &dyn SourceTree,
    tool: Tool,
    version: Version,
    name: &str,
    up: (PathBuf, String),
    down: Option<(PathBuf, String)>,
) -> Result<Migration, CoreError> {
    let stem = format!("{}_{name}", version.as_str());
    let mut files = Vec::new();
    for (role, (path, display)) in
        std::iter::once((Role::Up, up)).chain(down.map(|d| (Role::Down, d)))
    {
        let bytes = tree.read_listed(&path)?;
        let (no_transaction, alone_if_single) = match tool {
            Tool::GolangMigrate => (false, true),
            Tool::Sqlx => (sqlx_no_transaction(&bytes), false),
        };
        files.push(PartFile {
            role,
            path,
            display_path: display,
            bytes,
            no_transaction,
            alone_if_single,
        });
    }
    let identity = opts.dir.join(&stem);
    let identity_display = display_path(opts.root, &identity);
    Migration::from_parts(
        version,
        name.to_string(),
        (identity, identity_display),
        files,
        super::BodyKind::Sql,
    )
}

/// `1_x.up.sql`, `1_x.down.sql`, `1_x.sql` → `1_x`.
fn pair_stem(file_name: &str) -> Option<String> {
    let stem = file_name.strip_suffix(".sql")?;
    let stem = stem
        .strip_suffix(".up")
        .or_else(|| stem.strip_suffix(".down"))
        .unwrap_or(stem);
    Some(stem.to_string())
}

/// sqlx: a first line of exactly `-- no-transaction`.
fn sqlx_no_transaction(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    text.lines()
        .next()
        .is_some_and(|l| l.trim() == "-- no-transaction")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Layout;
    use regex::Regex;

    fn load(dir: &std::path::Path, layout: Layout) -> Catalog {
        let re = Regex::new(layout.imp().default_filename()).unwrap();
        Catalog::load(&CatalogOptions {
            dir,
            root: dir.parent().unwrap(),
            filename: &re,
            ignore: &[],
            layout,
            cache: None,
        })
        .unwrap()
    }

    #[test]
    fn golang_migrate_pairs_up_and_down_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        std::fs::create_dir_all(&dir).unwrap();
        let w = |n: &str, s: &str| std::fs::write(dir.join(n), s).unwrap();
        w("00_init.up.sql", "CREATE TABLE a (id int);\n");
        w(
            "20210710035447_alter_users.up.sql",
            "ALTER TABLE a ADD b int;\n",
        );
        w(
            "20210710035447_alter_users.down.sql",
            "ALTER TABLE a DROP b;\n",
        );
        w("3_orphan.down.sql", "SELECT 1;\n");
        w("README.md", "notes\n");
        let c = load(&dir, Layout::GolangMigrate);
        let v: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["00", "20210710035447"]);
        let m = &c.migrations[1];
        assert_eq!(m.file_name, "20210710035447_alter_users");
        assert_eq!(m.down_sql(), Some("ALTER TABLE a DROP b;\n"));
        assert!(m.up.alone_if_single && !m.up.no_transaction);
        assert_eq!(
            m.locate(2, None).0,
            "migrations/20210710035447_alter_users.down.sql"
        );
        assert_eq!(c.issues.len(), 2, "{:?}", c.issues);
        assert!(c.issues.iter().any(|i| matches!(i, CatalogIssue::MissingBody { missing, .. } if missing == "3_orphan.up.sql")));
        assert!(c.issues.iter().any(|i| matches!(i, CatalogIssue::FilenameContract { display_path, .. } if display_path == "migrations/README.md")));
    }

    #[test]
    fn sqlx_reads_single_files_pairs_and_no_transaction() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        std::fs::create_dir_all(&dir).unwrap();
        let w = |n: &str, s: &str| std::fs::write(dir.join(n), s).unwrap();
        w("20240101000000_users.sql", "CREATE TABLE users (id int);\n");
        w(
            "20240102000000_idx.up.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON users (id);\n",
        );
        w("20240102000000_idx.down.sql", "DROP INDEX i;\n");
        let c = load(&dir, Layout::Sqlx);
        assert!(c.issues.is_empty(), "{:?}", c.issues);
        assert_eq!(c.migrations.len(), 2);
        assert!(c.migrations[0].down.is_none() && !c.migrations[0].up.no_transaction);
        assert!(c.migrations[1].up.no_transaction);
        assert!(!c.migrations[1].down.as_ref().unwrap().no_transaction);
    }
}
