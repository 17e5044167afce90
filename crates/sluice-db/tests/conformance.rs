//! The driver conformance suite: one set of checks, written once, run against
//! every backend (an SQLite file, a real PostgreSQL database and a real
//! MariaDB database). A new driver adds one `Target` below and must pass all
//! of it; checks that depend on a capability (transactional DDL) check what
//! the driver says instead where it lacks it.
//!
//! Covered: capabilities, history and audit read/write, a transaction that
//! commits statements and bookkeeping together, failure atomicity with the
//! failing statement's index, statement-by-statement progress and dirty state,
//! error classification (lock timeout, already exists), the migration lock
//! (acquire, bounded wait, release on drop), introspection into the schema
//! model, and scratch database lifecycle.

use sluice_db::scratch::Scratch;
use sluice_db::HistoryStore as _;
use sluice_db::{
    connect, AuditEvent, ConnectOptions, Database, ErrorKind, HistoryRow, LockError, LockGuard,
    SessionSettings, Status,
};
use std::time::Duration;

/// A fresh, empty database of one backend, removed on drop.
struct Target {
    url: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
    my_name: Option<String>,
}

fn my_admin() -> mysql::Conn {
    let url = std::env::var("SLUICE_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into());
    mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap_or_else(|e| {
        panic!("MariaDB is required for the conformance suite and is not reachable at {url}: {e}")
    })
}

fn pg_admin_url() -> String {
    std::env::var("SLUICE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn pg_admin() -> postgres::Client {
    postgres::Client::connect(&pg_admin_url(), postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for the conformance suite and is not reachable at {}: {e}",
            pg_admin_url()
        )
    })
}

impl Target {
    fn sqlite() -> Target {
        let dir = tempfile::tempdir().unwrap();
        Target {
            url: "sqlite://conformance.db".into(),
            dir,
            pg_name: None,
            my_name: None,
        }
    }

    fn mariadb() -> Target {
        use mysql::prelude::Queryable;
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "sluice_conf_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        my_admin()
            .query_drop(format!("CREATE DATABASE {name}"))
            .unwrap();
        Target {
            url: format!("mysql://root@127.0.0.1:3306/{name}"),
            dir: tempfile::tempdir().unwrap(),
            pg_name: None,
            my_name: Some(name),
        }
    }

    fn postgres() -> Target {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "sluice_conf_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        pg_admin()
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .unwrap();
        Target {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            dir: tempfile::tempdir().unwrap(),
            pg_name: Some(name),
            my_name: None,
        }
    }

    fn connect(&self) -> Box<dyn Database> {
        connect(
            &self.url,
            &ConnectOptions {
                root: self.dir.path(),
                history_schema: "public",
            },
        )
        .unwrap()
    }

    fn scratch(&self) -> Scratch {
        // The driver picks the kind of scratch database from the URL.
        Scratch::create(&self.url).unwrap()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(n) = &self.pg_name {
            let _ = pg_admin().batch_execute(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"));
        }
        if let Some(n) = &self.my_name {
            use mysql::prelude::Queryable;
            let _ = my_admin().query_drop(format!("DROP DATABASE IF EXISTS {n}"));
        }
    }
}

fn row(version: &str, status: Status, applied: i64) -> HistoryRow {
    HistoryRow {
        version: version.into(),
        name: format!("m{version}"),
        checksum: "ab".repeat(32),
        status,
        applied_at: sluice_core::clock::now_rfc3339(),
        applied_by: "conformance".into(),
        environment: "test".into(),
        approvals: "[]".into(),
        statements_total: 2,
        statements_applied: applied,
        execution_ms: None,
        tool_version: "test".into(),
        run_id: "run-1".into(),
        error: None,
    }
}

fn audit(event: &str) -> AuditEvent {
    AuditEvent {
        at: String::new(),
        event: event.into(),
        version: Some("1".into()),
        checksum: None,
        environment: "test".into(),
        actor: "conformance".into(),
        run_id: "run-1".into(),
        outcome: "ok".into(),
        reason: None,
        details: "{}".into(),
        tool_version: "test".into(),
    }
}

fn table_exists(db: &mut dyn Database, name: &str) -> bool {
    // Portable: a query on the table succeeds only when it exists.
    db.query_rows(&format!("SELECT count(*) FROM {name}"))
        .is_ok()
}

fn capabilities(t: &Target) {
    let db = t.connect();
    let caps = db.capabilities();
    // MySQL's DDL commits itself, and its driver must say so (the run
    // loop then runs every migration statement by statement).
    assert_eq!(
        caps.transactional_ddl,
        t.my_name.is_none(),
        "{}: transactional DDL",
        t.url
    );
    assert_eq!(
        caps.observable_locks,
        t.pg_name.is_some(),
        "{}: observable locks",
        t.url
    );
}

fn history_round_trip(t: &Target) {
    let mut db = t.connect();
    assert!(!db.history_exists().unwrap());
    assert!(
        db.load_history().unwrap().is_empty(),
        "no table reads as empty"
    );
    db.ensure_history().unwrap();
    db.ensure_history().unwrap(); // idempotent
    assert!(db.history_exists().unwrap());
    let r = row("1", Status::Applied, 2);
    let sql = [db.upsert_sql(&r), db.audit_sql(&audit("apply"))];
    db.run_in_transaction(&[], &sql).unwrap();
    let got = db.load_history().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].version, "1");
    assert_eq!(got[0].status, Status::Applied);
    assert_eq!(got[0].checksum, r.checksum);
    assert!(!got[0].applied_at.is_empty());
    assert!(
        got[0].execution_ms.is_some(),
        "the database measures the duration"
    );
    // Upsert replaces; delete removes.
    let replaced = db.upsert_sql(&row("1", Status::Dirty, 1));
    db.run_in_transaction(&[], &[replaced]).unwrap();
    assert_eq!(db.load_history().unwrap()[0].status, Status::Dirty);
    let del = db.delete_sql("1");
    db.run_in_transaction(&[], &[del]).unwrap();
    assert!(db.load_history().unwrap().is_empty());
    let events = db.load_audit().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "apply");
    assert!(!events[0].at.is_empty());
}

fn transaction_commits_together(t: &Target) {
    let mut db = t.connect();
    db.ensure_history().unwrap();
    let book = [db.upsert_sql(&row("2", Status::Applied, 2))];
    db.run_in_transaction(
        &[
            "CREATE TABLE a (id int) -- a trailing comment",
            "INSERT INTO a VALUES (1)",
        ],
        &book,
    )
    .unwrap();
    assert!(table_exists(&mut *db, "a"));
    assert_eq!(db.load_history().unwrap().len(), 1);
}

fn failure_is_atomic(t: &Target) {
    let mut db = t.connect();
    db.ensure_history().unwrap();
    let book = [db.upsert_sql(&row("3", Status::Applied, 2))];
    // Where DDL commits itself, a transaction is atomic for data only.
    let ddl = db.capabilities().transactional_ddl;
    if !ddl {
        db.run_alone("CREATE TABLE b0 (id int)").unwrap();
    }
    let first = if ddl {
        "CREATE TABLE b (id int)"
    } else {
        "INSERT INTO b0 VALUES (1)"
    };
    let f = db
        .run_in_transaction(&[first, "SELECT * FROM no_such_table"], &book)
        .unwrap_err();
    if !ddl {
        assert_eq!(
            f.index,
            Some(1),
            "{}: the failing statement is named",
            t.url
        );
        assert_eq!(
            db.query_rows("SELECT count(*) FROM b0").unwrap()[0][0].as_deref(),
            Some("0"),
            "{}: the insert was rolled back",
            t.url
        );
        assert!(db.load_history().unwrap().is_empty(), "nor its history row");
        db.run_alone("CREATE TABLE b (id int)").unwrap();
        let e = db.run_alone("CREATE TABLE b (id int)").unwrap_err();
        assert_eq!(db.classify(&e), ErrorKind::AlreadyExists, "{}: {e}", t.url);
        let e = db.query_rows("SELECT x FROM no_such_table").unwrap_err();
        assert_eq!(db.classify(&e), ErrorKind::UndefinedTable, "{}: {e}", t.url);
        return;
    }
    assert_eq!(
        f.index,
        Some(1),
        "{}: the failing statement is named",
        t.url
    );
    assert!(
        !table_exists(&mut *db, "b"),
        "{}: nothing of it remains",
        t.url
    );
    assert!(db.load_history().unwrap().is_empty(), "nor its history row");
    // The session is usable afterwards.
    db.run_in_transaction(&["CREATE TABLE b (id int)"], &[])
        .unwrap();
    let e = db.run_alone("CREATE TABLE b (id int)").unwrap_err();
    assert_eq!(db.classify(&e), ErrorKind::AlreadyExists, "{}: {e}", t.url);
    // A missing table is told apart from a missing column (another tool's
    // history table is absent vs. of another shape).
    let e = db.query_rows("SELECT x FROM no_such_table").unwrap_err();
    assert_eq!(db.classify(&e), ErrorKind::UndefinedTable, "{}: {e}", t.url);
    let e = db.query_rows("SELECT no_such_column FROM b").unwrap_err();
    assert_ne!(db.classify(&e), ErrorKind::UndefinedTable, "{}: {e}", t.url);
}

fn statement_by_statement_progress(t: &Target) {
    let mut db = t.connect();
    db.ensure_history().unwrap();
    let start = db.upsert_sql(&row("4", Status::Dirty, 0));
    db.run_in_transaction(&[], &[start]).unwrap();
    db.run_alone("CREATE TABLE c (id int)").unwrap();
    let progress = db.upsert_sql(&row("4", Status::Dirty, 1));
    db.run_alone(&progress).unwrap();
    assert!(db
        .run_alone("INSERT INTO no_such_table VALUES (1)")
        .is_err());
    // What ran stays; the history says how far it got.
    assert!(table_exists(&mut *db, "c"));
    let h = db.load_history().unwrap();
    assert_eq!((h[0].status, h[0].statements_applied), (Status::Dirty, 1));
    // A failed statement outside a transaction needs no cleanup here.
    db.cleanup_after_failure("INSERT INTO no_such_table VALUES (1)")
        .unwrap();
}

fn lock_timeout_is_classified(t: &Target) {
    let mut holder = t.connect();
    holder.run_alone("CREATE TABLE l (id int)").unwrap();
    let mut waiter = t.connect();
    waiter
        .configure(&SessionSettings {
            lock_timeout: Some(Duration::from_millis(100)),
            statement_timeout: None,
            variables: vec![],
        })
        .unwrap();
    let e = if t.pg_name.is_some() {
        holder
            .run_alone("BEGIN; LOCK TABLE l IN ACCESS EXCLUSIVE MODE")
            .unwrap();
        let e = waiter.run_alone("INSERT INTO l VALUES (1)").unwrap_err();
        holder.run_alone("COMMIT").unwrap();
        e
    } else if t.my_name.is_some() {
        // An open transaction's metadata lock blocks an ALTER.
        holder.run_alone("START TRANSACTION").unwrap();
        holder.query_rows("SELECT * FROM l").unwrap();
        let e = waiter
            .run_alone("ALTER TABLE l ADD COLUMN x int")
            .unwrap_err();
        holder.run_alone("COMMIT").unwrap();
        e
    } else {
        holder.run_alone("BEGIN IMMEDIATE").unwrap();
        let e = waiter.run_alone("INSERT INTO l VALUES (1)").unwrap_err();
        holder.run_alone("COMMIT").unwrap();
        e
    };
    assert_eq!(
        waiter.classify(&e),
        ErrorKind::LockTimeout,
        "{}: {e}",
        t.url
    );
}

fn migration_lock(t: &Target) {
    let first = LockGuard::acquire(t.connect(), Duration::from_secs(5), || {}).unwrap();
    let mut told = false;
    match LockGuard::acquire(t.connect(), Duration::from_millis(300), || told = true) {
        Err(LockError::Timeout { .. }) => {}
        Err(e) => panic!("{}: {e}", t.url),
        Ok(_) => panic!("{}: two holders of the migration lock", t.url),
    }
    assert!(told, "the caller is told that it waits");
    drop(first);
    LockGuard::acquire(t.connect(), Duration::from_secs(5), || {})
        .unwrap_or_else(|e| panic!("{}: the lock was not released on drop: {e}", t.url));
}

fn introspection_round_trip(t: &Target) {
    let mut db = t.connect();
    db.ensure_history().unwrap();
    db.run_in_transaction(
        &[
            "CREATE TABLE parent (id int PRIMARY KEY, email varchar(255) NOT NULL)",
            "CREATE INDEX parent_email_idx ON parent (email)",
            "CREATE VIEW parent_emails AS SELECT email FROM parent",
        ],
        &[],
    )
    .unwrap();
    let opts = sluice_db::introspect::Options {
        history_schema: "public".into(),
        ..Default::default()
    };
    let schema = db.introspect(&opts).unwrap();
    let table = schema
        .tables
        .values()
        .find(|t| t.name == "parent")
        .unwrap_or_else(|| panic!("{}: parent not introspected: {schema:?}", t.url));
    let cols: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(cols, ["id", "email"], "{}", t.url);
    assert!(
        table.indexes.keys().any(|k| k.contains("parent_email_idx")),
        "{}: {:?}",
        t.url,
        table.indexes
    );
    assert!(
        schema.views.values().any(|v| v.name == "parent_emails"),
        "{}",
        t.url
    );
    // sluice's own tables are left out.
    assert!(!schema
        .tables
        .values()
        .any(|t| t.name.starts_with("sluice_")));
    // Introspecting twice gives the same model (a snapshot is stable).
    assert_eq!(db.introspect(&opts).unwrap(), schema);
}

fn scratch_lifecycle(t: &Target) {
    let mut s = t.scratch();
    let name = s.name();
    {
        let mut db = s.connect("public").unwrap();
        db.run_alone("CREATE TABLE s (id int)").unwrap();
    }
    s.drop_now().unwrap();
    match &t.pg_name {
        Some(_) => {
            let left = pg_admin()
                .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .unwrap();
            assert!(left.is_empty(), "{name} was not dropped");
        }
        None if t.my_name.is_some() => {
            use mysql::prelude::Queryable;
            let left: Vec<String> = my_admin()
                .exec(
                    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                    (name.clone(),),
                )
                .unwrap();
            assert!(left.is_empty(), "{name} was not dropped");
        }
        None => assert!(!std::path::Path::new(&name).exists(), "{name} remains"),
    }
}

/// One named check of the suite.
type Case = (&'static str, fn(&Target));

fn suite(make: fn() -> Target) {
    suite_of(make, &[]);
}

fn suite_of(make: fn() -> Target, skip: &[&str]) {
    let cases: [Case; 9] = [
        ("capabilities", capabilities),
        ("history_round_trip", history_round_trip),
        ("transaction_commits_together", transaction_commits_together),
        ("failure_is_atomic", failure_is_atomic),
        (
            "statement_by_statement_progress",
            statement_by_statement_progress,
        ),
        ("lock_timeout_is_classified", lock_timeout_is_classified),
        ("migration_lock", migration_lock),
        ("introspection_round_trip", introspection_round_trip),
        ("scratch_lifecycle", scratch_lifecycle),
    ];
    for (name, case) in cases.into_iter().filter(|(n, _)| !skip.contains(n)) {
        let t = make();
        eprintln!("conformance: {name} on {}", t.url);
        case(&t);
    }
}

#[test]
fn sqlite_conforms() {
    suite(Target::sqlite);
}

#[test]
fn postgres_conforms() {
    suite(Target::postgres);
}

#[test]
fn mariadb_conforms() {
    suite(Target::mariadb);
}

/// MySQL/MariaDB introspection sends the same number of statements whatever
/// the schema's size: counted by the server itself (the session's
/// `Questions` status), for 5 and 60 tables with indexes, foreign keys,
/// views, triggers and routines.
#[test]
fn mysql_introspection_is_a_constant_number_of_queries() {
    let mut counts = Vec::new();
    for tables in [5, 60] {
        let t = Target::mariadb();
        let mut db = sluice_db::mysql::MysqlDb::connect(&t.url).unwrap();
        use sluice_db::Executor as _;
        db.run_alone("CREATE TABLE t0 (id INT PRIMARY KEY)")
            .unwrap();
        for i in 1..tables {
            db.run_alone(&format!(
                "CREATE TABLE t{i} (id INT PRIMARY KEY, a VARCHAR(20), p INT, KEY t{i}_a (a), CONSTRAINT t{i}_p FOREIGN KEY (p) REFERENCES t0 (id))"
            ))
            .unwrap();
            db.run_alone(&format!("CREATE VIEW v{i} AS SELECT id FROM t{i}"))
                .unwrap();
            db.run_alone(&format!(
                "CREATE TRIGGER tr{i} BEFORE INSERT ON t{i} FOR EACH ROW SET NEW.a = COALESCE(NEW.a, '')"
            ))
            .unwrap();
            db.run_alone(&format!(
                "CREATE FUNCTION f{i}(n INT) RETURNS INT DETERMINISTIC RETURN n + {i}"
            ))
            .unwrap();
        }
        let questions = |db: &mut sluice_db::mysql::MysqlDb| -> i64 {
            db.query_rows("SHOW SESSION STATUS LIKE 'Questions'")
                .unwrap()[0][1]
                .clone()
                .unwrap()
                .parse()
                .unwrap()
        };
        let before = questions(&mut db);
        let s = sluice_db::mysql::introspect::introspect(&mut db, &Default::default()).unwrap();
        let after = questions(&mut db);
        assert_eq!(s.tables.len(), tables);
        assert_eq!(s.functions.len(), tables - 1);
        // The second SHOW counts itself.
        counts.push(after - before - 1);
    }
    assert_eq!(counts[0], counts[1], "queries do not grow with the schema");
    assert_eq!(counts[0] as usize, sluice_db::mysql::introspect::QUERIES);
}
