//! Analysis defects found on real histories, each fixed and pinned through
//! the real binary.

mod common;
use common::*;

/// `REINDEX (CONCURRENTLY false)` is not concurrent and `VACUUM (FULL
/// false)` is not `VACUUM FULL`: option lists are read for their values.
#[test]
fn reindex_concurrently_false_and_vacuum_full_false_are_read_for_their_values() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    p.migration(
        "1000000000001",
        "reindex",
        "REINDEX (CONCURRENTLY false) TABLE orders;\n",
    );
    p.migration(
        "1000000000002",
        "vacuum",
        "-- sluice:no-transaction\nVACUUM (FULL false, ANALYZE) orders;\n",
    );
    p.hash();
    let r = p.run(&["check", "--format", "json"]);
    let doc = r.json();
    let rewrites: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "table-rewrite")
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        rewrites,
        ["db/migrations/1000000000001_reindex.sql"],
        "{doc}"
    );
}

/// SQLite statements are parsed by SQLite itself: `CREATE TABLEE` is a
/// syntax error at its file and line, while names SQLite cannot resolve in
/// an empty database (tables from earlier migrations) are not errors.
#[test]
fn sqlite_syntax_error_is_reported() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "ok",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
    );
    p.migration(
        "1000000000002",
        "typo",
        "ALTER TABLE a ADD COLUMN b TEXT;\nCREATE TABLEE c (id INTEGER);\n",
    );
    p.hash();
    p.run(&["check"])
        .code(1)
        .says("error[syntax-error]: near \"TABLEE\": syntax error (in sqlite SQL)")
        .says("db/migrations/1000000000002_typo.sql:8:1");
    // apply refuses what check and plan call an error, before running
    // anything (it used to run the first migration and fail on the second).
    p.run(&["apply"])
        .code(1)
        .says("near \"TABLEE\": syntax error")
        .says("apply refused on environment `dev`: nothing was changed");
    assert!(
        !p.path().join("dev.db").exists() || {
            let tables = sqlite_column(
                &p.path().join("dev.db"),
                "SELECT name FROM sqlite_master WHERE name = 'a'",
            );
            tables.is_empty()
        }
    );
}

/// `CREATE TABLE IF NOT EXISTS t` before `ALTER TABLE t DROP COLUMN x` used
/// to count `t` as created by the migration, silencing `drop-column`
/// (and `column-type-change`, `drop-constraint`): `check` passed and `apply`
/// dropped the column of the existing table. IF NOT EXISTS creates nothing
/// when the table exists, so the drop is a drop.
#[test]
fn create_table_if_not_exists_does_not_hide_a_drop_column() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY, legacy text, n int);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    p.migration(
        "1000000000002",
        "walk_around",
        "CREATE TABLE IF NOT EXISTS users (id int PRIMARY KEY, legacy text, n int);\nALTER TABLE users DROP COLUMN legacy;\nALTER TABLE users ALTER COLUMN n TYPE bigint;\n",
    );
    p.hash();
    let r = p.run(&["check"]);
    r.code(1)
        .says("error[drop-column]")
        .says("1000000000002_walk_around.sql:8:1")
        .says("error[column-type-change]");
    // A table the migration really creates is still its own to change.
    p.migration(
        "1000000000002",
        "walk_around",
        "CREATE TABLE fresh (id int PRIMARY KEY, legacy text);\nALTER TABLE fresh DROP COLUMN legacy;\n",
    );
    p.hash();
    p.run(&["check"]).ok().never_says("drop-column");
}

/// A down section's findings are reported as such (`section: "down"`, "(down
/// section)" in text) and never gate `apply`: `plan` used to say "blocked:
/// apply would be refused" for a destructive statement in a down section
/// while `apply` applied. A drop of what the up section creates is the
/// reversal and no finding at all.
#[test]
fn down_section_findings_never_block_apply() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration("1000000000001", "legacy", "CREATE TABLE legacy (id int);\n");
    p.hash();
    p.run(&["apply"]).ok();
    p.migration(
        "1000000000002",
        "audit",
        "CREATE TABLE audit (id int);\nINSERT INTO legacy VALUES (1);\n-- sluice:down\nDROP TABLE audit;\nDELETE FROM legacy;\n",
    );
    p.hash();
    let r = p.run(&["check"]);
    r.code(1)
        .says("error[delete-without-where] (down section): ")
        .says("1000000000002_audit.sql:11:1");
    assert!(
        !r.stdout.contains("drop-table"),
        "the reversal is no finding: {}",
        r.stdout
    );
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "delete-without-where")
        .cloned()
        .unwrap();
    assert_eq!(d["section"], "down", "{d}");
    p.run(&["plan"])
        .ok()
        .says("(down section)")
        .never_says("would be refused");
    p.run(&["apply"]).ok();
    assert_eq!(db.scalar("SELECT count(*) FROM legacy"), "1");
}

/// Statements that rewrite a table, build an index or validate every row
/// under a strong lock, which analysis used to miss, each in its own
/// migration; and an index on a materialized view the migration creates,
/// which it used to flag.
#[test]
fn missed_lock_and_rewrite_findings_are_reported() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    let cases: [(&str, &str, Option<&str>); 9] = [
        ("udf_default", "ALTER TABLE orders ADD COLUMN n bigint DEFAULT next_order_number();", Some("volatile-default-rewrite")),
        ("bigserial", "ALTER TABLE orders ADD COLUMN seq bigserial;", Some("volatile-default-rewrite")),
        ("stored", "ALTER TABLE orders ADD COLUMN total numeric GENERATED ALWAYS AS (price * qty) STORED;", Some("volatile-default-rewrite")),
        ("set_unlogged", "ALTER TABLE orders SET UNLOGGED;", Some("table-rewrite")),
        ("unique_column", "ALTER TABLE orders ADD COLUMN code text UNIQUE;", Some("unique-constraint-lock")),
        ("fk_default", "ALTER TABLE orders ADD COLUMN plan_id bigint DEFAULT 1 REFERENCES plans (id);", Some("constraint-not-valid")),
        ("validate_same_tx", "ALTER TABLE orders ADD CONSTRAINT orders_plan_fk FOREIGN KEY (plan_id) REFERENCES plans (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_plan_fk;", Some("constraint-not-valid")),
        ("matview_index", "CREATE MATERIALIZED VIEW order_totals AS SELECT 1 AS n;\nCREATE INDEX order_totals_n ON order_totals (n);", None),
        ("stable_default", "ALTER TABLE orders ADD COLUMN at timestamptz DEFAULT now();", None),
    ];
    for (i, (name, sql, _)) in cases.iter().enumerate() {
        p.migration(
            &format!("10000000000{:02}", i + 10),
            name,
            &format!("{sql}\n"),
        );
    }
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).json();
    for (name, _, rule) in cases {
        let all = rules_of(&doc, name);
        let rules: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|r| *r != "risk-understated" && *r != "missing-lock-timeout")
            .collect();
        match rule {
            Some(r) => assert!(rules.contains(&r), "{name}: want {r}, got {rules:?}"),
            None => assert!(
                !rules
                    .iter()
                    .any(|r| ["index-not-concurrent", "volatile-default-rewrite"].contains(r)),
                "{name}: got {rules:?}"
            ),
        }
    }
}

/// `--format json` used to print nothing on stdout when the command failed
/// before its work: now one JSON object says what stopped it (kind,
/// message with secrets redacted, path and line when known), exit 2.
#[test]
fn json_format_prints_the_error_when_the_command_fails_before_its_work() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgress\"\n");
    let r = p.run(&["--format", "json", "check"]);
    let doc = r.code(2).json();
    assert_eq!(doc["command"], "check", "{doc}");
    assert_eq!(doc["outcome"], "error", "{doc}");
    assert_eq!(doc["error"]["kind"], "config", "{doc}");
    assert_eq!(doc["error"]["line"], 2, "{doc}");
    assert!(
        doc["error"]["path"]
            .as_str()
            .unwrap()
            .ends_with("sluice.toml"),
        "{doc}"
    );
    // Connection refused, with a password in the URL.
    p.raw(
        "sluice.toml",
        b"[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"postgres://u:hunter2@127.0.0.1:1/x\"\n",
    );
    let r = p.run(&["--format", "json", "status"]);
    assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"));
    let doc = r.code(2).json();
    assert_eq!(doc["command"], "status", "{doc}");
    assert_eq!(doc["error"]["kind"], "connection", "{doc}");
}

/// Rules users of other linters expect, each raised through the binary, and
/// squawk's own `-- squawk-ignore` comments honoured as suppressions (with
/// sluice's reason requirement).
#[test]
fn expected_rules_and_squawk_ignore_comments() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    let cases = [
        (
            "drop_nn",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
            "drop-not-null",
        ),
        (
            "drop_def",
            "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;",
            "drop-default",
        ),
        (
            "rename_value",
            "ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
            "rename-object",
        ),
        (
            "rename_index",
            "ALTER INDEX orders_idx RENAME TO orders_user_idx;",
            "rename-object",
        ),
        (
            "enum_last",
            "ALTER TYPE order_status ADD VALUE 'refunded';",
            "enum-value-order",
        ),
        ("cic", "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);", "non-robust-statement"),
        ("int_key", "CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users (id));", "prefer-bigint"),
        ("serial", "CREATE TABLE orders2 (id bigserial PRIMARY KEY);", "prefer-identity"),
        ("ts", "ALTER TABLE orders ADD COLUMN paid_at timestamp;", "prefer-timestamptz"),
        ("varchar", "ALTER TABLE users ADD COLUMN nickname varchar(50);", "prefer-text"),
        ("no_stmt_timeout", "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2); -- CI:DESTRUCTIVE_OK ADR-9 widening", "missing-statement-timeout"),
    ];
    for (i, (name, sql, _)) in cases.iter().enumerate() {
        p.migration(
            &format!("10000000000{:02}", i + 10),
            name,
            &format!("{sql}\n"),
        );
    }
    p.migration(
        "1000000000099",
        "squawk",
        "-- squawk-ignore ban-drop-column reason: legacy unused since v3\nALTER TABLE users DROP COLUMN legacy;\n-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX users_a ON users (a);\n",
    );
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let rules_of = |name: &str| rules_of(&doc, name);
    for (name, _, rule) in cases {
        assert!(
            rules_of(name).contains(&rule.to_string()),
            "{name}: {:?}",
            rules_of(name)
        );
    }
    let squawk = rules_of("squawk");
    assert!(!squawk.contains(&"drop-column".to_string()), "{squawk:?}");
    assert!(
        squawk.contains(&"suppression-invalid".to_string()),
        "{squawk:?}"
    );
    assert!(
        squawk.contains(&"index-not-concurrent".to_string()),
        "an invalid suppression suppresses nothing: {squawk:?}"
    );
}

/// A statement that fails while running has no position in Postgres's
/// error (a unique violation): `apply` used to say "failed at one of its 3
/// statements"; it now names the statement and its line.
#[test]
fn a_failing_statement_without_a_position_is_located() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "dupes",
        "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\n",
    );
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("failed at statement 3 of 3 (line 9)")
        .says("duplicate key")
        .never_says("one of its");
    assert_eq!(db.scalar("SELECT to_regclass('t') IS NULL"), "t");
}

/// SQLite's documented table rebuild (create the new table, copy, drop the
/// old, rename the new) used to be a `drop-table` and a `rename-table`
/// error; it is one rebuild now (`table-rewrite`, Medium). A drop that is
/// not part of the pattern is still a drop.
#[test]
fn sqlite_table_rebuild_is_one_rebuild_not_a_drop_and_a_rename() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "rebuild",
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\nINSERT INTO users_new (id, email) SELECT id, email FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
    );
    p.migration("1000000000002", "plain_drop", "DROP TABLE legacy;\n");
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let rules_of = |name: &str| rules_of(&doc, name);
    let rebuild = rules_of("rebuild");
    assert!(
        rebuild.contains(&"table-rewrite".to_string()),
        "{rebuild:?}"
    );
    assert!(!rebuild.contains(&"drop-table".to_string()), "{rebuild:?}");
    assert!(
        !rebuild.contains(&"rename-table".to_string()),
        "{rebuild:?}"
    );
    assert!(rules_of("plain_drop").contains(&"drop-table".to_string()));
}

/// One file that is not UTF-8 used to stop `check` with exit 2 and nothing
/// else checked. It is now a `file-encoding` finding at the line of the
/// first invalid byte, every other file is still checked, and `apply` and
/// `hash` refuse until it is fixed (running without it would skip it).
#[test]
fn a_non_utf8_file_is_a_finding_and_the_rest_is_still_checked() {
    let p = Project::sqlite();
    p.migration("1000000000001", "a", "CREATE TABLE a (id INTEGER);\n");
    p.migration("1000000000002", "drops", "DROP TABLE legacy;\n");
    p.hash();
    let mut latin1 = header("1000000000003", "latin1").into_bytes();
    latin1.extend_from_slice(b"INSERT INTO a VALUES (1); -- Z\xfcrich\n");
    p.raw("db/migrations/1000000000003_latin1.sql", &latin1);
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let rules_of = |name: &str| rules_of(&doc, name);
    assert_eq!(rules_of("latin1"), ["file-encoding"], "{doc}");
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "file-encoding")
        .unwrap();
    assert_eq!(d["line"], 7, "{d}");
    assert!(
        rules_of("drops").contains(&"drop-table".to_string()),
        "{doc}"
    );
    p.run(&["hash"])
        .code(2)
        .says("1000000000003_latin1.sql:7: the file is not valid UTF-8");
    p.run(&["apply"]).code(1).says("file-encoding");
    assert!(
        !p.path().join("dev.db").exists()
            || sqlite_column(
                &p.path().join("dev.db"),
                "SELECT count(*) FROM sqlite_master WHERE name = 'a'"
            ) == ["0"]
    );
}

/// The same in the other layouts, which used to stop the whole catalog at
/// the first non-UTF-8 file (`check` exit 2): golang-migrate's paired files
/// and Flyway's scripts each get a `file-encoding` finding at their line,
/// and every other migration is still checked.
#[test]
fn a_non_utf8_file_is_a_finding_in_every_layout() {
    for (layout, good, bad) in [
        ("golang-migrate", "2_drops.up.sql", "3_latin1.up.sql"),
        ("flyway", "V2__drops.sql", "V3__latin1.sql"),
    ] {
        let p = Project::new(&format!(
            "[migrations]\nlayout = \"{layout}\"\ndir = \"migrations\"\ndialect = \"sqlite\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\n"
        ));
        p.raw(&format!("migrations/{good}"), b"DROP TABLE legacy;\n");
        p.raw(
            &format!("migrations/{bad}"),
            b"CREATE TABLE a (id INTEGER);\n-- Z\xfcrich\n",
        );
        let r = p.run(&["check", "--format", "json"]);
        let doc = r.code(1).json();
        let find = |rule: &str, file: &str| {
            doc["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["rule"] == rule && d["path"].as_str().unwrap().ends_with(file))
                .cloned()
        };
        let enc = find("file-encoding", bad).unwrap_or_else(|| panic!("{layout}: {doc}"));
        assert_eq!(enc["line"], 2, "{layout}: {enc}");
        assert!(find("drop-table", good).is_some(), "{layout}: {doc}");
        p.run(&["apply"]).code(1).says("file-encoding");
    }
}

/// A finding about one clause of a multi-clause `ALTER TABLE` is reported at
/// that clause's line and column, not at the statement's first line.
#[test]
fn a_multi_clause_alter_reports_each_finding_at_its_clause() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    p.migration(
        "1000000000001",
        "alter",
        "ALTER TABLE users\n  ADD COLUMN nickname text,\n  DROP COLUMN legacy,\n  ALTER COLUMN n TYPE bigint;\n",
    );
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let at = |rule: &str| {
        let d = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {doc}"));
        (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap())
    };
    // The header takes six lines: the statement starts on line 7.
    assert_eq!(at("drop-column"), (9, 3));
    assert_eq!(at("column-type-change"), (10, 3));
}

/// `-q` prints errors only: warnings used to be printed with it, so a
/// quiet `check` of a history full of warnings printed all of them.
#[test]
fn quiet_check_prints_errors_only() {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    p.migration(
        "1000000000001",
        "warns",
        "CREATE TABLE t (id bigint PRIMARY KEY, at timestamp);\n",
    );
    p.hash();
    p.run(&["check"]).ok().says("warn[prefer-timestamptz]");
    let quiet = p.run(&["check", "-q"]);
    quiet.ok();
    assert_eq!(quiet.stdout, "", "{}", quiet.stdout);
    p.migration("1000000000002", "drops", "DROP TABLE legacy;\n");
    p.hash();
    p.run(&["check", "-q"])
        .code(1)
        .says("error[drop-table]")
        .never_says("prefer-timestamptz");
}
