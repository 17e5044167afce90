//! The catalog: a migrations directory read into ordered [`Migration`]s.

use crate::error::CoreError;
use crate::migration::{read_native, Migration};
use crate::tree::{SourceTree, WorkDir};
use crate::version::Version;
use regex::Regex;
use std::path::{Path, PathBuf};

/// What to read and how.
#[derive(Debug, Clone)]
pub struct CatalogOptions<'a> {
    /// The migrations directory.
    pub dir: &'a Path,
    /// The project root; output paths are relative to it.
    pub root: &'a Path,
    /// The filename contract. Named groups `version` and `name` are used when the
    /// pattern has them; otherwise the version is the leading digits and the name
    /// what follows the first `_`, without the extension.
    pub filename: &'a Regex,
    /// Files in the directory that are not migrations (the ledger).
    pub ignore: &'a [PathBuf],
    /// The layout.
    pub layout: crate::config::Layout,
    /// The stat cache directory (`<root>/.sluice/cache`), or None to read every
    /// file. See [`crate::cache`].
    pub cache: Option<&'a Path>,
}

/// A file-level problem found while reading the directory. These are reported by
/// `check` (and refuse `apply` where they make the order ambiguous); they are not
/// errors because a report should list all of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CatalogIssue {
    /// A file does not match the filename contract; it is not part of the catalog.
    FilenameContract {
        /// Path relative to the root.
        display_path: String,
        /// The pattern it had to match.
        pattern: String,
    },
    /// A migration directory lacks a file it must have (a diesel directory
    /// without `up.sql`); it is not part of the catalog.
    MissingBody {
        /// The directory, relative to the root.
        display_path: String,
        /// The file it lacks.
        missing: String,
    },
    /// A line in the layout's directive syntax that sluice does not
    /// understand (`-- +goose ENVSUB ON`, `-- migrate:up foo:bar`).
    UnknownDirective {
        /// The file, relative to the root.
        display_path: String,
        /// Its 1-based line.
        line: usize,
        /// The line, trimmed.
        directive: String,
    },
    /// (alembic) The revision graph has more than one head.
    MultipleHeads {
        /// Each head: revision id, file, line of `revision = …`.
        heads: Vec<(String, String, usize)>,
    },
    /// (alembic) A `down_revision` names a revision that does not exist.
    RevisionGap {
        /// The revision whose parent is missing.
        revision: String,
        /// The missing parent.
        parent: String,
        /// Its file.
        display_path: String,
        /// Line of its `down_revision`.
        line: usize,
    },
    /// A migration file is not valid UTF-8: it is not part of the catalog,
    /// `check` reports it and every command that would run migrations
    /// refuses until it is fixed.
    NotUtf8 {
        /// The file, relative to the root.
        display_path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Several files share a version.
    DuplicateVersion {
        /// The version.
        version: String,
        /// The files (relative paths), in name order.
        display_paths: Vec<String>,
    },
}

impl CatalogIssue {
    /// `display_path` does not match the filename contract of `opts`.
    pub fn filename_contract(opts: &CatalogOptions<'_>, display_path: String) -> CatalogIssue {
        CatalogIssue::FilenameContract {
            display_path,
            pattern: opts.filename.as_str().to_string(),
        }
    }
}

/// The migrations of one directory, ordered by version.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Migrations in version order (ties by file name).
    pub migrations: Vec<Migration>,
    /// Contract problems found while reading.
    pub issues: Vec<CatalogIssue>,
    /// The migrations form a revision graph (Alembic): their order is the
    /// catalog's (parents first), not their ids', and the tool's own table
    /// (`alembic_version`) records which are applied.
    pub revision_graph: bool,
}

/// Path of `path` relative to `root`, with `/` separators, for output.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

impl Catalog {
    /// Reads the directory in the working tree. Fails only on I/O errors and
    /// unreadable (non-UTF-8) migrations; contract problems are collected in
    /// [`Catalog::issues`].
    pub fn load(opts: &CatalogOptions<'_>) -> Result<Catalog, CoreError> {
        Catalog::load_from(opts, &WorkDir)
    }

    /// Reads the directory as `tree` holds it (the working tree, or a commit).
    pub fn load_from(
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
    ) -> Result<Catalog, CoreError> {
        let Some(entries) = tree.list(opts.dir)? else {
            return Err(CoreError::Other(format!(
                "the migrations directory {} does not exist; run `sluice init` or set [migrations] dir in sluice.toml",
                display_path(opts.root, opts.dir)
            )));
        };
        let mut entries: Vec<crate::tree::Entry> = entries
            .into_iter()
            .filter(|e| !opts.ignore.iter().any(|i| i == &e.path))
            .collect();
        // A file that is not UTF-8 is an issue of the catalog in every
        // layout: the migration it belongs to is left out (and every command
        // that would run migrations refuses until it is fixed), the others
        // are still read. Layouts stop at the first such file; read again
        // without it.
        let mut not_utf8 = Vec::new();
        loop {
            match opts.layout.imp().scan(opts, tree, entries.clone()) {
                Err(CoreError::NotUtf8 { path, line, offset })
                    if entries.iter().any(|e| path.starts_with(&e.path)) =>
                {
                    entries.retain(|e| !path.starts_with(&e.path));
                    let issue = CatalogIssue::NotUtf8 {
                        display_path: display_path(opts.root, &path),
                        line,
                        offset,
                    };
                    if !not_utf8.contains(&issue) {
                        not_utf8.push(issue);
                    }
                }
                Ok(mut c) => {
                    c.issues.extend(not_utf8);
                    return Ok(c);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sorts the migrations by version (ties by file name) and records every
    /// version that several share as a [`CatalogIssue::DuplicateVersion`]:
    /// the last step of a layout whose order is its versions'.
    pub fn order_by_version(&mut self) {
        self.migrations.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| a.file_name.cmp(&b.file_name))
        });
        let mut by_version: std::collections::BTreeMap<&Version, Vec<String>> =
            std::collections::BTreeMap::new();
        for m in &self.migrations {
            by_version
                .entry(&m.version)
                .or_default()
                .push(m.display_path.clone());
        }
        let dups: Vec<CatalogIssue> = by_version
            .into_iter()
            .filter(|(_, paths)| paths.len() > 1)
            .map(|(v, display_paths)| CatalogIssue::DuplicateVersion {
                version: v.to_string(),
                display_paths,
            })
            .collect();
        self.issues.extend(dups);
    }

    /// The migration a user names on the command line: by its version as
    /// written (`0002`, an Alembic revision id, `R__views`), else by the
    /// version it parses to (`7` names `007`).
    pub fn find(&self, id: &str) -> Option<&Migration> {
        let mut exact = self.migrations.iter().filter(|m| m.version.as_str() == id);
        if let (Some(m), None) = (exact.next(), exact.next()) {
            return Some(m);
        }
        self.get(&Version::parse(id).unwrap_or_else(|| Version::revision(id)))
    }

    /// In a revision graph, the ids of `heads` and of every revision they
    /// descend from (what Alembic counts as applied when `alembic_version`
    /// holds `heads`). Ids the graph does not know are kept as they are.
    pub fn with_ancestors(&self, heads: &[String]) -> std::collections::HashSet<String> {
        let parents: std::collections::HashMap<&str, &[String]> = self
            .migrations
            .iter()
            .map(|m| (m.version.as_str(), m.parents.as_slice()))
            .collect();
        let mut out = std::collections::HashSet::new();
        let mut todo: Vec<String> = heads.to_vec();
        while let Some(id) = todo.pop() {
            if let Some(ps) = parents.get(id.as_str()) {
                todo.extend(ps.iter().filter(|p| !out.contains(*p)).cloned());
            }
            out.insert(id);
        }
        out
    }

    /// The migration with this version, if exactly one has it.
    pub fn get(&self, version: &Version) -> Option<&Migration> {
        let mut it = self.migrations.iter().filter(|m| &m.version == version);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    /// Reads the text of every migration not read yet (stat-cache hits), so
    /// that a file changed or removed since the directory was listed is an
    /// error here, naming it, rather than when its SQL is needed.
    pub fn read_texts(&self) -> Result<(), CoreError> {
        for m in &self.migrations {
            m.load_text()?;
        }
        Ok(())
    }

    /// Whether two files share a version.
    pub fn has_duplicates(&self) -> bool {
        self.issues
            .iter()
            .any(|i| matches!(i, CatalogIssue::DuplicateVersion { .. }))
    }
}

/// Rebuilds unchanged files from the stat cache and reads the others (on all
/// cores), then records what was read.
pub(crate) fn read_cached(
    tree: &dyn SourceTree,
    dir: &Path,
    files: Vec<(Version, String, PathBuf, String)>,
) -> Result<(Vec<Migration>, Vec<CatalogIssue>), CoreError> {
    use crate::cache::{Stamp, StatCache};
    let mut cache = StatCache::load(dir);
    let mut out = Vec::with_capacity(files.len());
    let mut misses = Vec::new();
    let mut stamps = std::collections::HashMap::new();
    for (version, name, path, display) in files {
        let meta = std::fs::metadata(&path).map_err(|e| CoreError::io(&path, e))?;
        let Some(stamp) = Stamp::of(&meta) else {
            misses.push((version, name, path, display));
            continue;
        };
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hit = cache.get(&path, stamp, |checksum, header, up, down, marker| {
            Migration::unread(
                version.clone(),
                name.clone(),
                file_name,
                path.clone(),
                display.clone(),
                checksum,
                header,
                up,
                down,
                marker,
            )
        });
        match hit {
            Some(m) => out.push(m),
            None => {
                stamps.insert(path.clone(), stamp);
                misses.push((version, name, path, display));
            }
        }
    }
    let (read, issues) = read_all(tree, misses)?;
    for m in &read {
        if let Some(stamp) = stamps.get(&m.path) {
            cache.put(*stamp, m);
        }
    }
    out.extend(read);
    cache.save();
    Ok((out, issues))
}

/// Reads files on all cores: the catalog of a large project is thousands of
/// independent files, and hashing them is the cost of every command. A file
/// that is not UTF-8 is an issue (the others are still read), any other
/// error stops the read.
pub(crate) fn read_all(
    tree: &dyn SourceTree,
    files: Vec<(Version, String, PathBuf, String)>,
) -> Result<(Vec<Migration>, Vec<CatalogIssue>), CoreError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let read_one = |(v, n, p, d): (Version, String, PathBuf, String)| match read_native(
        tree,
        &p,
        d.clone(),
        v,
        n,
    ) {
        Ok(m) => Ok(Ok(m)),
        Err(CoreError::NotUtf8 { line, offset, .. }) => Ok(Err(CatalogIssue::NotUtf8 {
            display_path: d,
            line,
            offset,
        })),
        Err(e) => Err(e),
    };
    let results: Vec<Result<Migration, CatalogIssue>> = if files.len() < 64 || threads == 1 {
        files
            .into_iter()
            .map(read_one)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let chunk = files.len().div_ceil(threads);
        let mut chunks: Vec<Vec<_>> = Vec::new();
        let mut it = files.into_iter().peekable();
        while it.peek().is_some() {
            chunks.push(it.by_ref().take(chunk).collect());
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|c| {
                    s.spawn(move || c.into_iter().map(read_one).collect::<Result<Vec<_>, _>>())
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.extend(h.join().expect("catalog reader thread panicked")?);
            }
            Ok::<_, CoreError>(out)
        })?
    };
    let mut migrations = Vec::new();
    let mut issues = Vec::new();
    for r in results {
        match r {
            Ok(m) => migrations.push(m),
            Err(i) => issues.push(i),
        }
    }
    Ok((migrations, issues))
}

/// Splits a file name into version and name per the filename contract.
pub fn split_file_name(pattern: &Regex, file_name: &str) -> Option<(Version, String)> {
    let caps = pattern.captures(file_name)?;
    let (version_text, name) = match (caps.name("version"), caps.name("name")) {
        (Some(v), Some(n)) => (v.as_str().to_string(), n.as_str().to_string()),
        (Some(v), None) => (v.as_str().to_string(), String::new()),
        _ => {
            let digits = file_name
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(file_name.len());
            let version = file_name[..digits].to_string();
            let rest = file_name[digits..].trim_start_matches('_');
            let name = rest.split('.').next().unwrap_or("").to_string();
            (version, name)
        }
    };
    Some((Version::parse(&version_text)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alembic_graph_order_heads_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let rev = |id: &str, down: &str| {
            format!("\"\"\"x\"\"\"\nrevision = \"{id}\"\ndown_revision = {down}\n\ndef upgrade():\n    pass\n")
        };
        for (f, body) in [
            ("c_third.py", rev("c3", "\"b2\"")),
            ("a_first.py", rev("a1", "None")),
            ("b_second.py", rev("b2", "\"a1\"")),
            ("d_branch.py", rev("d4", "\"a1\"")),
            ("e_orphan.py", rev("e5", "\"zz\"")),
            ("__init__.py", String::new()),
        ] {
            std::fs::write(dir.path().join(f), body).unwrap();
        }
        let re = Regex::new(crate::config::DEFAULT_ALEMBIC_FILENAME).unwrap();
        let c = Catalog::load(&CatalogOptions {
            dir: dir.path(),
            root: dir.path(),
            filename: &re,
            ignore: &[],
            layout: crate::config::Layout::Alembic,
            cache: None,
        })
        .unwrap();
        let order: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(
            order,
            ["a1", "e5", "b2", "d4", "c3"],
            "parents first; unknown parents count as placed"
        );
        let heads = c.issues.iter().find_map(|i| match i {
            CatalogIssue::MultipleHeads { heads } => {
                Some(heads.iter().map(|h| h.0.as_str()).collect::<Vec<_>>())
            }
            _ => None,
        });
        assert_eq!(heads, Some(vec!["c3", "d4", "e5"]));
        assert!(c
            .issues
            .iter()
            .any(|i| matches!(i, CatalogIssue::RevisionGap { parent, .. } if parent == "zz")));
    }

    #[test]
    fn cache_hits_are_read_on_demand_and_a_file_changed_meanwhile_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (root, cache) = (dir.path().join("m"), dir.path().join("cache"));
        std::fs::create_dir_all(&root).unwrap();
        let a = root.join("1000000000001_a.sql");
        std::fs::write(&a, "-- TITLE: A\nSELECT 1;\n\n-- sluice:down\nSELECT 2;\n").unwrap();
        let re = Regex::new(r"^\d{13}_[a-z0-9_]+\.sql$").unwrap();
        let load = || {
            Catalog::load(&CatalogOptions {
                dir: &root,
                root: &root,
                filename: &re,
                ignore: &[],
                layout: crate::config::Layout::Sluice,
                cache: Some(&cache),
            })
            .unwrap()
        };
        // The file must be older than the cache for its entry to be trusted.
        std::thread::sleep(std::time::Duration::from_millis(30));
        let read = load();
        assert!(read.migrations[0].text_loaded());
        let hit = load();
        let m = &hit.migrations[0];
        assert!(!m.text_loaded(), "a cache hit is not read");
        assert_eq!(
            (m.checksum, &m.header, &m.up, &m.down, m.down_marker_line),
            (
                read.migrations[0].checksum,
                &read.migrations[0].header,
                &read.migrations[0].up,
                &read.migrations[0].down,
                read.migrations[0].down_marker_line
            )
        );
        assert_eq!(m.down_sql(), Some("SELECT 2;\n"), "read on first use");

        let hit = load();
        std::fs::write(&a, "-- TITLE: A\nSELECT 9;\n").unwrap();
        let err = hit.read_texts().unwrap_err().to_string();
        assert!(
            err.contains("1000000000001_a.sql") && err.contains("changed while sluice was running"),
            "{err}"
        );
    }

    #[test]
    fn splits_native_names() {
        let re = Regex::new(r"^\d{13}_[a-z0-9_]+\.sql$").unwrap();
        let (v, n) = split_file_name(&re, "1732190000000_create_users.sql").unwrap();
        assert_eq!(v.as_str(), "1732190000000");
        assert_eq!(n, "create_users");
        assert!(split_file_name(&re, "create_users.sql").is_none());
    }

    #[test]
    fn named_groups_win() {
        let re = Regex::new(r"^V(?P<version>[\d.]+)__(?P<name>\w+)\.sql$").unwrap();
        let (v, n) = split_file_name(&re, "V1.2__init.sql").unwrap();
        assert_eq!(v.as_str(), "1.2");
        assert_eq!(n, "init");
    }

    #[test]
    fn loads_sorted_and_reports_contract_issues() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (f, body) in [
            ("1000000000002_b.sql", "SELECT 2;"),
            ("1000000000001_a.sql", "SELECT 1;"),
            ("1000000000001_c.sql", "SELECT 3;"),
            ("notes.txt", "x"),
            ("checksums.json", "{}"),
        ] {
            std::fs::write(root.join(f), body).unwrap();
        }
        std::fs::write(root.join(".gitkeep"), "").unwrap();
        let re = Regex::new(r"^\d{13}_[a-z0-9_]+\.sql$").unwrap();
        let ignore = [root.join("checksums.json")];
        let c = Catalog::load(&CatalogOptions {
            dir: root,
            root,
            filename: &re,
            ignore: &ignore,
            layout: crate::config::Layout::Sluice,
            cache: None,
        })
        .unwrap();
        let names: Vec<_> = c.migrations.iter().map(|m| m.file_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "1000000000001_a.sql",
                "1000000000001_c.sql",
                "1000000000002_b.sql"
            ]
        );
        assert_eq!(c.issues.len(), 2);
        assert!(c.has_duplicates());
    }
}
