//! Flyway's layout, read in place: `V<version>__<description>.sql` versioned
//! migrations, `U<version>__<description>.sql` their undo (sluice's down),
//! `R__<description>.sql` repeatables. Versions use dots or underscores
//! (`V1_2__x` and `V1.2__x` are both 1.2, so having both is a
//! `duplicate-version`) and are ordered numerically.
//!
//! Flyway runs each migration in one transaction unless its script
//! configuration says `executeInTransaction=false`: in a `V1__x.sql.conf` file
//! beside it, or a `-- flyway:executeInTransaction=false` line in it. Any
//! other `-- flyway:` line is `directive-unknown`.
//!
//! Repeatable migrations (`R__<description>.sql`) run after every versioned
//! one, by description, and again whenever their checksum changes (after
//! `sluice hash`); they are never reversed and never out of order.

use super::MigrationLayout;
use crate::catalog::{display_path, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::migration::{Migration, PartFile, Role};
use crate::tree::{Entry, SourceTree};
use crate::version::Version;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The Flyway layout.
pub struct Flyway;

/// `V`/`U`/`R` prefix, version (digits with `.` or `_`), `__`, description.
pub const DEFAULT_FILENAME: &str =
    r"^(?P<kind>[VUR])(?P<version>\d+(?:[._]\d+)*)?__(?P<name>.+)\.sql$";

impl MigrationLayout for Flyway {
    fn name(&self) -> &'static str {
        "flyway"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let first = if new.no_transaction {
            "-- flyway:executeInTransaction=false\n"
        } else {
            ""
        };
        let mut out = vec![(
            format!("V{}__{}.sql", new.version, new.name),
            new.up_file(first),
        )];
        if let Some(d) = &new.down {
            out.push((format!("U{}__{}.sql", new.version, new.name), d.clone()));
        }
        out
    }

    fn default_filename(&self) -> &'static str {
        DEFAULT_FILENAME
    }

    /// `V1_2__x.sql` and its undo `U1_2__x.sql` are one migration.
    fn unit_name(&self, file_name: &str) -> Option<String> {
        let stem = file_name.strip_suffix(".sql")?;
        Some(match stem.strip_prefix('U') {
            Some(rest) => format!("V{rest}"),
            None => stem.to_string(),
        })
    }

    fn version_of(&self, filename: &regex::Regex, name: &str) -> Option<(Version, String)> {
        let c = filename.captures(name)?;
        let v = c.name("version")?.as_str().replace('_', ".");
        Some((Version::parse(&v)?, c.name("name")?.as_str().to_string()))
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        let mut catalog = Catalog::default();
        // version text (dots) → (name, V file, U file)
        type Files = (String, Option<(PathBuf, String)>, Option<(PathBuf, String)>);
        let mut by_version: BTreeMap<String, Files> = BTreeMap::new();
        let confs: std::collections::HashSet<String> = entries
            .iter()
            .filter(|e| e.name.ends_with(".sql.conf"))
            .map(|e| e.name.trim_end_matches(".conf").to_string())
            .collect();
        for e in entries.into_iter().filter(|e| !e.is_dir) {
            if e.name.ends_with(".sql.conf") {
                continue; // a script's configuration, read with its script
            }
            let display = display_path(opts.root, &e.path);
            let caps = opts.filename.captures(&e.name);
            let kind = caps
                .as_ref()
                .and_then(|c| c.name("kind"))
                .map(|k| k.as_str());
            let version = caps
                .as_ref()
                .and_then(|c| c.name("version"))
                .map(|v| v.as_str().replace('_', "."));
            let name = caps
                .as_ref()
                .and_then(|c| c.name("name"))
                .map(|n| n.as_str().to_string());
            match (kind, version, name) {
                (Some("R"), None, Some(n)) => {
                    let up = script(tree, Role::Up, e.path, display, &confs, &mut catalog.issues)?;
                    catalog.migrations.push(repeatable(opts, up, n)?);
                }
                (Some(k @ ("V" | "U")), Some(v), Some(n)) if Version::parse(&v).is_some() => {
                    let slot = by_version
                        .entry(v.clone())
                        .or_insert_with(|| (n.clone(), None, None));
                    let taken = if k == "V" { &mut slot.1 } else { &mut slot.2 };
                    // `V1_2__a` and `V1.2__b` are both 1.2: neither is
                    // dropped, the version is a duplicate naming both.
                    if let Some((_, first)) = taken {
                        let mut display_paths = vec![first.clone(), display];
                        display_paths.sort();
                        catalog.issues.push(CatalogIssue::DuplicateVersion {
                            version: v,
                            display_paths,
                        });
                        continue;
                    }
                    *taken = Some((e.path, display));
                    if k == "V" {
                        slot.0 = n;
                    }
                }
                _ => catalog
                    .issues
                    .push(CatalogIssue::filename_contract(opts, display)),
            }
        }
        for (v, (name, versioned, undo)) in by_version {
            let version = Version::parse(&v).expect("checked");
            let Some(up) = versioned else {
                let (_, undo_display) = undo.expect("an entry has a file");
                catalog.issues.push(CatalogIssue::MissingBody {
                    display_path: undo_display,
                    missing: format!("V{v}__{name}.sql"),
                });
                continue;
            };
            let mut files = Vec::new();
            for (role, (path, display)) in
                std::iter::once((Role::Up, up)).chain(undo.map(|u| (Role::Down, u)))
            {
                files.push(script(
                    tree,
                    role,
                    path,
                    display,
                    &confs,
                    &mut catalog.issues,
                )?);
            }
            let identity = opts.dir.join(format!("V{v}__{name}"));
            let identity_display = display_path(opts.root, &identity);
            catalog.migrations.push(Migration::from_parts(
                version,
                name,
                (identity, identity_display),
                files,
                super::BodyKind::Sql,
            )?);
        }
        catalog.order_by_version();
        Ok(catalog)
    }
}

/// A repeatable migration: keyed `R__<description>` (so it sorts after every
/// versioned one, repeatables by description), run again whenever its
/// checksum changes.
fn repeatable(
    opts: &CatalogOptions<'_>,
    up: PartFile,
    name: String,
) -> Result<Migration, CoreError> {
    let key = format!("R__{name}");
    let identity = opts.dir.join(&key);
    let display = up.display_path.clone();
    // Shown as `R__<description>_repeatable` where a version and a name are.
    let mut m = Migration::from_parts(
        Version::revision(&key),
        "repeatable".into(),
        (identity, display),
        vec![up],
        super::BodyKind::Sql,
    )?;
    m.repeatable = true;
    Ok(m)
}

/// One script with its configuration: the `.sql.conf` beside it is read only
/// when the listing has one (`confs`: script names that have one); the
/// `-- flyway:` lines sluice does not know become `directive-unknown` issues.
fn script(
    tree: &dyn SourceTree,
    role: Role,
    path: PathBuf,
    display: String,
    confs: &std::collections::HashSet<String>,
    issues: &mut Vec<CatalogIssue>,
) -> Result<PartFile, CoreError> {
    let bytes = tree.read_listed(&path)?;
    let listed = path
        .file_name()
        .is_some_and(|n| confs.contains(n.to_string_lossy().as_ref()));
    let conf = if listed {
        let conf_path = PathBuf::from(format!("{}.conf", path.display()));
        Some(String::from_utf8_lossy(&tree.read_listed(&conf_path)?).into_owned())
    } else {
        None
    };
    let (no_transaction, unknown) = script_config(&bytes, conf.as_deref());
    issues.extend(
        unknown
            .into_iter()
            .map(|(line, directive)| CatalogIssue::UnknownDirective {
                display_path: display.clone(),
                line,
                directive,
            }),
    );
    Ok(PartFile {
        role,
        path,
        display_path: display,
        bytes,
        no_transaction,
        alone_if_single: false,
    })
}

/// `executeInTransaction=false` from the `.sql.conf` beside a script or a
/// `-- flyway:` line in it, and the `-- flyway:` lines sluice does not know.
fn script_config(bytes: &[u8], conf: Option<&str>) -> (bool, Vec<(usize, String)>) {
    let mut no_tx = conf.is_some_and(|c| {
        c.lines().any(|l| {
            l.replace(' ', "")
                .eq_ignore_ascii_case("executeInTransaction=false")
        })
    });
    let mut unknown = Vec::new();
    for (i, line) in String::from_utf8_lossy(bytes).lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix("-- flyway:") else {
            continue;
        };
        match rest.replace(' ', "").to_ascii_lowercase().as_str() {
            "executeintransaction=false" => no_tx = true,
            "executeintransaction=true" => {}
            _ => unknown.push((i + 1, line.trim().to_string())),
        }
    }
    (no_tx, unknown)
}

/// Flyway's checksum of a script: CRC32 over its lines without their line
/// breaks (a BOM removed), as a signed 32-bit integer.
pub fn checksum(text: &str) -> i32 {
    let mut h = crc32fast::Hasher::new();
    for line in text.trim_start_matches('\u{feff}').lines() {
        h.update(line.trim_end_matches('\r').as_bytes());
    }
    h.finalize() as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Layout;
    use regex::Regex;

    #[test]
    fn versions_undo_repeatables_and_script_config() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sql");
        std::fs::create_dir_all(&dir).unwrap();
        let w = |n: &str, s: &str| std::fs::write(dir.join(n), s).unwrap();
        w("V1__init.sql", "CREATE TABLE a (id int);\n");
        w(
            "V1_2__more.sql",
            "-- flyway:executeInTransaction=false\nCREATE INDEX CONCURRENTLY i ON a (id);\n",
        );
        w("U1_2__more.sql", "DROP INDEX i;\n");
        w(
            "V2.1.3__later.sql",
            "-- flyway:shouldExecute=false\nSELECT 1;\n",
        );
        w("V10__ten.sql", "SELECT 10;\n");
        w("V10__ten.sql.conf", "executeInTransaction=false\n");
        w(
            "R__views.sql",
            "-- flyway:placeholderReplacement=false\nCREATE OR REPLACE VIEW v AS SELECT 1;\n",
        );
        let re = Regex::new(DEFAULT_FILENAME).unwrap();
        let c = Catalog::load(&CatalogOptions {
            dir: &dir,
            root: tmp.path(),
            filename: &re,
            ignore: &[],
            layout: Layout::Flyway,
            cache: None,
        })
        .unwrap();
        let v: Vec<&str> = c.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["1", "1.2", "2.1.3", "10", "R__views"]);
        assert!(c.migrations[4].repeatable);
        assert!(c.migrations[1].up.no_transaction);
        assert_eq!(c.migrations[1].down_sql(), Some("DROP INDEX i;\n"));
        assert!(c.migrations[3].up.no_transaction, "the .sql.conf");
        assert!(!c.migrations[0].up.no_transaction);
        // One unknown directive in V2.1.3, one in the repeatable (it used to
        // be dropped in silence there).
        assert_eq!(c.issues.len(), 2, "{:?}", c.issues);
        assert!(c.issues.iter().any(|i| matches!(i, CatalogIssue::UnknownDirective { display_path, .. } if display_path == "sql/R__views.sql")));
        assert!(c
            .issues
            .iter()
            .any(|i| matches!(i, CatalogIssue::UnknownDirective { line: 1, .. })));
    }

    #[test]
    fn checksum_is_crc32_of_lines_without_breaks() {
        assert_eq!(checksum("a\nb\n"), checksum("a\r\nb"));
        assert_eq!(checksum("ab"), crc32fast::hash(b"ab") as i32);
        assert_eq!(checksum("\u{feff}a\nb"), checksum("ab"));
    }
}
