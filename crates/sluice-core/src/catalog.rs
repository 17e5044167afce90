//! The catalog: a migrations directory read into ordered [`Migration`]s.

use crate::error::CoreError;
use crate::migration::{read_native, Migration};
use crate::version::Version;
use regex::Regex;
use std::collections::BTreeMap;
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
    /// Several files share a version.
    DuplicateVersion {
        /// The version.
        version: String,
        /// The files (relative paths), in name order.
        display_paths: Vec<String>,
    },
}

/// The migrations of one directory, ordered by version.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Migrations in version order (ties by file name).
    pub migrations: Vec<Migration>,
    /// Contract problems found while reading.
    pub issues: Vec<CatalogIssue>,
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
    /// Reads the directory. Fails only on I/O errors and unreadable (non-UTF-8)
    /// migrations; contract problems are collected in [`Catalog::issues`].
    pub fn load(opts: &CatalogOptions<'_>) -> Result<Catalog, CoreError> {
        let entries = match std::fs::read_dir(opts.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CoreError::Other(format!(
                    "the migrations directory {} does not exist; run `sluice init` or set [migrations] dir in sluice.toml",
                    display_path(opts.root, opts.dir)
                )))
            }
            Err(e) => return Err(CoreError::io(opts.dir, e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| CoreError::io(opts.dir, e))?;
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') || opts.ignore.iter().any(|i| i == &path) {
                continue;
            }
            let ft = entry.file_type().map_err(|e| CoreError::io(&path, e))?;
            if ft.is_dir() {
                continue;
            }
            files.push((file_name, path));
        }
        files.sort();

        let mut catalog = Catalog::default();
        let mut parsed = Vec::with_capacity(files.len());
        for (file_name, path) in files {
            let display = display_path(opts.root, &path);
            match split_file_name(opts.filename, &file_name) {
                Some((version, name)) => parsed.push((version, name, path, display)),
                None => catalog.issues.push(CatalogIssue::FilenameContract {
                    display_path: display,
                    pattern: opts.filename.as_str().to_string(),
                }),
            }
        }
        catalog.migrations = read_all(parsed)?;
        catalog.migrations.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| a.file_name.cmp(&b.file_name))
        });

        let mut by_version: BTreeMap<&Version, Vec<String>> = BTreeMap::new();
        for m in &catalog.migrations {
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
        catalog.issues.extend(dups);
        Ok(catalog)
    }

    /// The migration with this version, if exactly one has it.
    pub fn get(&self, version: &Version) -> Option<&Migration> {
        let mut it = self.migrations.iter().filter(|m| &m.version == version);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    /// Whether two files share a version.
    pub fn has_duplicates(&self) -> bool {
        self.issues
            .iter()
            .any(|i| matches!(i, CatalogIssue::DuplicateVersion { .. }))
    }
}

/// Reads files on all cores: the catalog of a large project is thousands of
/// independent files, and hashing them is the cost of every command.
fn read_all(files: Vec<(Version, String, PathBuf, String)>) -> Result<Vec<Migration>, CoreError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    if files.len() < 64 || threads == 1 {
        return files
            .into_iter()
            .map(|(v, n, p, d)| read_native(&p, d, v, n))
            .collect();
    }
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
                s.spawn(move || {
                    c.into_iter()
                        .map(|(v, n, p, d)| read_native(&p, d, v, n))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.extend(h.join().expect("catalog reader thread panicked")?);
        }
        Ok(out)
    })
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
