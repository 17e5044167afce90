//! `sluice guard` on real git repositories built in temp dirs.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// git in `dir`, with an identity for commits.
fn git_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).args(args);
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "t"),
        ("GIT_AUTHOR_EMAIL", "t@example.com"),
        ("GIT_COMMITTER_NAME", "t"),
        ("GIT_COMMITTER_EMAIL", "t@example.com"),
    ] {
        c.env(k, v);
    }
    c
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const CONFIG: &str = "[migrations]\ndialect = \"postgres\"\n\n[[guard.signals]]\npaths = [\"app/models/**/*.py\"]\npattern = 'Column\\(|relationship\\(|__tablename__'\n";

/// A repository on `main` with one migration and a model file.
fn repo() -> Project {
    let p = Project::new(CONFIG);
    p.migration("1000000000001", "users", "CREATE TABLE users (id int);\n");
    p.raw(
        "app/models/user model.py",
        b"class User:\n    __tablename__ = 'users'\n    id = Column(Integer)\n",
    );
    p.raw(".gitignore", b".artifacts/\n");
    p.hash();
    git(p.path(), &["init", "-q", "-b", "main"]);
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "base"]);
    git(p.path(), &["tag", "v1"]);
    git(p.path(), &["checkout", "-qb", "feature"]);
    p
}

fn commit(p: &Project, msg: &str) {
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", msg]);
}

#[test]
fn a_clean_change_passes_with_base_as_branch_tag_or_sha() {
    let p = repo();
    p.migration("1000000000002", "orders", "CREATE TABLE orders (id int);\n");
    p.hash();
    commit(&p, "add orders");
    let sha = git(p.path(), &["rev-parse", "main"]);
    for base in ["main", "v1", sha.as_str()] {
        p.run(&["guard", "--base", base, "--head", "HEAD"])
            .ok()
            .says("1 migration added");
    }
}

#[test]
fn modified_renamed_and_deleted_migrations_are_refused() {
    let p = repo();
    let m = p.migrations().join("1000000000001_users.sql");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("id int", "id bigint")).unwrap();
    p.hash();
    commit(&p, "edit");
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("migration-modified")
        .says("db/migrations/1000000000001_users.sql exists on the base and is modified here")
        .says("add a new migration")
        // It counts what it checked (it used to say "in 0 migrations" when
        // the change added none).
        .says("failed: 1 error and 0 warnings in 1 migration");
    git(p.path(), &["checkout", "-q", "main", "--", "db"]);
    commit(&p, "restore");
    p.run(&["guard", "--base", "main"]).ok();
    git(
        p.path(),
        &[
            "mv",
            "db/migrations/1000000000001_users.sql",
            "db/migrations/1000000000001_people.sql",
        ],
    );
    p.hash();
    commit(&p, "rename");
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("is renamed here (to db/migrations/1000000000001_people.sql)");
    git(
        p.path(),
        &["rm", "-q", "db/migrations/1000000000001_people.sql"],
    );
    p.hash();
    commit(&p, "delete");
    p.run(&["guard", "--base", "main", "--format", "json"])
        .code(1)
        .says("\"rule\": \"migration-modified\"")
        .says("is deleted here");
}

#[test]
fn the_merge_race_is_out_of_order() {
    let p = repo();
    p.migration(
        "1000000000003",
        "feature_table",
        "CREATE TABLE f (id int);\n",
    );
    p.hash();
    commit(&p, "feature migration");
    // Meanwhile main gets a newer migration.
    git(p.path(), &["checkout", "-q", "main"]);
    p.migration("1000000000005", "main_table", "CREATE TABLE m (id int);\n");
    p.hash();
    commit(&p, "main migration");
    git(p.path(), &["checkout", "-q", "feature"]);
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("out-of-order")
        .says("migration 1000000000003 is added here, but `main` already has a newer or equal migration 1000000000005")
        .says("re-version it");
    // A merge commit bringing main in does not hide it, and main's own file is not "added" here.
    let merged = git_cmd(p.path(), &["merge", "-q", "--no-edit", "main"])
        .output()
        .unwrap();
    assert!(!merged.status.success(), "the ledger conflicts on purpose");
    git(
        p.path(),
        &[
            "checkout",
            "-q",
            "--theirs",
            "--",
            "db/migrations/checksums.json",
        ],
    );
    p.hash();
    commit(&p, "merge main");
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("migration 1000000000003 is added here")
        .never_says("1000000000005 is added");
}

#[test]
fn the_ledger_at_head_must_verify() {
    let p = repo();
    p.migration("1000000000002", "orders", "CREATE TABLE orders (id int);\n");
    commit(&p, "no hash");
    p.run(&["guard", "--base", "main"]).code(1).says("ledger-");
}

#[test]
fn a_model_change_needs_a_migration_or_a_waiver() {
    let p = repo();
    p.raw(
        "app/models/user model.py",
        b"class User:\n    __tablename__ = 'users'\n    id = Column(Integer)\n    email = Column(String)\n",
    );
    commit(&p, "model");
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("model-change-without-migration")
        .says("app/models/user model.py:4")
        .says("email = Column(String)");
    p.run(&["guard", "--base", "main", "--format", "github"])
        .code(1)
        .says("::error file=app/models/user model.py,line=4");
    // A migration in the same diff satisfies it.
    p.migration(
        "1000000000002",
        "email",
        "ALTER TABLE users ADD COLUMN email text;\n",
    );
    p.hash();
    commit(&p, "migration");
    p.run(&["guard", "--base", "main"]).ok();
}

fn date(offset_days: i64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("{offset_days} days"), "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn waivers_valid_too_long_expired_and_malformed() {
    let p = repo();
    p.raw(
        "app/models/user model.py",
        b"class User:\n    __tablename__ = 'users'\n    id = Column(Integer, doc='the id')\n",
    );
    commit(&p, "doc only");
    p.run(&["guard", "--base", "main"]).code(1);
    let valid = format!(
        "# waivers\napp/models/**/*.py|Column\\(Integer|{}|doc string only, no schema change\n",
        date(10)
    );
    p.raw(".sluice/guard-exceptions.txt", valid.as_bytes());
    p.run(&["guard", "--base", "main"]).ok();

    p.raw(
        ".sluice/guard-exceptions.txt",
        format!("app/models/**/*.py|Column|{}|a long one\n", date(45)).as_bytes(),
    );
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("guard-waiver-invalid")
        .says(".sluice/guard-exceptions.txt:1")
        .says("at most 30 are allowed");
    p.raw(
        ".sluice/guard-exceptions.txt",
        format!("# old\napp/models/**/*.py|Column|{}|done\n", date(-1)).as_bytes(),
    );
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says(".sluice/guard-exceptions.txt:2")
        .says("expired");
    p.raw(
        ".sluice/guard-exceptions.txt",
        b"app/models/**/*.py|Column\n",
    );
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("malformed waiver");
    p.raw(
        ".sluice/guard-exceptions.txt",
        format!("app/models/**/*.py|Column|{}|\n", date(3)).as_bytes(),
    );
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("has no reason");
    p.raw(
        ".sluice/guard-exceptions.txt",
        b"app/models/**/*.py|Column|2026-13-40|x\n",
    );
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("is not a date");
}

#[test]
fn shallow_clones_and_the_default_base() {
    let origin = repo();
    origin.migration("1000000000002", "orders", "CREATE TABLE orders (id int);\n");
    origin.hash();
    commit(&origin, "feature");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    // A full clone: --base defaults to origin/main.
    git(dir.path(), &["clone", "-q", "-b", "feature", &url, "full"]);
    let full = dir.path().join("full");
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(&full)
        .args(["guard"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("base origin/main"));
    // A shallow clone of the feature branch: the base is not there.
    git(
        dir.path(),
        &[
            "clone", "-q", "--depth", "1", "-b", "feature", &url, "shallow",
        ],
    );
    let base_sha = git(origin.path(), &["rev-parse", "main"]);
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .current_dir(dir.path().join("shallow"))
        .args(["guard", "--base", &base_sha])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shallow") && err.contains("fetch"), "{err}");
    // Not a repository at all.
    let plain = Project::new(CONFIG);
    plain
        .run(&["guard", "--base", "main"])
        .code(2)
        .says("not inside a git repository");
}

/// The contract at head is read from git's tree for that commit (no
/// `git archive | tar`), not from the working tree: a ledger fixed only in
/// the working tree does not pass, and an unhashed file only in the working
/// tree does not fail.
#[test]
fn the_contract_at_head_is_read_from_git_not_the_working_tree() {
    let p = repo();
    p.migration("1000000000002", "orders", "CREATE TABLE orders (id int);\n");
    commit(&p, "no hash");
    p.hash(); // fixed in the working tree only
    p.run(&["guard", "--base", "main", "--head", "feature"])
        .code(1)
        .says("ledger-missing")
        .says("db/migrations/1000000000002_orders.sql");

    commit(&p, "hash");
    p.migration("1000000000003", "later", "CREATE TABLE later (id int);\n");
    p.run(&["guard", "--base", "main", "--head", "feature"])
        .code(0);
}

/// `guard --format junit` has one case per changed file (the edited
/// migration fails with `migration-modified`); `--format gitlab` lists the
/// same finding as a Code Quality issue.
#[test]
fn guard_reports_as_junit_and_gitlab() {
    let p = repo();
    let m = p.migrations().join("1000000000001_users.sql");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("id int", "id bigint")).unwrap();
    p.hash();
    commit(&p, "edit");
    let ju = p.run(&["guard", "--base", "main", "--format", "junit"]);
    ju.code(1)
        .says("<testsuite name=\"sluice guard\"")
        .says(
            "<testcase name=\"db/migrations/1000000000001_users.sql\" classname=\"sluice.guard\">",
        )
        .says("<failure type=\"migration-modified\"");
    let gl = p.run(&["guard", "--base", "main", "--format", "gitlab"]);
    gl.code(1);
    let issues: serde_json::Value = serde_json::from_str(&gl.stdout).unwrap();
    assert!(
        issues
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["check_name"] == "migration-modified"
                && i["location"]["path"] == "db/migrations/1000000000001_users.sql"),
        "{issues}"
    );
}
