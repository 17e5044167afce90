//! The stat cache and the analysis cache under `.sluice/cache/`: they must never
//! change what a command reports, only how fast it gets there.

mod common;
use common::Project;
use std::time::Duration;

/// A project with two applied migrations and a finding (a non-concurrent index
/// on an existing table), and a warm cache.
fn warm() -> (Project, std::path::PathBuf) {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int, b text);\n");
    let path = p.migration("1000000000002", "b", "ALTER TABLE a ADD COLUMN c int;\n");
    p.hash();
    p.run(&["apply"]).ok();
    // Let the files become older than the cache (see crate::cache on racy
    // entries), then warm it.
    std::thread::sleep(Duration::from_millis(30));
    p.run(&["check"]).ok();
    assert!(p.path().join(".sluice/cache/catalog.json").is_file());
    assert!(p.path().join(".sluice/cache/check.json").is_file());
    (p, path)
}

/// Rewrites one byte of a file keeping its size, then puts its modification
/// time back: only the change time (which no user can set) tells.
fn edit_in_place_keeping_mtime(path: &std::path::Path) {
    let meta = std::fs::metadata(path).unwrap();
    let mtime = meta.modified().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let edited = text.replace("ADD COLUMN c int", "ADD COLUMN d int");
    assert_eq!(edited.len(), text.len());
    std::fs::write(path, edited).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(mtime).unwrap();
    assert_eq!(std::fs::metadata(path).unwrap().len(), meta.len());
}

#[test]
fn an_edit_that_keeps_size_and_mtime_is_still_seen() {
    let (p, path) = warm();
    p.run(&["status", "--exit-code"]).ok();
    p.run(&["apply"]).ok().says("nothing to apply");
    edit_in_place_keeping_mtime(&path);
    p.run(&["status", "--exit-code"]).code(1).says("modified");
    p.run(&["apply"]).code(1).says("applied-modified");
    p.run(&["check"]).code(1).says("ledger-mismatch");
    // And again, now that the cache holds the edited file.
    std::thread::sleep(Duration::from_millis(30));
    p.run(&["status", "--exit-code"]).code(1).says("modified");
}

#[test]
fn a_warm_check_reports_exactly_what_a_cold_one_does() {
    let (p, path) = warm();
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "CREATE INDEX a_b ON a (b);\nDROP TABLE a;\n",
    )
    .unwrap();
    let cold = p.run(&["--no-cache", "check", "--format", "json"]);
    let first = p.run(&["check", "--format", "json"]);
    std::thread::sleep(Duration::from_millis(30));
    let warm = p.run(&["check", "--format", "json"]);
    assert_eq!(cold.stdout, first.stdout);
    assert_eq!(cold.stdout, warm.stdout);
    assert!(cold.stdout.contains("\"rule\""), "{}", cold.stdout);
    assert_eq!(cold.code, warm.code);

    // [rules] overrides apply on top of cached findings.
    let rules = cold.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(rules.contains(&"drop-table".to_string()), "{rules:?}");
    let mut toml = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    toml.push_str("\n[rules]\ndrop-table = \"off\"\n");
    std::fs::write(p.path().join("sluice.toml"), &toml).unwrap();
    p.run(&["check", "--format", "json"])
        .never_says("drop-table");

    // A [policy] change invalidates the analysis.
    toml.push_str("\n[policy]\nadditive_only = true\n");
    std::fs::write(p.path().join("sluice.toml"), &toml).unwrap();
    let with_policy = p.run(&["check", "--format", "json"]);
    let cold_policy = p.run(&["--no-cache", "check", "--format", "json"]);
    assert_eq!(with_policy.stdout, cold_policy.stdout);
}

#[test]
fn a_corrupt_or_foreign_cache_is_an_empty_one() {
    let (p, path) = warm();
    let cache = p.path().join(".sluice/cache");
    let expected = p
        .run(&["--no-cache", "check", "--format", "json"])
        .stdout
        .clone();
    for junk in [&b"{not json"[..], b"", b"{\"format\": 99, \"entries\": {}}"] {
        std::fs::write(cache.join("catalog.json"), junk).unwrap();
        std::fs::write(cache.join("check.json"), junk).unwrap();
        assert_eq!(p.run(&["check", "--format", "json"]).stdout, expected);
        p.run(&["status", "--exit-code"]).ok();
    }
    // The cache rebuilt after the junk still sees an edit.
    std::thread::sleep(Duration::from_millis(30));
    p.run(&["status"]).ok();
    edit_in_place_keeping_mtime(&path);
    p.run(&["apply"]).code(1).says("applied-modified");
}

#[test]
fn no_cache_writes_nothing_and_a_read_only_cache_dir_is_not_an_error() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.run(&["--no-cache", "hash", "-q"]).ok();
    p.run(&["--no-cache", "check"]).ok();
    p.run_env(&["apply"], &[("SLUICE_NO_CACHE", "1")]).ok();
    assert!(!p.path().join(".sluice").exists());
    // `.sluice/cache` is a file: the cache cannot be written, commands work.
    std::fs::create_dir_all(p.path().join(".sluice")).unwrap();
    std::fs::write(p.path().join(".sluice/cache"), "").unwrap();
    p.run(&["check"]).ok();
    p.run(&["status", "--exit-code"]).ok();
}

#[test]
fn pending_migrations_from_the_cache_are_read_before_they_run() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration(
        "1000000000002",
        "b",
        "CREATE TABLE b (id int);\n\n-- sluice:down\nDROP TABLE b; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
    std::thread::sleep(Duration::from_millis(30));
    p.run(&["check"]).ok();
    std::thread::sleep(Duration::from_millis(30));
    // Both files are cache hits now (never read by this process until run).
    p.run(&["apply"]).ok();
    let tables = common::sqlite_column(
        &p.path().join("dev.db"),
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b') ORDER BY name",
    );
    assert_eq!(tables, ["a", "b"]);
    p.run(&["down"]).ok();
    let tables = common::sqlite_column(
        &p.path().join("dev.db"),
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b') ORDER BY name",
    );
    assert_eq!(tables, ["a"]);
}

#[test]
fn the_cache_directory_ignores_itself_in_git() {
    let (p, _) = warm();
    let ignore = std::fs::read_to_string(p.path().join(".sluice/cache/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
}

/// The warm-equals-cold tests above would pass if the caches were never read.
/// Forged entries show that they are, and that each is keyed as documented: a
/// forged catalog entry is believed while the file's stamp is unchanged (which
/// is why CI runs from a fresh checkout, docs/cache.md), a forged analysis
/// entry while the file's checksum is unchanged.
#[test]
fn the_caches_are_read_and_keyed_as_documented() {
    let (p, _) = warm();
    std::thread::sleep(Duration::from_millis(30));
    p.run(&["check"]).ok();
    let cache = p.path().join(".sluice/cache");
    let edit_json = |file: &str, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(cache.join(file)).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(cache.join(file), serde_json::to_vec(&v).unwrap()).unwrap();
    };

    // Catalog: drop TITLE from b's cached header block.
    edit_json("catalog.json", &|v| {
        let entries = v["entries"].as_object_mut().unwrap();
        let (_, e) = entries
            .iter_mut()
            .find(|(k, _)| k.ends_with("_b.sql"))
            .expect("b is cached");
        let head = e[2].as_str().unwrap().replace("-- TITLE: b\n", "");
        e[2] = head.into();
    });
    p.run(&["check"])
        .code(1)
        .says("header-missing")
        .says("TITLE");
    p.run(&["--no-cache", "check"]).ok();

    // Analysis: add a finding to a's cached analysis.
    edit_json("check.json", &|v| {
        let entries = v["entries"].as_object_mut().unwrap();
        let (_, e) = entries
            .iter_mut()
            .find(|(k, _)| k.ends_with("_a.sql"))
            .expect("a is analysed and cached");
        e["diagnostics"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "rule": "drop-table", "severity": "error",
                "path": "db/migrations/1000000000001_a.sql", "line": 1, "column": 1,
                "message": "FORGED FINDING", "help": "none"
            }));
    });
    p.run(&["--no-cache", "check"]).ok().never_says("FORGED");
    p.run(&["check"]).code(1).says("FORGED FINDING");
    // A changed file has another checksum: the forged entry no longer applies.
    let a = p.migrations().join("1000000000001_a.sql");
    std::fs::write(&a, std::fs::read_to_string(&a).unwrap() + "-- edited\n").unwrap();
    p.run(&["check"]).never_says("FORGED");
}
