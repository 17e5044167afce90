//! MySQL/MariaDB as a backend, through the real binary on the real MariaDB
//! server (`127.0.0.1:3306`): DDL commits itself there, so every migration
//! runs statement by statement with progress recorded after each.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn project(db: &MyDb, extra_env: &str) -> Project {
    let url = db.url();
    Project::new(&format!(
        "[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"{url}\"\nallow_down = true\nlock_timeout = \"2s\"\nlock_wait = \"60s\"\n{extra_env}\n[environments.staging]\nurl = \"{url}\"\n\n[environments.production]\nurl = \"{url}\"\napprovals = {{ low = 1, medium = 1, high = 2 }}\n"
    ))
}

fn two_migrations(p: &Project) {
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255));\n-- sluice:down\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.migration(
        "1000000000002",
        "users_email",
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(64);\nCREATE INDEX users_email ON users (email);\n-- sluice:down\nDROP INDEX users_email ON users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\nALTER TABLE users DROP COLUMN nickname; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.hash();
}

fn tables(db: &MyDb) -> Vec<String> {
    db.column(&format!(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' ORDER BY 1",
        db.name
    ))
}

/// apply, a second apply that does nothing, status, down from the down
/// section, apply again; history and audit as on Postgres.
#[test]
fn mysql_lifecycle_on_mariadb() {
    let db = MyDb::create();
    let p = project(&db, "");
    two_migrations(&p);
    p.run(&["check"]).ok();
    p.run(&["apply"]).ok().says("applied 2 migrations");
    assert_eq!(tables(&db), ["sluice_audit", "sluice_history", "users"]);
    assert_eq!(
        db.column("SELECT CONCAT(version, ':', status, ':', statements_applied) FROM sluice_history ORDER BY version"),
        ["1000000000001:applied:1", "1000000000002:applied:2"]
    );
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    p.run(&["down"]).ok().says("reverted");
    assert_eq!(
        db.scalar(&format!("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND COLUMN_NAME = 'nickname'", db.name)),
        "0"
    );
    p.run(&["apply"]).ok().says("applied 1 migration");
    assert_eq!(
        db.column("SELECT event FROM sluice_audit ORDER BY id"),
        ["apply", "apply", "down", "apply"]
    );
    let doc = p.run(&["status", "--format", "json"]).json();
    assert_eq!(doc["summary"]["applied"], 2);
}

/// A statement that fails part-way through a migration: the statements
/// before it stay (MySQL committed them), the migration is dirty at the
/// failing statement, nothing after it runs, and `resolve` settles it.
#[test]
fn mysql_failure_midway_is_dirty_at_the_failing_statement() {
    let db = MyDb::create();
    let p = project(&db, "");
    p.migration(
        "1000000000001",
        "three",
        "CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);\n",
    );
    p.migration(
        "1000000000002",
        "after",
        "CREATE TABLE c (id INT PRIMARY KEY);\n",
    );
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("missing_table")
        .says("statement 3");
    assert_eq!(
        db.scalar("SELECT CONCAT(status, ':', statements_applied, '/', statements_total) FROM sluice_history WHERE version = '1000000000001'"),
        "dirty:2/3"
    );
    assert_eq!(tables(&db), ["a", "b", "sluice_audit", "sluice_history"]);
    p.run(&["apply"]).code(1).says("dirty-state");
    db.exec("DROP TABLE a, b");
    p.run(&[
        "resolve",
        "1000000000001",
        "--rolled-back",
        "--reason",
        "tables dropped by hand",
    ])
    .ok();
    p.run(&["status"]).says("pending");
}

/// Concurrent applies on one database: each migration runs exactly once
/// (GET_LOCK serialises them), whatever the number of processes.
#[test]
fn mysql_concurrent_applies_run_each_migration_once() {
    for n in [2usize, 8] {
        let db = MyDb::create();
        let p = project(&db, "");
        two_migrations(&p);
        let children: Vec<_> = (0..n)
            .map(|_| {
                p.command(&["apply"], &[])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(
            db.column("SELECT CONCAT(version, ':', COUNT(*)) FROM sluice_audit WHERE event = 'apply' GROUP BY version ORDER BY version"),
            ["1000000000001:1", "1000000000002:1"],
            "{n} processes"
        );
    }
}

/// kill -9 of sluice during a slow statement: the lock goes with the
/// session, the migration is dirty (never applied), and once resolved the
/// next apply completes.
#[test]
fn mysql_kill_during_a_slow_migration_leaves_no_stale_lock() {
    let db = MyDb::create();
    let p = project(&db, "");
    p.migration(
        "1000000000001",
        "slow",
        "CREATE TABLE s (id INT PRIMARY KEY);\nSELECT SLEEP(3);\nCREATE TABLE t (id INT PRIMARY KEY);\n",
    );
    p.hash();
    let mut child = p.command(&["apply"], &[]).spawn().unwrap();
    let start = Instant::now();
    while db.scalar(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'",
    ) != "1"
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never reached the slow statement"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        db.scalar("SELECT status FROM sluice_history WHERE version = '1000000000001'"),
        "dirty"
    );
    p.run(&[
        "resolve",
        "1000000000001",
        "--rolled-back",
        "--reason",
        "killed; table s dropped",
    ])
    .ok();
    db.exec("DROP TABLE s");
    // The killed session's lock is gone once the server ends it.
    p.run(&["apply"]).ok().says("applied 1 migration");
    assert_eq!(tables(&db), ["s", "sluice_audit", "sluice_history", "t"]);
}

/// A metadata lock held by another session: the ALTER waits
/// `lock_wait_timeout`, fails with 1205, and is retried, naming the session
/// that blocks it; once that session commits, the migration applies.
#[test]
fn mysql_lock_wait_is_retried_naming_the_blocker() {
    let db = MyDb::create();
    let p = project(&db, "lock_retries = 8\n");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    p.migration(
        "1000000000002",
        "nickname",
        "ALTER TABLE users ADD COLUMN nickname VARCHAR(64);\n",
    );
    p.hash();
    let mut holder = db.conn();
    let held = std::thread::spawn(move || {
        use mysql::prelude::Queryable;
        holder.query_drop("START TRANSACTION").unwrap();
        let _: Vec<mysql::Row> = holder.query("SELECT * FROM users").unwrap();
        std::thread::sleep(Duration::from_millis(3500));
        holder.query_drop("COMMIT").unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    p.run(&["apply"])
        .ok()
        .says("lock timeout at statement 1 of 1")
        .says("blocked by pid")
        .says("end it with KILL PID")
        .says("retrying in");
    held.join().unwrap();
    assert_eq!(
        db.scalar("SELECT status FROM sluice_history WHERE version = '1000000000002'"),
        "applied"
    );
}

/// Approvals gate production; down is refused where allow_down is off.
#[test]
fn mysql_gates_approvals_and_down() {
    let db = MyDb::create();
    let p = project(&db, "");
    two_migrations(&p);
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("approval-missing");
    assert!(tables(&db).iter().all(|t| t != "users"));
    for v in ["1000000000001", "1000000000002"] {
        p.run(&[
            "approve",
            v,
            "--env",
            "production",
            "--by",
            "alice",
            "--ref",
            "OPS-1",
        ])
        .ok();
    }
    p.run(&["apply", "--env", "production"])
        .ok()
        .says("applied 2 migrations");
    p.run(&["down", "--env", "staging"])
        .code(1)
        .says("downgrade-forbidden");
}

/// Passwords in `mysql://` and `mariadb://` URLs never reach output: the
/// connection error names the environment and its URL, redacted.
#[test]
fn mysql_url_passwords_are_redacted() {
    let db = MyDb::create();
    for (url, shown) in [
        (
            format!("mysql://root:Sup3rS3cret@127.0.0.1:1/{}", db.name),
            "mysql://root:***@127.0.0.1:1/",
        ),
        (
            format!("mariadb://root:Sup3rS3cret@127.0.0.1:3306/{}", db.name),
            "mariadb://root:***@127.0.0.1:3306/",
        ),
    ] {
        let p = Project::new(&format!(
            "[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"{url}\"\n"
        ));
        p.run(&["status"])
            .code(2)
            .says("cannot open the database of environment `dev`")
            .says(shown)
            .never_says("Sup3rS3cret")
            .never_says("DriverError");
    }
}

/// `[environments.X] session` sets session variables on the migration
/// session: a history written for `sql_mode = ANSI_QUOTES` applies, and
/// sluice's own bookkeeping stays right under that mode.
#[test]
fn mysql_session_settings_apply_to_the_migration_session() {
    let db = MyDb::create();
    let p = project(
        &db,
        "session = { sql_mode = \"ANSI_QUOTES,STRICT_TRANS_TABLES\" }\n",
    );
    p.migration(
        "1000000000001",
        "quoted",
        "CREATE TABLE \"quoted\" (id INT PRIMARY KEY, note VARCHAR(20));\nINSERT INTO quoted VALUES (1, 'it''s a\\\\b');\n",
    );
    p.hash();
    p.run(&["apply"]).ok().says("applied 1 migration");
    assert_eq!(db.scalar("SELECT note FROM quoted"), "it's a\\b");
    // Without it, the same file fails at its first statement.
    let other = MyDb::create();
    let q = project(&other, "");
    q.migration(
        "1000000000001",
        "quoted",
        "CREATE TABLE \"quoted\" (id INT PRIMARY KEY);\n",
    );
    q.hash();
    q.run(&["apply"]).code(2).says("statement 1");
    // A bad variable name is a configuration error naming it.
    let r = project(&other, "session = { \"sql_mode; DROP\" = \"x\" }\n");
    r.run(&["status"]).code(2).says("is not a variable name");
}

/// `check` with `dialect = "mysql"` reads each statement with a MySQL
/// grammar: a typo is a `syntax-error` at its file and line, and valid MySQL
/// (backticks, ENGINE options, `#` comments) is not.
#[test]
fn mysql_check_reports_syntax_errors() {
    let p = Project::new("[migrations]\ndialect = \"mysql\"\n");
    p.migration(
        "1000000000001",
        "ok",
        "# a MySQL comment\nCREATE TABLE `users` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n",
    );
    p.hash();
    p.run(&["check"]).ok();
    p.migration("1000000000002", "typo", "CREATE TABLEE posts (id INT);\n");
    p.hash();
    p.run(&["check"])
        .code(1)
        .says("error[syntax-error]")
        .says("TABLEE")
        .says("db/migrations/1000000000002_typo.sql:7");
}

/// ORY Hydra's real MySQL history, in place in the golang-migrate layout
/// (each version's `.mysql.up.sql`, else its neutral `.up.sql`): `check`
/// raises no syntax error, and `apply` on MariaDB runs every migration
/// MariaDB accepts, stopping at the first MySQL-only one (`CAST(... AS
/// JSON)`) with its file, line and the server's message; `status` is exact.
#[test]
fn hydra_mysql_history_on_mariadb() {
    // apply refuses error findings of pending migrations, as plan does: a
    // team taking over Hydra's released history accepts its findings in
    // `[rules]` (or bypasses each statement).
    const HYDRA_ACCEPTED: &str = "[rules]\ncolumn-type-change = \"warn\"\ndelete-without-where = \"warn\"\ndrop-column = \"warn\"\ndrop-constraint = \"warn\"\ndrop-index = \"warn\"\ndrop-table = \"warn\"\nrename-column = \"warn\"\nrename-table = \"warn\"\n";
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/ory-hydra/migrations");
    let db = MyDb::create();
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"golang-migrate\"\ndir = \"migrations\"\ndialect = \"mysql\"\n\n[policy]\nrequire_header = []\n\n{HYDRA_ACCEPTED}\n[environments.dev]\nurl = \"{}\"\n",
        db.url()
    ));
    let dir = p.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".up.sql"))
        .collect();
    names.sort();
    let mut chosen: std::collections::BTreeMap<String, String> = Default::default();
    for f in &names {
        let stem = f.split('.').next().unwrap().to_string();
        let dialect = f
            .trim_end_matches(".up.sql")
            .split('.')
            .skip(1)
            .find(|p| ["mysql", "postgres", "sqlite", "cockroach"].contains(p));
        match dialect {
            Some("mysql") => {
                chosen.insert(stem, f.clone());
            }
            None => {
                chosen.entry(stem).or_insert_with(|| f.clone());
            }
            _ => {}
        }
    }
    for f in chosen.values() {
        std::fs::copy(corpus.join(f), dir.join(f)).unwrap();
    }
    p.hash();
    p.run(&["check", "--format", "json"])
        .never_says("syntax-error");
    let r = p.run(&["apply"]);
    r.code(2)
        .says("20220513000001000001_string_slice_json.mysql.up.sql")
        .says("statement 1");
    let applied = db.scalar("SELECT COUNT(*) FROM sluice_history WHERE status = 'applied'");
    assert_eq!(applied, "183", "{}", r.stderr);
    let doc = p.run(&["status", "--format", "json"]).json();
    assert_eq!(doc["summary"]["applied"], 183, "{doc}");
    assert_eq!(doc["summary"]["dirty"], 1, "{doc}");
    assert_eq!(doc["summary"]["pending"], chosen.len() - 184, "{doc}");
    // A team that names its server gets the refusal from `check`, before
    // anything runs: with dialect = "mariadb", the same MySQL-only
    // statement is a syntax error at its file and line, and nothing else
    // in the history is.
    let config = std::fs::read_to_string(p.path().join("sluice.toml"))
        .unwrap()
        .replace("dialect = \"mysql\"", "dialect = \"mariadb\"");
    p.raw("sluice.toml", config.as_bytes());
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let errors: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "syntax-error")
        .map(|d| format!("{}:{}", d["path"].as_str().unwrap(), d["line"]))
        .collect();
    assert!(!errors.is_empty(), "{doc}");
    assert!(
        errors
            .iter()
            .all(|e| e.contains("string_slice_json.mysql.up.sql")),
        "{errors:?}"
    );
    assert!(
        errors.contains(
            &"migrations/20220513000001000001_string_slice_json.mysql.up.sql:4".to_string()
        ),
        "{errors:?}"
    );
}

/// `dialect = "mysql"` and `"mariadb"` tell `check` which server the
/// statements are for: each refuses what only the other accepts, with what
/// to write instead; identifiers longer than 64 characters are refused by
/// both servers.
#[test]
fn mysql_and_mariadb_dialects_know_their_servers() {
    let p = Project::new(
        "[migrations]\ndialect = \"mariadb\"\n\n[environments.dev]\nurl = \"mariadb://root@127.0.0.1:3306/unused\"\n",
    );
    p.migration(
        "1000000000001",
        "maria",
        "CREATE TABLE t (id INT PRIMARY KEY, doc TEXT);\nALTER TABLE t ADD COLUMN IF NOT EXISTS n INT NULL;\nCREATE INDEX IF NOT EXISTS t_n ON t (n);\n",
    );
    p.hash();
    p.run(&["check"]).ok().never_says("syntax-error");
    p.raw(
        "sluice.toml",
        b"[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"mysql://root@127.0.0.1:3306/unused\"\n",
    );
    p.run(&["check"])
        .code(1)
        .says(
            "error[syntax-error]: IF [NOT] EXISTS on a column, index or constraint is MariaDB-only",
        )
        .says("1000000000001_maria.sql:8:1")
        .says("CREATE INDEX IF NOT EXISTS is MariaDB-only");
    std::fs::remove_file(p.migrations().join("1000000000001_maria.sql")).unwrap();
    let long = "c".repeat(65);
    p.migration(
        "1000000000002",
        "json",
        &format!("CREATE TABLE t (id INT PRIMARY KEY, doc JSON);\nSELECT CAST('[]' AS JSON);\nALTER TABLE t ADD COLUMN {long} INT NULL;\n"),
    );
    p.hash();
    let r = p.run(&["check"]);
    r.code(1)
        .says("is 65 characters: MySQL rejects names longer than 64 (error 1059)")
        .says("1000000000002_json.sql:9:1");
    assert_eq!(r.stdout.matches("syntax-error").count(), 1, "{}", r.stdout);
    p.raw(
        "sluice.toml",
        b"[migrations]\ndialect = \"mariadb\"\n\n[environments.dev]\nurl = \"mariadb://root@127.0.0.1:3306/unused\"\n",
    );
    p.run(&["check"])
        .code(1)
        .says("CAST(... AS JSON) is MySQL-only")
        .says("1000000000002_json.sql:8:1")
        .says("MariaDB rejects names longer than 64");
}

/// `plan` on MariaDB replays on a scratch database of the target's own
/// server (up → down → up, a second apply, status) and leaves the target
/// untouched; `snapshot` and `verify` read the schema from
/// `information_schema`, and a change made by hand is drift.
#[test]
fn mysql_plan_and_verify_on_mariadb() {
    let db = MyDb::create();
    let p = project(&db, "");
    two_migrations(&p);
    let r = p.run(&["plan"]);
    r.ok()
        .says("second apply is a no-op: yes")
        .says("online-DDL algorithm and lock level are probed")
        .says("ALGORITHM=INSTANT, LOCK=NONE on users")
        .never_says("held until it commits")
        .never_says("SQLite");
    assert!(tables(&db).is_empty(), "{:?}", tables(&db));
    // This plan's scratch database is gone (other tests' may exist now).
    let scratch = r
        .stdout
        .split("replay on scratch database ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("the scratch database's name")
        .to_string();
    assert!(db
        .column(&format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{scratch}'"
        ))
        .is_empty());
    p.run(&["apply"]).ok();
    p.run(&["verify"]).ok().says("no drift");
    p.run(&["snapshot"]).ok();
    let snap = std::fs::read_to_string(p.path().join("db/schema/snapshot.json")).unwrap();
    assert!(
        snap.contains("users_email") && snap.contains("\"dialect\": \"mysql\""),
        "{snap}"
    );
    db.exec("ALTER TABLE users ADD COLUMN bio TEXT");
    p.run(&["verify"]).code(1).says("bio");
}

/// An ALTER TABLE that copies a table with rows: `check` names the algorithm
/// and lock level, `plan` asks the server itself (on a copy of the table on
/// the scratch database), shows the table's size from
/// information_schema.TABLES and what stays applied if the DDL after a data
/// change fails; an explicit ALGORITHM=INPLACE is honoured.
#[test]
fn mysql_online_ddl_algorithm_in_check_and_plan() {
    let db = MyDb::create();
    let p = project(&db, "");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(255), plan VARCHAR(20));\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    db.exec("INSERT INTO users VALUES (1, 'a@x', NULL), (2, 'b@x', 'pro')");
    let high = |body: &str| {
        let text = header("1000000000002", "narrow_email")
            .replace("RISK_LEVEL: Low", "RISK_LEVEL: High")
            // users has rows: a narrowing states its data strategy.
            + "-- DATA_STRATEGY: every email checked to fit 100 characters (ADR-7)\n"
            + body;
        p.raw(
            "db/migrations/1000000000002_narrow_email.sql",
            text.as_bytes(),
        );
        p.hash();
    };
    high("UPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users MODIFY email VARCHAR(100) NOT NULL; -- CI:DESTRUCTIVE_OK ADR-7 emails are short\nALTER TABLE users ADD COLUMN nickname VARCHAR(64);\n");
    p.run(&["check"])
        .ok()
        .never_says("ACCESS EXCLUSIVE")
        .says("mysql-table-copy")
        .says("runs ALGORITHM=COPY with LOCK=SHARED (MODIFY `email` (its definition))")
        .says("mysql-ddl-in-transaction")
        .says("commits the rows changed from line 8");
    p.run(&["plan"])
        .ok()
        .says("ALGORITHM=COPY, LOCK=SHARED on users")
        .says("if ALTER TABLE at line 9 fails, these stay applied (DDL commits itself): line 8: UPDATE")
        .says("risk High")
        // The generated inverse is MySQL's: no IF EXISTS on columns.
        .says("ALTER TABLE users DROP COLUMN nickname;  -- undoes line 10");
    let json = p.run(&["plan", "--format", "json"]).ok().stdout.clone();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let size = v["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["relation"] == "users")
        .unwrap_or_else(|| panic!("no size for users: {json}"));
    assert_eq!(
        size["statements"][0]["mode"], "ALGORITHM=COPY, LOCK=SHARED",
        "{size}"
    );
    assert_eq!(size["statements"][0]["work"], "rewrite", "{size}");
    // The probe ran on the scratch database's copy: the target is untouched.
    assert_eq!(
        db.column("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' ORDER BY ORDINAL_POSITION"),
        ["id", "email", "plan"]
    );
    // Saying INPLACE makes the server refuse instead of copying: check is
    // quiet about the copy, plan's replay shows the refusal.
    high("ALTER TABLE users MODIFY email VARCHAR(100) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE; -- CI:DESTRUCTIVE_OK ADR-7 emails are short\n");
    p.run(&["check"]).ok().never_says("mysql-table-copy");
    p.run(&["plan"])
        .code(1)
        .says("ALGORITHM=INPLACE is not supported");
}

/// Out-of-band changes on MariaDB: `verify` finds them, `adopt` writes them
/// as a retroactive migration of MySQL DDL (tables, columns, indexes,
/// foreign keys, views, triggers, routines) and records it adopted, after
/// which `verify` is clean and a fresh database that applies every
/// migration ends equal to the target (`diff` says so).
#[test]
fn mysql_verify_adopt_verify_on_mariadb() {
    let db = MyDb::create();
    let p = project(&db, "");
    two_migrations(&p);
    p.run(&["apply"]).ok();
    db.exec(
        "ALTER TABLE users ADD COLUMN bio TEXT NULL, MODIFY email VARCHAR(200) NOT NULL DEFAULT ''",
    );
    db.exec("CREATE TABLE `Audit Log` (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id BIGINT NOT NULL, note VARCHAR(40) DEFAULT 'it''s', KEY audit_user (user_id), CONSTRAINT audit_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)");
    db.exec("CREATE VIEW user_emails AS SELECT id, email FROM users");
    db.exec("CREATE TRIGGER users_bio BEFORE INSERT ON users FOR EACH ROW SET NEW.bio = COALESCE(NEW.bio, '')");
    db.exec("CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2");
    db.exec("DROP INDEX users_email ON users");
    let out = p.run(&["verify"]);
    out.code(1)
        .says("column main.users.bio: not expected")
        .says("table main.Audit Log: not expected")
        .says("index main.users.users_email: missing");
    p.run(&["adopt", "--name", "hotfix", "--incident", "INC-9"])
        .ok()
        .says("on `dev`");
    let file = std::fs::read_dir(p.migrations())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.to_string_lossy().contains("hotfix"))
        .expect("the retroactive migration");
    let text = std::fs::read_to_string(&file).unwrap();
    for want in [
        "CREATE TABLE `Audit Log` (",
        "ALTER TABLE `users` ADD COLUMN `bio` text COLLATE utf8mb4_general_ci NULL",
        "ALTER TABLE `users` DROP INDEX `users_email`;",
        "ALTER TABLE `users` MODIFY COLUMN `email` varchar(200) COLLATE utf8mb4_general_ci NOT NULL DEFAULT '';  -- CI:DESTRUCTIVE_OK INC-9",
        "ADD CONSTRAINT `audit_user_fk` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`)",
        "CREATE VIEW `user_emails` AS",
        "CREATE TRIGGER `users_bio` BEFORE INSERT ON `users` FOR EACH ROW",
        "CREATE FUNCTION `twice`(`n` int(11)) RETURNS int(11) DETERMINISTIC",
    ] {
        assert!(text.contains(want), "{want}\n---\n{text}");
    }
    assert!(!text.contains('"'), "no Postgres quoting: {text}");
    p.run(&["verify"]).ok().says("no drift");
    p.run(&["check"]).ok();
    p.run(&["apply"]).ok().says("nothing to apply");
    assert_eq!(
        db.scalar("SELECT status FROM sluice_history WHERE name = 'hotfix'"),
        "adopted"
    );
    // A fresh database built from the migrations, adopted one included,
    // ends equal to the target.
    let fresh = MyDb::create();
    p.run(&["apply", "-q", "--url", &fresh.url()]).ok();
    p.run(&["diff", "--from", &fresh.url(), "--to", &db.url()])
        .ok()
        .says("the schemas are the same");
    fresh.exec("ALTER TABLE users DROP COLUMN bio");
    p.run(&["diff", "--from", &fresh.url(), "--to", &db.url()])
        .code(1)
        .says("ALTER TABLE `users` ADD COLUMN `bio` text COLLATE utf8mb4_general_ci NULL AFTER `nickname`;");
}

/// The statement rules judge MySQL statements from the MySQL syntax tree:
/// data loss, renames, type changes, a NOT NULL column without a default
/// (existing rows get the type's implicit default), a DELETE without WHERE,
/// each in a multi-part ALTER TABLE whose types hold commas.
#[test]
fn mysql_statement_rules_fire_on_the_syntax_tree() {
    let p = Project::new(
        "[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"mysql://root@127.0.0.1:3306/unused\"\n",
    );
    p.migration(
        "1000000000001",
        "changes",
        "ALTER TABLE orders ADD COLUMN price DECIMAL(10,2) NOT NULL, DROP COLUMN legacy;\nALTER TABLE users MODIFY email VARCHAR(100);\nRENAME TABLE carts TO baskets;\nDELETE FROM sessions;\nDROP TABLE a, b;\n",
    );
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let got: Vec<(String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for (rule, line) in [
        ("not-null-without-default", 7),
        ("drop-column", 7),
        ("mysql-table-copy", 8),
        ("column-type-change", 8),
        ("rename-table", 9),
        ("delete-without-where", 10),
        ("drop-table", 11),
    ] {
        assert!(
            got.contains(&(rule.to_string(), line)),
            "{rule} at {line}: {got:?}"
        );
    }
    // Both tables of `DROP TABLE a, b` are drops.
    assert_eq!(
        got.iter().filter(|(r, _)| r == "drop-table").count(),
        2,
        "{got:?}"
    );
    let msg = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "not-null-without-default")
        .unwrap()["message"]
        .to_string();
    assert!(msg.contains("implicit default"), "{msg}");
}

/// sluice runs MySQL migrations statement by statement, recording progress
/// after each: a migration's own START TRANSACTION … COMMIT would hold those
/// records, so `check` reports it and `apply` refuses it before running
/// anything.
#[test]
fn mysql_transaction_control_in_a_migration_is_refused() {
    let db = MyDb::create();
    let p = project(&db, "");
    p.migration(
        "1000000000001",
        "own_tx",
        "CREATE TABLE plans (id INT PRIMARY KEY);\nSTART TRANSACTION;\nINSERT INTO plans VALUES (1);\nCOMMIT;\n",
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
    assert!(
        !tables(&db).contains(&"plans".to_string()),
        "{:?}",
        tables(&db)
    );
}

/// The lock's name is derived from the database: a run holding the lock on
/// one database does not block a run on another database of the same server.
#[test]
fn mysql_lock_is_per_database() {
    let (a, b) = (MyDb::create(), MyDb::create());
    let pa = project(&a, "");
    pa.migration("1000000000001", "slow", "SELECT SLEEP(3);\n");
    pa.hash();
    let pb = Project::new(&format!(
        "[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"{}\"\nlock_wait = \"1s\"\n",
        b.url()
    ));
    two_migrations(&pb);
    let mut slow = pa.command(&["apply"], &[]).spawn().unwrap();
    let start = Instant::now();
    while a.scalar(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'",
    ) != "1"
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never reached the slow statement"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    pb.run(&["apply"]).ok().says("applied 2 migrations");
    // The same database is locked: a second run there waits, then gives up.
    let pa2 = Project::new(&format!(
        "[migrations]\ndialect = \"mysql\"\n\n[environments.dev]\nurl = \"{}\"\nlock_wait = \"1s\"\n",
        a.url()
    ));
    pa2.run(&["status"]).ok();
    std::fs::copy(
        pa.migrations().join("1000000000001_slow.sql"),
        pa2.migrations().join("1000000000001_slow.sql"),
    )
    .unwrap();
    pa2.hash();
    pa2.run(&["apply"]).code(2).says("migration lock");
    assert!(slow.wait().unwrap().success());
}

/// The data-loss gate asks MariaDB itself whether a table has rows
/// (backtick-quoted names), and a dropped column of a non-empty table needs
/// the header's DATA_STRATEGY.
#[test]
fn mysql_data_loss_gate_reads_rows() {
    let db = MyDb::create();
    let p = project(&db, "");
    two_migrations(&p);
    p.run(&["apply"]).ok();
    db.exec("INSERT INTO users (id, email) VALUES (1, 'a@example.com')");
    let m = p.migration(
        "1000000000003",
        "drop_nickname",
        "ALTER TABLE users DROP COLUMN nickname; -- CI:DESTRUCTIVE_OK ADR-2 unused\n",
    );
    set_risk(&m, "High");
    p.hash();
    p.run(&["apply"])
        .code(1)
        .says("DROP COLUMN users.nickname loses data: users holds rows on `dev`");
    db.exec("DELETE FROM users");
    p.run(&["apply"]).ok().says("applied 1 migration");
}

/// `reset` on MariaDB: the connection's database emptied of everything but
/// sluice's tables (foreign keys off while it drops), every migration
/// applied again.
#[test]
fn mysql_reset_drops_and_reapplies() {
    let db = MyDb::create();
    let p = project(&db, "allow_reset = true\n");
    two_migrations(&p);
    p.run(&["apply"]).ok();
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY, user_id BIGINT, FOREIGN KEY (user_id) REFERENCES users (id))");
    db.exec("INSERT INTO users (id, email) VALUES (1, 'a@example.com')");
    db.exec("INSERT INTO orders VALUES (1, 1)");
    p.run(&["reset"])
        .ok()
        .says("forgot 2 applied migrations")
        .says("applied 2 migrations");
    assert_eq!(tables(&db), ["sluice_audit", "sluice_history", "users"]);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM users"), "0");
}
