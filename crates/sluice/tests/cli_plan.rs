//! `sluice plan` (and `apply --dry-run`) with the real binary: scratch replay on
//! a real Postgres server and on SQLite files, observed locks, size estimates,
//! the rollback guide, and the scratch database gone on every path.
//!
//! The tests that count scratch databases on the server hold `SERIAL`, so
//! another plan in this binary cannot create one while they look.

mod common;
use common::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Scratch databases on the server (any process).
fn scratch_databases(db: &PgDb) -> Vec<String> {
    db.column(
        "SELECT datname FROM pg_database WHERE datname LIKE 'sluice\\_scratch\\_%' ORDER BY 1",
    )
}

/// Waits (at most 30 s) until a scratch database exists on the server.
fn wait_for_scratch(db: &PgDb) {
    let start = Instant::now();
    while scratch_databases(db).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no scratch database appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`-INT`, `-TERM`) to a process.
fn kill(signal: &str, pid: u32) {
    std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
}

/// What the target looks like: tables, columns, indexes, constraints, history
/// and audit rows. A plan must leave all of it unchanged.
fn target_state(db: &PgDb) -> Vec<String> {
    let mut s = db.column(
        "SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
    );
    s.extend(db.column("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"));
    s.extend(db.column(
        "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
    ));
    s.extend(db.column("SELECT version || ':' || status FROM sluice_history ORDER BY 1"));
    s.push(db.scalar("SELECT count(*) FROM sluice_audit"));
    s
}

fn users_project(db: &PgDb) -> Project {
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n-- sluice:down\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    db.client()
        .batch_execute(
            "INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 5000) g; ANALYZE users;",
        )
        .unwrap();
    p
}

fn lock_of(plan: &serde_json::Value, line: u64) -> &serde_json::Value {
    plan["locks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == line)
        .unwrap_or_else(|| panic!("no locks for line {line}: {plan:#}"))
}

fn has_lock(entry: &serde_json::Value, relation: &str, mode: &str, acquired: bool) -> bool {
    entry["locks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["relation"] == relation && l["mode"] == mode && l["acquired"] == acquired)
}

#[test]
fn plan_observes_locks_estimates_sizes_and_leaves_the_target_alone() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    // Header lines 1-6; statements on lines 7, 8, 9.
    p.migration(
        "1000000000002",
        "nick_email_check",
        "ALTER TABLE users ADD COLUMN nick text;\nCREATE INDEX users_email ON users (email);\nALTER TABLE users ADD CONSTRAINT users_nick_len CHECK (length(nick) < 40);\n",
    );
    set_risk(
        &p.migrations().join("1000000000002_nick_email_check.sql"),
        "Medium",
    );
    p.hash();
    let before = target_state(&db);
    let scratch_before = scratch_databases(&db);

    let out = p.run(&["plan", "--format", "json"]);
    out.ok();
    let plan = out.json();
    assert_eq!(plan["command"], "plan");
    assert_eq!(plan["outcome"], "would-apply");
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["pending"][0]["version"], "1000000000002");
    assert_eq!(plan["pending"][0]["computed_risk"], "Medium");
    assert_eq!(plan["applied"], 1);

    // Observed per statement, from pg_locks on the scratch database.
    assert!(
        has_lock(lock_of(&plan, 7), "users", "AccessExclusiveLock", true),
        "{plan:#}"
    );
    assert!(
        has_lock(lock_of(&plan, 8), "users", "ShareLock", true),
        "{plan:#}"
    );
    assert!(
        has_lock(lock_of(&plan, 9), "users", "AccessExclusiveLock", false),
        "the constraint needs the lock the ADD COLUMN already holds: {plan:#}"
    );
    assert!(lock_of(&plan, 8)["locks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["relation"] == "users_email" && l["created"] == true));

    // Sizes from the target.
    let users = plan["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["relation"] == "users")
        .expect("users size");
    assert_eq!(users["rows"], 5000);
    assert!(users["bytes"].as_i64().unwrap() > 100_000, "{users}");
    let works: Vec<&str> = users["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["work"].as_str().unwrap())
        .collect();
    assert_eq!(works, ["lock", "scan", "scan"]);

    // Replay proofs.
    let r = &plan["replay"];
    assert_eq!(r["performed"], true);
    assert_eq!(r["replayed_applied"], 1);
    assert_eq!(r["applies"], true);
    assert_eq!(r["second_apply_noop"], true);
    assert_eq!(r["status_clean"], true);
    assert_eq!(r["dropped"], true);

    // Rollback guide: generated, newest statement first.
    let g = &plan["rollback"][0];
    assert_eq!(g["kind"], "generated");
    let sql = g["sql"].as_str().unwrap();
    let drop_con = sql
        .find("DROP CONSTRAINT IF EXISTS users_nick_len")
        .unwrap();
    let drop_idx = sql
        .find("DROP INDEX CONCURRENTLY IF EXISTS users_email")
        .unwrap();
    let drop_col = sql.find("DROP COLUMN IF EXISTS nick").unwrap();
    assert!(drop_con < drop_idx && drop_idx < drop_col, "{sql}");

    // Nothing changed on the target or in the server's database list.
    assert_eq!(target_state(&db), before);
    assert_eq!(scratch_databases(&db), scratch_before);

    // Text and Markdown say the same.
    p.run(&["plan"])
        .ok()
        .says("→ ShareLock on users")
        .says("→ AccessExclusiveLock on users")
        .says("users: ~5000 rows")
        .says("second apply is a no-op: yes")
        .says("would apply 1 migration to `dev`");
    p.run(&["plan", "--format", "markdown"])
        .ok()
        .says("## Locks")
        .says("## Rollback guide")
        .says("DROP INDEX CONCURRENTLY IF EXISTS users_email");
    // apply --dry-run is the plan, and stops before the target.
    p.run(&["apply", "--dry-run"])
        .ok()
        .says("→ ShareLock on users");
    assert_eq!(target_state(&db), before);

    // The evidence file records the plan.
    let ev = p.evidence();
    let runs = ev["runs"].as_array().expect("runs");
    let last = runs
        .iter()
        .rev()
        .find(|r| r["command"] == "plan")
        .expect("a plan run");
    assert_eq!(last["outcome"], "would-apply");
    assert_eq!(last["details"]["replay"]["second_apply_noop"], true);
}

#[test]
fn a_pending_migration_that_fails_is_caught_by_the_plan() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    p.migration(
        "1000000000002",
        "broken",
        "ALTER TABLE users ADD COLUMN nick text;\nCREATE INDEX users_nick ON users (nickname);\n",
    );
    p.hash();
    let before = target_state(&db);
    p.run(&["plan"])
        .code(1)
        .says("replay-failed")
        .says("1000000000002_broken.sql:8")
        .says("column \"nickname\" does not exist")
        .says("pending apply: NO");
    let plan = p.run(&["plan", "--format", "json"]).json();
    assert_eq!(plan["outcome"], "blocked");
    assert_eq!(plan["replay"]["failure"]["line"], 8);
    assert_eq!(plan["replay"]["failure"]["phase"], "pending");
    assert!(plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "replay-failed" && f["line"] == 8));
    assert_eq!(target_state(&db), before);
    assert!(scratch_databases(&db).is_empty());
}

#[test]
fn an_applied_migration_that_no_longer_replays_is_reported() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    // Someone created `audit_log` by hand; a later migration depends on it.
    db.client()
        .batch_execute("CREATE TABLE audit_log (id int)")
        .unwrap();
    let idx = p.migration(
        "1000000000002",
        "audit_idx",
        "CREATE INDEX audit_log_id ON audit_log (id);\n",
    );
    // An index on an existing table is Medium (apply refuses an understated risk).
    set_risk(&idx, "Medium");
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.migration(
        "1000000000003",
        "more",
        "ALTER TABLE users ADD COLUMN x int;\n",
    );
    p.hash();
    p.run(&["plan"])
        .code(1)
        .says("is applied on `dev` but fails on an empty database")
        .says("audit_log");
}

#[test]
fn up_down_up_must_return_to_the_same_schema() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    p.migration(
        "1000000000002",
        "good_down",
        "CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n-- sluice:down\nDROP TABLE a; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.migration(
        "1000000000003",
        "bad_down",
        "CREATE TABLE b (id int);\nCREATE TABLE c (id int);\n-- sluice:down\nDROP TABLE b; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
    let out = p.run(&["plan", "--format", "json"]);
    out.code(1);
    let plan = out.json();
    let checks = plan["replay"]["down_checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0]["restores_previous_schema"], true);
    assert_eq!(checks[0]["reapply_same_schema"], true);
    assert_eq!(checks[1]["restores_previous_schema"], false);
    assert!(
        checks[1]["differences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d
                .as_str()
                .unwrap()
                .starts_with("table public.c: not expected")),
        "{plan:#}"
    );
    // Up again fails: c already exists.
    assert!(plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "rollback-mismatch"));
    p.run(&["plan"])
        .code(1)
        .says("does not return the schema to what it was before")
        .says("up → down → up 1000000000002: same schema");
}

#[test]
fn an_interrupted_plan_drops_its_scratch_database() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    p.migration("1000000000002", "slow", "SELECT pg_sleep(60);\n");
    p.hash();
    let before = target_state(&db);
    for signal in ["-INT", "-TERM"] {
        let mut child = p.command(&["plan"], &[]).spawn().unwrap();
        let start = Instant::now();
        wait_for_scratch(&db);
        // Let the replay reach pg_sleep.
        std::thread::sleep(Duration::from_millis(500));
        kill(signal, child.id());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{signal}");
        assert!(start.elapsed() < Duration::from_secs(30));
        assert!(
            scratch_databases(&db).is_empty(),
            "{signal}: scratch left behind"
        );
    }
    assert_eq!(target_state(&db), before);
}

#[test]
fn a_killed_plans_scratch_database_is_dropped_by_the_next_plan() {
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    p.migration("1000000000002", "slow", "SELECT pg_sleep(60);\n");
    p.hash();
    let mut child = p.command(&["plan"], &[]).spawn().unwrap();
    let start = Instant::now();
    while scratch_databases(&db).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    let left = scratch_databases(&db);
    assert_eq!(left.len(), 1, "kill -9 leaves it behind");
    // Its backend notices the dead client (client_connection_check_interval).
    let start = Instant::now();
    while db.scalar(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}'",
        left[0]
    )) != "0"
    {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::write(
        p.migrations().join("1000000000002_slow.sql"),
        format!("{}SELECT 1;\n", header("1000000000002", "slow")),
    )
    .unwrap();
    p.hash();
    p.run(&["plan", "-q"]).ok();
    assert!(scratch_databases(&db).is_empty());
}

#[test]
fn production_needs_a_scratch_url_and_never_replays_on_its_own_server() {
    let _s = serial();
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.production]\nurl = \"{}\"\napprovals = {{ low = 0, medium = 0, high = 0 }}\n",
        db.url_with_password("hunter2")
    ));
    p.migration("1000000000001", "t", "CREATE TABLE t (id int);\n");
    p.hash();
    p.run(&["plan", "--env", "production"])
        .code(2)
        .says("production-like and has no scratch_url")
        .never_says("hunter2");
    p.run(&["plan", "--env", "production", "--no-replay"])
        .ok()
        .says("replay: skipped (--no-replay)");
    // scratch_url names a server: the replay runs there.
    let scratch = pg_admin_url().replace("postgres@", "postgres:s3cret@");
    let out = p.run_env(
        &["plan", "--env", "production", "--format", "json"],
        &[("SCRATCH_DATABASE_URL", &scratch)],
    );
    out.code(2).says("scratch_url"); // not configured yet: the flag or the key is needed
    std::fs::write(
        p.path().join("sluice.toml"),
        format!(
            "[migrations]\ndialect = \"postgres\"\n\n[environments.production]\nurl = \"{}\"\napprovals = {{ low = 0, medium = 0, high = 0 }}\nscratch_url = \"${{SCRATCH_DATABASE_URL}}\"\n",
            db.url_with_password("hunter2")
        ),
    )
    .unwrap();
    let out = p.run_env(
        &["plan", "--env", "production", "--format", "json"],
        &[("SCRATCH_DATABASE_URL", &scratch)],
    );
    out.ok().never_says("s3cret").never_says("hunter2");
    let plan = out.json();
    assert_eq!(plan["replay"]["applies"], true);
    assert!(plan["replay"]["scratch"]
        .as_str()
        .unwrap()
        .contains("postgres:***@"));
    assert_eq!(db.scalar("SELECT to_regclass('t') IS NULL"), "t");
}

#[test]
fn plan_on_sqlite_replays_into_a_temporary_file() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n-- sluice:down\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.migration(
        "1000000000002",
        "nick",
        "ALTER TABLE users ADD COLUMN nick TEXT;\nCREATE INDEX users_nick ON users (nick);\n",
    );
    p.hash();
    let out = p.run(&["plan", "--format", "json"]);
    out.ok();
    let plan = out.json();
    let r = &plan["replay"];
    assert_eq!(r["backend"], "sqlite");
    assert_eq!(r["applies"], true);
    assert_eq!(r["second_apply_noop"], true);
    assert_eq!(r["status_clean"], true);
    assert!(r["notes"][0]
        .as_str()
        .unwrap()
        .contains("locks are not observed"));
    let scratch = r["scratch"].as_str().unwrap();
    assert!(!std::path::Path::new(scratch).exists(), "{scratch} removed");
    assert_eq!(plan["locks"][0]["observed"], false);
    assert_eq!(plan["sizes"].as_array().unwrap().len(), 0);
    assert_eq!(plan["rollback"][0]["kind"], "generated");
    assert!(plan["rollback"][0]["sql"]
        .as_str()
        .unwrap()
        .starts_with("DROP INDEX IF EXISTS users_nick;"));
    // The target is unchanged.
    assert_eq!(
        sqlite_column(
            &p.path().join("dev.db"),
            "SELECT version FROM sluice_history"
        ),
        ["1000000000001"]
    );
    // A failing migration blocks, naming file and line.
    p.migration(
        "1000000000003",
        "bad",
        "ALTER TABLE nope ADD COLUMN x TEXT;\n",
    );
    p.hash();
    p.run(&["plan"])
        .code(1)
        .says("replay-failed")
        .says("1000000000003_bad.sql:7")
        .says("no such table: nope");
    p.run(&["apply", "--dry-run"]).code(1).says("replay-failed");
}

/// The `plan` JSON document is public interface: its shape is pinned.
#[test]
fn plan_json_shape_is_pinned() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n-- sluice:down\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.migration(
        "1000000000002",
        "nick",
        "ALTER TABLE users ADD COLUMN nick TEXT;\nUPDATE users SET nick = email;\n",
    );
    p.hash();
    p.run(&["apply", "-q", "--to", "1000000000001"]).ok();
    let mut plan = p.run(&["plan", "--format", "json"]).json();
    plan["run_id"] = "<redacted>".into();
    plan["replay"]["scratch"] = "<scratch>".into();
    plan["replay"]["duration_ms"] = 0.into();
    insta::assert_json_snapshot!(plan);
}

#[test]
fn an_early_interrupt_never_leaves_a_scratch_database_or_claims_a_drop_it_did_not_do() {
    // A signal while CREATE DATABASE was still in flight used to send a drop
    // that was a no-op; the create then committed and was left behind, while
    // the process said it had been dropped.
    let _s = serial();
    let db = PgDb::create();
    let p = users_project(&db);
    p.migration("1000000000002", "slow", "SELECT pg_sleep(60);\n");
    p.hash();
    let mut said_dropped = 0;
    for i in 0..30u64 {
        let child = p
            .command(&["plan"], &[])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(i * 12));
        kill("-INT", child.id());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let left = scratch_databases(&db);
        assert!(
            left.is_empty(),
            "run {i}: scratch left behind: {left:?}\n{stderr}"
        );
        if stderr.contains("the scratch database was dropped") {
            said_dropped += 1;
        }
    }
    eprintln!("{said_dropped} of 30 runs were interrupted after the scratch database existed");
    // And one signal that surely lands once the database exists: the handler
    // says it dropped it, and it is gone.
    let child = p
        .command(&["plan"], &[])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_scratch(&db);
    kill("-INT", child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the scratch database was dropped"),
        "{stderr}"
    );
    assert!(scratch_databases(&db).is_empty());
}
