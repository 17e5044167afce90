//! The runner against a real PostgreSQL server: one database per test.

mod common;
use common::*;
use std::time::{Duration, Instant};

#[test]
fn apply_status_down_resolve_on_postgres() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);\nCREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n  NEW.email := lower(NEW.email); -- a ; inside a body\n  RETURN NEW;\nEND\n$fn$;\nDO $$ BEGIN PERFORM 1; END $$;\n-- sluice:down\nDROP FUNCTION touch(); -- CI:DESTRUCTIVE_OK ADR-1 reversal\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.migration(
        "1000000000002",
        "users_email_idx",
        "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCREATE INDEX CONCURRENTLY users_id_email_idx ON users (id, email);\n-- sluice:down\nDROP INDEX CONCURRENTLY users_id_email_idx; -- CI:DESTRUCTIVE_OK ADR-1 reversal\nDROP INDEX CONCURRENTLY users_email_idx; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
    p.run(&["check"]).ok();
    p.run(&["apply"])
        .ok()
        .says("1000000000002_users_email_idx  ok");
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'users_%email_idx'"),
        "2"
    );
    assert_eq!(
        db.column("SELECT version || ':' || status || ':' || statements_applied || '/' || statements_total FROM sluice_history ORDER BY version"),
        ["1000000000001:applied:3/3", "1000000000002:applied:2/2"]
    );
    assert_eq!(db.scalar("SELECT count(*) FROM sluice_history WHERE execution_ms >= 0 AND tool_version <> '' AND run_id <> ''"), "2");
    p.run(&["apply"]).ok().says("nothing to apply");
    let st = p
        .run(&["status", "--format", "json", "--exit-code"])
        .ok()
        .json();
    assert_eq!(st["summary"]["applied"], 2);
    p.run(&["down"]).ok();
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'users_%email_idx'"),
        "0"
    );
    p.run(&["down"]).ok();
    assert_eq!(db.scalar("SELECT to_regclass('users') IS NULL"), "t");
    assert_eq!(
        db.column("SELECT event FROM sluice_audit ORDER BY id"),
        ["apply", "apply", "down", "down"]
    );
    p.run(&["down", "--env", "staging"])
        .code(1)
        .says("downgrade-forbidden");
    assert_eq!(
        db.scalar("SELECT event FROM sluice_audit ORDER BY id DESC LIMIT 1"),
        "refusal"
    );
}

#[test]
fn failing_no_transaction_migration_is_dirty_at_the_right_statement_on_postgres() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id int, v text);\nINSERT INTO t VALUES (1, 'x'), (1, 'y');\n",
    );
    p.migration(
        "1000000000002",
        "idx",
        "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY t_v_idx ON t (v);\nCREATE UNIQUE INDEX CONCURRENTLY t_id_key ON t (id);\nCREATE INDEX CONCURRENTLY t_never_idx ON t (id, v);\n",
    );
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("statement 2 of 3 (line 9)")
        .says("now dirty")
        .says("sluice resolve 1000000000002 --env dev");
    assert_eq!(db.scalar("SELECT status || ':' || statements_applied FROM sluice_history WHERE version = '1000000000002'"), "dirty:1");
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_v_idx'"),
        "1"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_never_idx'"),
        "0"
    );
    p.run(&["apply"])
        .code(1)
        .says("dirty-state")
        .says("sluice resolve 1000000000002");
    // The operator cleans up (the failed unique build leaves an invalid index) and resolves.
    db.client()
        .batch_execute("DROP INDEX t_v_idx; DROP INDEX IF EXISTS t_id_key")
        .unwrap();
    p.run(&[
        "resolve",
        "1000000000002",
        "--rolled-back",
        "--reason",
        "INC-42 duplicate ids; indexes dropped",
    ])
    .ok();
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE version = '1000000000002'"),
        "0"
    );
    assert_eq!(
        db.scalar("SELECT reason FROM sluice_audit WHERE event = 'resolve'"),
        "INC-42 duplicate ids; indexes dropped"
    );
    assert_eq!(
        db.scalar("SELECT details->>'previous_status' FROM sluice_audit WHERE event = 'resolve'"),
        "dirty"
    );
}

#[test]
fn kill_9_during_a_slow_migration_leaves_nothing_half_done() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration("1000000000001", "t", "CREATE TABLE t (id int);\n");
    p.migration(
        "1000000000002",
        "slow",
        "INSERT INTO t VALUES (1);\nSELECT pg_sleep(3);\nINSERT INTO t VALUES (2);\n",
    );
    p.hash();
    let mut child = p.command(&["apply", "-q"], &[]).spawn().unwrap();
    // Wait until the slow statement is running on the server.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = db.scalar(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()",
            db.name
        ));
        if n != "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slow migration never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE version = '1000000000002'"),
        "0"
    );
    // The next apply waits for the dead session's lock to go, then completes.
    p.run(&["apply"]).ok().says("1000000000002_slow  ok");
    assert_eq!(db.column("SELECT id FROM t ORDER BY id"), ["1", "2"]);
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE status = 'applied'"),
        "2"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        "0"
    );
}

#[test]
fn lock_wait_is_bounded_and_timeouts_are_set_on_the_session() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[environments.dev]\nurl = \"{}\"\nlock_timeout = \"1234ms\"\nstatement_timeout = \"20s\"\nlock_wait = \"30s\"\n",
        db.url()
    ));
    p.migration(
        "1000000000001",
        "settings",
        "DO $$ BEGIN\n  IF current_setting('lock_timeout') <> '1234ms' OR current_setting('statement_timeout') <> '20s' THEN\n    RAISE EXCEPTION 'timeouts not set: % %', current_setting('lock_timeout'), current_setting('statement_timeout');\n  END IF;\nEND $$;\n",
    );
    p.hash();
    // Hold sluice's advisory lock from another session: apply waits, then gives up.
    let mut holder = db.client();
    let sluice_key = sluice_db::postgres::lock_key("public");
    holder
        .batch_execute(&format!("SELECT pg_advisory_lock({sluice_key})"))
        .unwrap();
    // A dry run takes no lock, so it works while another run holds it.
    p.run(&["apply", "--dry-run"])
        .ok()
        .says("would apply 1 migration to `dev`");
    let start = Instant::now();
    p.run_env(&["apply"], &[("MIGRATION_TIMEOUT_SECONDS", "1")])
        .code(2)
        .says("could not take the migration lock within")
        .says("MIGRATION_TIMEOUT_SECONDS");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        db.scalar("SELECT to_regclass('sluice_history') IS NULL"),
        "t",
        "nothing was written"
    );
    holder
        .batch_execute(&format!("SELECT pg_advisory_unlock({sluice_key})"))
        .unwrap();
    p.run(&["apply"]).ok();
}

#[test]
fn unterminated_dollar_quote_is_an_error_before_anything_runs() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration(
        "1000000000002",
        "f",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 1;\nEND;\n",
    );
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("db/migrations/1000000000002_f.sql:7:")
        .says("$body$")
        .says("nothing was run");
    assert_eq!(
        db.scalar("SELECT to_regclass('a') IS NULL AND to_regclass('sluice_history') IS NULL"),
        "t"
    );
}

#[test]
fn passwords_never_reach_output_or_evidence() {
    let db = PgDb::create();
    let secret = "hunter2-s3cret";
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"${APP_DB_URL}\"\n",
    );
    p.migration("1000000000001", "a", "CREATE TABLE a (id int);\n");
    p.migration("1000000000002", "b", "SELECT * FROM missing_table;\n");
    p.hash();
    let url = db.url_with_password(secret);
    let env = [("APP_DB_URL", url.as_str())];
    for args in [
        &["apply", "-v"][..],
        &["apply", "--format", "json"],
        &["status", "-v"],
        &["status", "--format", "json"],
    ] {
        let r = p.run_env(args, &env);
        r.never_says(secret);
        assert!(
            r.stdout.contains("***") || r.stderr.contains("***") || args.contains(&"apply"),
            "{}",
            r.stdout
        );
    }
    // A connection failure that echoes the URL is scrubbed too.
    let bad = format!("postgres://postgres:{secret}@127.0.0.1:1/nope");
    p.run_env(&["status"], &[("APP_DB_URL", bad.as_str())])
        .code(2)
        .never_says(secret);
    let evidence =
        std::fs::read_to_string(p.path().join(".artifacts/deploy/nogit/migration.json")).unwrap();
    assert!(!evidence.contains(secret));
    assert!(evidence.contains("postgres://postgres:***@127.0.0.1:5432/"));
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM sluice_history WHERE error LIKE '%{secret}%'"
        )),
        "0"
    );
    // DATABASE_URL overrides the file.
    p.run_env(&["status", "-v"], &[("DATABASE_URL", url.as_str())])
        .ok()
        .says("url from DATABASE_URL")
        .never_says(secret);
}

/// `[environments.X] session` on Postgres: `search_path` (a list) is set
/// on the migration session, so unqualified tables land in the first schema.
#[test]
fn session_settings_set_search_path_on_postgres() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"{}\"\nsession = {{ search_path = \"app, public\" }}\n",
        db.url()
    ));
    p.migration("1000000000001", "schema", "CREATE SCHEMA app;\n");
    p.migration(
        "1000000000002",
        "t",
        "CREATE TABLE t (id int PRIMARY KEY);\n",
    );
    p.hash();
    p.run(&["apply"]).ok().says("applied 2 migrations");
    assert_eq!(
        db.scalar("SELECT table_schema FROM information_schema.tables WHERE table_name = 't'"),
        "app"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM public.sluice_history"), "2");
}
