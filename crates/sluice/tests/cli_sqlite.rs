//! The whole lifecycle on embedded SQLite, through the real binary.

mod common;
use common::*;

#[test]
fn init_new_check_is_clean_and_new_updates_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project { dir };
    p.run(&["init", "--dialect", "sqlite"])
        .ok()
        .says("created sluice.toml");
    assert!(p.path().join("db/migrations/checksums.json").is_file());
    p.run(&["check"]).ok().says("ok: 0 migrations checked");
    p.run(&["init"]).code(2).says("already exists");
    let out = p
        .run(&["new", "Create users", "--format", "json"])
        .ok()
        .json();
    let rel = out["path"].as_str().unwrap().to_string();
    assert!(regex_like_native(&rel), "{rel}");
    p.run(&["check"])
        .ok()
        .says("ok: 1 migration checked, no findings");
    // Writing low-risk SQL then `hash` keeps check clean.
    let path = p.path().join(&rel);
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "-- Write the forward change here.\n",
        "CREATE TABLE users (id integer PRIMARY KEY, email text);\n",
    );
    std::fs::write(&path, text).unwrap();
    p.run(&["check"]).code(1).says("ledger-mismatch");
    p.hash();
    p.run(&["check"]).ok();
    p.run(&["new", "add_email_index"]).ok();
    p.run(&["check", "--format", "json"]).ok();
    let ledger: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("db/migrations/checksums.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(ledger["migrations"].as_array().unwrap().len(), 2);
    assert_eq!(ledger["normalization"], "strip-utf8-bom+crlf-to-lf/v1");
}

fn regex_like_native(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap();
    name.len() > 14
        && name[..13].bytes().all(|b| b.is_ascii_digit())
        && name[13..].starts_with("_create_users.sql")
}

#[test]
fn apply_status_down_on_sqlite() {
    let p = Project::sqlite();
    p.migration("1000000000001", "create_users", "CREATE TABLE users (id integer PRIMARY KEY, email text);\nINSERT INTO users (email) VALUES ('semi;colon');\n-- sluice:down\nDROP TABLE users;\n");
    p.migration("1000000000002", "create_posts", "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));\n-- sluice:down\nDROP TABLE posts;\n");
    p.hash();
    p.run(&["status", "--exit-code"]).code(1).says("2 pending");
    p.run(&["apply", "--to", "1000000000001"])
        .ok()
        .says("1000000000001_create_users  ok");
    p.run(&["apply"])
        .ok()
        .says("1000000000002_create_posts  ok");
    p.run(&["apply"]).ok().says("nothing to apply");
    let db = p.path().join("dev.db");
    assert_eq!(
        sqlite_column(&db, "SELECT email FROM users"),
        ["semi;colon"]
    );
    assert_eq!(
        sqlite_column(&db, "SELECT status FROM sluice_history ORDER BY version"),
        ["applied", "applied"]
    );
    assert_eq!(
        sqlite_column(
            &db,
            "SELECT statements_applied FROM sluice_history ORDER BY version"
        ),
        ["2", "1"]
    );
    let st = p
        .run(&["status", "--format", "json", "--exit-code"])
        .ok()
        .json();
    assert_eq!(st["schema_version"], 1);
    assert_eq!(st["clean"], true);
    assert_eq!(st["migrations"][1]["state"], "applied");
    assert_eq!(st["migrations"][1]["name"], "create_posts");

    p.run(&["down"])
        .ok()
        .says("1000000000002_create_posts  reverted");
    assert!(sqlite_column(&db, "SELECT name FROM sqlite_master WHERE name = 'posts'").is_empty());
    p.run(&["down", "--to", "0"]).ok();
    assert!(sqlite_column(&db, "SELECT version FROM sluice_history").is_empty());
    let events = sqlite_column(&db, "SELECT event FROM sluice_audit ORDER BY id");
    assert_eq!(events, ["apply", "apply", "down", "down"]);
    // Production-like environments forbid down.
    p.run(&["apply", "--env", "production"]).ok();
    p.run(&["down", "--env", "production"])
        .code(1)
        .says("downgrade-forbidden");
    let prod = p.path().join("prod.db");
    assert_eq!(
        sqlite_column(&prod, "SELECT count(*) FROM sluice_history"),
        ["2"]
    );
    assert_eq!(
        sqlite_column(
            &prod,
            "SELECT event FROM sluice_audit ORDER BY id DESC LIMIT 1"
        ),
        ["refusal"]
    );
}

#[test]
fn forward_only_migrations_are_never_reversed() {
    let p = Project::sqlite();
    p.raw(
        "db/migrations/1000000000001_backfill.sql",
        b"-- MIGRATION_ID: 1000000000001\n-- TITLE: Backfill\n-- CHANGE_TYPE: Data\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: Yes\n-- JUSTIFICATION: data cannot be un-backfilled\n-- ROLLBACK_STRATEGY: restore the users table from the nightly backup\nCREATE TABLE t (id int);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    p.run(&["down"])
        .code(1)
        .says("cannot be reversed")
        .says("restore the users table from the nightly backup");
}

#[test]
fn a_failing_no_transaction_migration_is_dirty_until_resolved() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "steps",
        "-- sluice:no-transaction\nCREATE TABLE a (id int);\nINSERT INTO missing VALUES (1);\nCREATE TABLE b (id int);\n",
    );
    p.migration("1000000000002", "later", "CREATE TABLE later (id int);\n");
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("statement 2 of 3")
        .says("now dirty")
        .says("sluice resolve 1000000000001");
    let db = p.path().join("dev.db");
    assert_eq!(
        sqlite_column(
            &db,
            "SELECT status || ':' || statements_applied FROM sluice_history"
        ),
        ["dirty:1"]
    );
    assert_eq!(
        sqlite_column(
            &db,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b', 'later')"
        ),
        ["1"]
    );
    p.run(&["apply"])
        .code(1)
        .says("dirty-state")
        .says("dirty at statement 2 of 3")
        .says("sluice resolve 1000000000001 --env dev");
    p.run(&["status", "--exit-code"]).code(1).says("dirty");
    p.run(&["resolve", "1000000000001", "--rolled-back"])
        .code(2);
    p.run(&["resolve", "1000000000001", "--rolled-back", "--reason", " "])
        .code(2)
        .says("--reason");
    p.run(&["resolve", "1000000000002", "--applied", "--reason", "x"])
        .code(2)
        .says("no history");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("DROP TABLE a")
        .unwrap();
    p.run(&[
        "resolve",
        "1000000000001",
        "--rolled-back",
        "--reason",
        "dropped the partial table a by hand",
    ])
    .ok();
    let audit = sqlite_column(
        &db,
        "SELECT event || ':' || coalesce(reason, '') FROM sluice_audit WHERE event = 'resolve'",
    );
    assert_eq!(audit, ["resolve:dropped the partial table a by hand"]);
    // After fixing the file, everything applies.
    let path = p.migrations().join("1000000000001_steps.sql");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("INSERT INTO missing VALUES (1);\n", ""),
    )
    .unwrap();
    p.hash();
    p.run(&["apply"]).ok();
    p.run(&["status", "--exit-code"]).ok();
}

#[test]
fn resolve_applied_marks_a_dirty_migration_applied() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "steps",
        "-- sluice:no-transaction\nCREATE TABLE a (id int);\nSELECT * FROM missing;\n",
    );
    p.hash();
    p.run(&["apply"]).code(2);
    p.run(&[
        "resolve",
        "1000000000001",
        "--applied",
        "--reason",
        "finished by hand: INC-7",
    ])
    .ok()
    .says("resolved as applied");
    let db = p.path().join("dev.db");
    assert_eq!(
        sqlite_column(
            &db,
            "SELECT status || ':' || statements_applied FROM sluice_history"
        ),
        ["applied:2"]
    );
    p.run(&["resolve", "1000000000001", "--applied", "--reason", "again"])
        .code(2)
        .says("not dirty");
}

#[test]
fn crlf_and_bom_are_not_modifications_but_one_byte_is() {
    let p = Project::sqlite();
    let path = p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    p.run(&["apply"]).ok();
    let original = std::fs::read(&path).unwrap();
    let mut crlf_bom = b"\xEF\xBB\xBF".to_vec();
    crlf_bom.extend(
        String::from_utf8(original.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    std::fs::write(&path, &crlf_bom).unwrap();
    p.run(&["check"]).ok();
    p.run(&["status", "--exit-code"]).ok();
    p.run(&["apply"]).ok().says("nothing to apply");
    let mut edited = original.clone();
    let i = edited
        .iter()
        .position(|&b| b == b'a' && edited.ends_with(b";\n"))
        .unwrap();
    edited[i] = b'b';
    std::fs::write(&path, &edited).unwrap();
    p.run(&["check"]).code(1).says("ledger-mismatch");
    p.run(&["status", "--exit-code"]).code(1).says("modified");
    p.run(&["apply"]).code(1).says("applied-modified");
}

#[test]
fn applied_missing_and_out_of_order_are_refused() {
    let p = Project::sqlite();
    p.migration("1000000000002", "b", "CREATE TABLE b (id int);\n");
    p.hash();
    p.run(&["apply"]).ok();
    // An older migration lands after a newer one was applied.
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    p.run(&["apply"])
        .code(1)
        .says("out-of-order")
        .says("1000000000001")
        .says("1000000000002");
    let db = p.path().join("dev.db");
    assert!(sqlite_column(&db, "SELECT name FROM sqlite_master WHERE name = 'a'").is_empty());
    // Allowed when configured.
    let cfg = std::fs::read_to_string(p.path().join("sluice.toml"))
        .unwrap()
        .replace(
            "[migrations]\n",
            "[migrations]\nallow_out_of_order = true\n",
        );
    std::fs::write(p.path().join("sluice.toml"), cfg).unwrap();
    p.run(&["apply"]).ok();
    // Deleting an applied migration's file.
    std::fs::remove_file(p.migrations().join("1000000000002_b.sql")).unwrap();
    p.hash();
    p.run(&["apply"])
        .code(1)
        .says("applied-missing")
        .says("1000000000002");
    p.run(&["status", "--format", "json"]).ok();
}

#[test]
fn without_a_config_file_sluice_uses_migrations_and_sluice_db() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project { dir };
    std::fs::create_dir(p.path().join("migrations")).unwrap();
    p.raw(
        "migrations/1000000000001_a.sql",
        format!("{}CREATE TABLE a (id int);\n", header("1000000000001", "a")).as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run(&["check"]).ok();
    p.run(&["apply"]).ok();
    assert!(p.path().join("sluice.db").is_file());
    p.run(&["status", "--env", "staging"])
        .code(2)
        .says("unknown environment `staging`");
}

#[test]
fn malformed_config_is_an_error_naming_the_file_line_and_key() {
    let p = Project::new("[migrations]\ndialect = \"sqlite\"\ndirectory = \"x\"\n");
    p.run(&["check"])
        .code(2)
        .says("sluice.toml")
        .says("line 3")
        .says("directory");
    let p = Project::new("[environments.dev]\nurl = \"sqlite://a.db\"\nlock_timeout = \"soon\"\n");
    p.run(&["status"])
        .code(2)
        .says("[environments.dev] lock_timeout");
    let p = Project::new("[rules]\nmixd-purpose = \"warn\"\n");
    p.run(&["check"])
        .code(2)
        .says("mixd-purpose")
        .says("mixed-purpose");
    let p = Project::new("[environments.prod]\nurl = \"${PROD_URL}\"\n");
    p.run(&["status", "--env", "prod"]).code(2).says("PROD_URL");
    let p = Project::sqlite();
    p.run(&["status", "--env", "qa"])
        .code(2)
        .says("unknown environment `qa`")
        .says("dev, production");
    p.run_env(&["status"], &[("SLUICE_ENV", "nope")])
        .code(2)
        .says("unknown environment `nope`");
}

#[test]
fn non_utf8_migration_is_an_error_with_file_and_line_and_changes_nothing() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    let mut bytes = header("1000000000002", "b").into_bytes();
    bytes.extend(b"INSERT INTO a VALUES (1); -- caf\xe9\n");
    p.raw("db/migrations/1000000000002_b.sql", &bytes);
    p.run(&["check"])
        .code(1)
        .says("error[file-encoding]")
        .says("1000000000002_b.sql:7")
        .says("not valid UTF-8");
    p.run(&["apply"])
        .code(1)
        .says("file-encoding")
        .says("1000000000002_b.sql:7");
    assert!(
        !p.path().join("dev.db").exists()
            || sqlite_column(
                &p.path().join("dev.db"),
                "SELECT count(*) FROM sqlite_master WHERE name = 'a'"
            ) == ["0"]
    );
}

#[test]
fn truncated_ledger_is_an_error_with_file_and_line() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration("1000000000002", "b", "CREATE TABLE b (id int);\n");
    p.hash();
    let ledger = p.migrations().join("checksums.json");
    let text = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(&ledger, &text[..text.len() * 2 / 3]).unwrap();
    let r = p.run(&["check"]);
    r.code(2)
        .says("db/migrations/checksums.json:")
        .says("ledger is not valid");
    assert_eq!(
        std::fs::read_to_string(&ledger).unwrap(),
        text[..text.len() * 2 / 3]
    );
}

#[test]
fn hand_edited_ledger_is_tampered() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration("1000000000002", "b", "CREATE TABLE b (id int);\n");
    p.hash();
    let ledger = p.migrations().join("checksums.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ledger).unwrap()).unwrap();
    doc["migrations"].as_array_mut().unwrap().remove(1);
    std::fs::write(&ledger, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    p.run(&["check", "--format", "json"]).code(1);
    let j = p.run(&["check", "--format", "json"]).json();
    let rules: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"ledger-tampered") && rules.contains(&"ledger-missing"),
        "{rules:?}"
    );
    assert_eq!(j["summary"]["errors"], 2);
    for d in j["diagnostics"].as_array().unwrap() {
        for k in [
            "rule", "severity", "path", "line", "column", "message", "help",
        ] {
            assert!(!d[k].is_null(), "{k} missing in {d}");
        }
    }
}

#[test]
fn check_reports_every_contract_rule_in_text() {
    let p = Project::sqlite();
    let a = p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    p.raw(
        "db/migrations/1000000000001_dup.sql",
        format!("{}SELECT 1;\n", header("1000000000001", "dup")).as_bytes(),
    );
    p.raw(
        "db/migrations/1000000000003_bad.sql",
        b"-- MIGRATION_ID: 42\n-- RISK_LEVEL: Extreme\nSELECT 1;\n",
    );
    p.raw("db/migrations/notes.txt", b"hello");
    std::fs::write(
        &a,
        std::fs::read_to_string(&a)
            .unwrap()
            .replace("id int", "id bigint"),
    )
    .unwrap();
    let r = p.run(&["check"]);
    r.code(1)
        .says("error[filename-contract]")
        .says("error[duplicate-version]")
        .says("error[ledger-mismatch]")
        .says("error[ledger-missing]")
        .says("error[header-missing]")
        .says("error[header-invalid]: MIGRATION_ID 42 is not this file's version 1000000000003")
        .says(" --> db/migrations/1000000000003_bad.sql:2:16")
        .says("= help: use Low, Medium or High");
    // Severity overrides apply.
    let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap()
        + "\n[rules]\nfilename-contract = \"off\"\nheader-missing = \"warn\"\n";
    std::fs::write(p.path().join("sluice.toml"), cfg).unwrap();
    let j = p.run(&["check", "--format", "json"]).json();
    let diags = j["diagnostics"].as_array().unwrap();
    assert!(diags.iter().all(|d| d["rule"] != "filename-contract"));
    assert!(diags
        .iter()
        .filter(|d| d["rule"] == "header-missing")
        .all(|d| d["severity"] == "warn"));
}

#[test]
fn unterminated_quote_stops_apply_before_anything_runs() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration("1000000000002", "b", "INSERT INTO a VALUES ('oops);\n");
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("db/migrations/1000000000002_b.sql:7:23")
        .says("unterminated quoted string")
        .says("nothing was run");
    let db = p.path().join("dev.db");
    assert!(sqlite_column(
        &db,
        "SELECT name FROM sqlite_master WHERE name IN ('a', 'sluice_history')"
    )
    .is_empty());
}

#[test]
fn evidence_is_written_for_database_commands() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    p.run(&["apply"]).ok();
    p.run(&["status"]).ok();
    let ev = p.evidence();
    assert_eq!(ev["git_sha"], "nogit");
    let runs = ev["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["command"], "apply");
    assert_eq!(runs[0]["environment"], "dev");
    assert_eq!(runs[0]["target"], "sqlite://dev.db");
    assert_eq!(runs[0]["migrations"][0]["version"], "1000000000001");
    assert_eq!(
        runs[0]["migrations"][0]["checksum"].as_str().unwrap().len(),
        64
    );
    assert!(runs[0]["migrations"][0]["duration_ms"].is_number());
    assert_eq!(runs[1]["command"], "status");
    // In a git repository the directory is the commit.
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(p.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&[
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    ]);
    let sha = String::from_utf8(
        std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(p.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    p.run(&["status"]).ok();
    assert!(p
        .path()
        .join(format!(".artifacts/deploy/{}/migration.json", sha.trim()))
        .is_file());
}

#[test]
fn sluice_config_names_another_file_and_actor_is_known_without_user() {
    let p = Project::sqlite();
    p.raw("ops/sluice-ci.toml", b"[migrations]\ndir = \"../db/migrations\"\ndialect = \"sqlite\"\n\n[environments.ci]\nurl = \"sqlite://ci.db\"\n");
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.hash();
    let mut cmd = p.command(
        &["apply", "--env", "ci"],
        &[("SLUICE_CONFIG", "ops/sluice-ci.toml")],
    );
    cmd.env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME");
    let out = Run::from(cmd.output().unwrap());
    out.ok();
    // The project root is the config file's directory.
    let db = p.path().join("ops/ci.db");
    let who = sqlite_column(&db, "SELECT applied_by FROM sluice_history");
    assert_eq!(who.len(), 1);
    assert_ne!(who[0], "unknown");
    p.run_env(&["status"], &[("SLUICE_CONFIG", "nope.toml")])
        .code(2)
        .says("nope.toml")
        .says("does not exist");
}

#[test]
fn down_is_refused_only_by_the_migrations_it_would_reverse() {
    let p = Project::sqlite();
    let a = p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n-- sluice:down\nDROP TABLE a; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n");
    p.migration("1000000000002", "b", "CREATE TABLE b (id int);\n-- sluice:down\nDROP TABLE b; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n");
    p.hash();
    p.run(&["apply"]).ok();
    // An edit to an older applied migration does not block reversing the newest...
    std::fs::write(
        &a,
        std::fs::read_to_string(&a)
            .unwrap()
            .replace("id int", "id bigint"),
    )
    .unwrap();
    p.run(&["down"]).ok().says("1000000000002_b  reverted");
    // ...but it blocks reversing that migration itself.
    p.run(&["down"])
        .code(1)
        .says("applied-modified")
        .says("1000000000001");
    let db = p.path().join("dev.db");
    assert_eq!(
        sqlite_column(&db, "SELECT count(*) FROM sqlite_master WHERE name = 'a'"),
        ["1"]
    );
}
