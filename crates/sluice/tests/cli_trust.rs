//! Durability and honest reporting: regressions found by trying sluice as an
//! unlucky operator would (issue: trust). Each test is named after what broke.

mod common;
use common::{sqlite_column, PgDb, Project};

/// The body line `n` (1-based) of a migration written by `Project::migration`
/// (the header takes six lines).
fn body_line(n: usize) -> String {
    (6 + n).to_string()
}

#[test]
fn commit_inside_a_transactional_migration_is_refused_before_anything_runs() {
    let db = PgDb::create();
    for (stmt, name) in [
        ("COMMIT", "commit"),
        ("ABORT", "abort"),
        ("ROLLBACK AND CHAIN", "rollback_chain"),
        ("END", "end_"),
        ("BEGIN", "begin_"),
        ("ROLLBACK", "rollback"),
    ] {
        let p = Project::postgres(&db.url());
        p.migration(
            "1000000000001",
            name,
            &format!("CREATE TABLE a (id int);\n{stmt};\nCREATE TABLE b (id int);\nSELECT 1/0;\n"),
        );
        p.hash();
        let r = p.run(&["apply"]);
        r.code(1)
            .says("transaction-nesting")
            .says(&format!(
                "db/migrations/1000000000001_{name}.sql:{}",
                body_line(2)
            ))
            .never_says("nothing of it was applied");
        assert_eq!(
            db.scalar("SELECT to_regclass('a') IS NULL"),
            "t",
            "{stmt}: a ran"
        );
        let applied = db.column("SELECT count(*) FROM sluice_history WHERE status <> 'failed'");
        assert!(
            applied.is_empty() || applied == ["0"],
            "{stmt}: {applied:?}"
        );
        // plan refuses it too, without replaying it.
        let r = p.run(&["plan"]);
        r.code(1).says("transaction-nesting");
    }
}

/// A `-- sluice:no-transaction` migration runs statement by statement with
/// progress recorded after each: its own BEGIN … COMMIT would hold those
/// records. `check` reports it and `apply` refuses it before running
/// anything.
#[test]
fn begin_inside_a_no_transaction_migration_is_refused() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "own_tx",
        "-- sluice:no-transaction\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
    );
    p.hash();
    p.run(&["check"])
        .code(1)
        .says("transaction-nesting")
        .says("runs statement by statement");
    p.run(&["apply"])
        .code(1)
        .says("transaction-nesting")
        .says("nothing was run");
    assert_eq!(db.scalar("SELECT to_regclass('a') IS NULL"), "t");
}

#[test]
fn commit_in_a_down_section_is_refused_by_down() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id int);\n-- sluice:down\nDROP TABLE t;\nCOMMIT;\n",
    );
    p.hash();
    // `check` reports it as well; apply of the up section is fine.
    p.run(&["apply"]).ok();
    p.run(&["down"]).code(1).says("transaction-nesting");
    assert_eq!(
        sqlite_column(
            &p.path().join("dev.db"),
            "SELECT count(*) FROM sqlite_master WHERE name = 't'"
        ),
        ["1"]
    );
}

#[test]
fn commit_inside_a_transactional_sqlite_migration_is_refused() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    );
    p.hash();
    p.run(&["apply"]).code(1).says("transaction-nesting");
    assert_eq!(
        sqlite_column(
            &p.path().join("dev.db"),
            "SELECT count(*) FROM sqlite_master WHERE name = 'a'"
        ),
        ["0"]
    );
}

#[test]
fn a_line_comment_before_the_separator_does_not_swallow_it() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE a (id int) -- the table\n;\nALTER TABLE a ADD COLUMN b int -- a column\n;\nINSERT INTO a VALUES (1, 2) -- a row\n;\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    assert_eq!(db.scalar("SELECT b FROM a"), "2");
    p.run(&["status", "--exit-code"]).ok();
}

#[test]
fn verify_against_refuses_json_that_is_not_a_snapshot() {
    let p = Project::sqlite();
    p.migration("1000000000001", "t", "CREATE TABLE t (id int);\n");
    p.hash();
    p.run(&["apply"]).ok();
    for (name, text) in [
        ("empty.json", "{}"),
        ("array.json", "[]"),
        (
            "package.json",
            "{\"name\": \"app\", \"version\": \"1.0.0\"}",
        ),
        ("nodialect.json", "{\"snapshot_version\": 1}"),
        (
            "extra.json",
            "{\"snapshot_version\": 1, \"dialect\": \"sqlite\", \"entries\": []}",
        ),
    ] {
        p.raw(name, text.as_bytes());
        p.run(&["verify", "--against", name])
            .code(2)
            .says(name)
            .says("sluice snapshot")
            .never_says("no drift");
    }
    for other in [
        "db/migrations/checksums.json",
        ".artifacts/deploy/nogit/migration.json",
    ] {
        p.run(&["verify", "--against", other]).code(2).says(other);
    }
    // A real snapshot still verifies.
    p.run(&["snapshot", "--out", "snap.json"]).ok();
    p.run(&["verify", "--against", "snap.json"]).ok();
}

#[test]
fn generated_ddl_quotes_every_keyword_used_as_a_name() {
    let from = PgDb::create();
    let to = PgDb::create();
    to.client()
        .batch_execute(
            "CREATE TABLE \"order\" (\"create\" int PRIMARY KEY, \"for\" text, \"on\" int, \"window\" int, \"grant\" int, \"between\" int, \"left\" int, abort int);
             CREATE INDEX \"select\" ON \"order\" (\"window\");
             CREATE VIEW \"user\" AS SELECT \"create\", \"for\" FROM \"order\";",
        )
        .unwrap();
    let p = Project::postgres(&from.url());
    let r = p.run(&["diff", "--from", &from.url(), "--to", &to.url()]);
    r.code(1); // differences, as diff(1) says
               // The DDL runs on the server, and afterwards there is nothing to diff.
    from.client()
        .batch_execute(&r.stdout)
        .unwrap_or_else(|e| panic!("generated DDL fails: {e}\n{}", r.stdout));
    let again = p.run(&["diff", "--from", &from.url(), "--to", &to.url()]);
    again.ok();
    assert!(
        !again.stdout.contains("CREATE") && !again.stdout.contains("ALTER"),
        "{}",
        again.stdout
    );
}

#[test]
fn text_output_of_many_findings_in_one_file_quotes_each_line() {
    // Rendering used to re-scan the file for every finding (quadratic: 40,000
    // findings took 6.7 s as text). Each excerpt must still be its own line.
    let p = Project::new("[migrations]\ndialect = \"postgres\"\n");
    let body: String = (1..=5000).map(|i| format!("DROP TABLE t{i};\n")).collect();
    p.migration("1000000000001", "t", &body);
    p.hash();
    let r = p.run(&["check", "--no-cache"]);
    r.code(1);
    for i in [1usize, 2500, 5000] {
        let line = 6 + i;
        assert!(
            r.stdout.contains(&format!("{line} | DROP TABLE t{i};\n")),
            "no excerpt for line {line}"
        );
    }
}

#[test]
fn concurrent_runs_never_lose_an_evidence_record() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    for i in 1..=4 {
        p.migration(
            &format!("100000000000{i}"),
            &format!("t{i}"),
            &format!("CREATE TABLE t{i} (id int);\n"),
        );
    }
    p.hash();
    // 4 applies and 12 statuses at once: every one of them is recorded.
    let children: Vec<_> = (0..16)
        .map(|i| {
            let args: &[&str] = if i % 4 == 0 {
                &["apply", "-q"]
            } else {
                &["status", "-q"]
            };
            p.command(args, &[]).spawn().expect("spawn sluice")
        })
        .collect();
    for mut c in children {
        c.wait().unwrap();
    }
    let runs = p.evidence()["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 16, "evidence records lost");
    let applies = runs.iter().filter(|r| r["command"] == "apply").count();
    assert_eq!(applies, 4);
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE status = 'applied'"),
        "4"
    );
}

#[test]
fn an_unreadable_evidence_file_is_moved_aside_not_overwritten() {
    let p = Project::sqlite();
    p.raw(".artifacts/deploy/nogit/migration.json", b"{ truncated");
    p.run(&["status"]).ok().says("moved it to");
    assert_eq!(p.evidence()["runs"].as_array().unwrap().len(), 1);
    let aside = std::fs::read_dir(p.path().join(".artifacts/deploy/nogit"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
        .count();
    assert_eq!(aside, 1);
}

#[test]
fn plan_does_not_warn_missing_lock_timeout_when_the_environment_sets_it() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"{}\"\nlock_timeout = \"2s\"\n\n[environments.staging]\nurl = \"{}\"\n",
        db.url(),
        db.url()
    ));
    p.migration("1000000000001", "t", "CREATE TABLE t (id int);\n");
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.migration("1000000000002", "c", "ALTER TABLE t ADD COLUMN b int;\n");
    p.hash();
    p.run(&["plan", "--env", "dev"])
        .ok()
        .never_says("missing-lock-timeout");
    // staging is production-like: it has lock_timeout 5s by default.
    p.run(&["plan", "--env", "staging", "--no-replay"])
        .never_says("missing-lock-timeout");
}

#[test]
fn the_suggested_resolve_command_shell_quotes_the_environment() {
    let p = Project::new(
        "[migrations]\ndialect = \"sqlite\"\n\n[environments.\"eu west\"]\nurl = \"sqlite://dev.db\"\n",
    );
    p.migration(
        "1000000000001",
        "t",
        "-- sluice:no-transaction\nCREATE TABLE a (id int);\nSELECT * FROM nope;\n",
    );
    p.hash();
    p.run(&["apply", "--env", "eu west"])
        .code(2)
        .says("sluice resolve 1000000000001 --env 'eu west' --applied");
}
