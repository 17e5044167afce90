//! Scenarios that must hold on every backend, written once and run on each
//! through the real binary: a real SQLite file, and a real Postgres database
//! (one per test, dropped after). A new driver adds a [`Target`] variant and
//! one `#[test]` line per scenario.

mod common;
use common::*;

/// A project on one backend, and a way to query its database.
enum Target {
    Sqlite(Project),
    Postgres(Project, PgDb),
}

impl Target {
    fn sqlite() -> Target {
        Target::Sqlite(Project::sqlite())
    }

    fn postgres() -> Target {
        let db = PgDb::create();
        Target::Postgres(Project::postgres(&db.url()), db)
    }

    fn p(&self) -> &Project {
        match self {
            Target::Sqlite(p) | Target::Postgres(p, _) => p,
        }
    }

    /// The first column of `sql`'s rows on the `dev` environment's database.
    fn column(&self, sql: &str) -> Vec<String> {
        match self {
            Target::Sqlite(p) => sqlite_column(&p.path().join("dev.db"), sql),
            Target::Postgres(_, db) => db.column(sql),
        }
    }

    fn scalar(&self, sql: &str) -> String {
        self.column(sql).into_iter().next().unwrap_or_default()
    }

    /// The tables among `names` that exist, sorted.
    fn tables(&self, names: &[&str]) -> Vec<String> {
        let list = names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(",");
        match self {
            Target::Sqlite(_) => self.column(&format!(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ({list}) ORDER BY name"
            )),
            Target::Postgres(..) => self.column(&format!(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename IN ({list}) ORDER BY 1"
            )),
        }
    }
}

/// A failing statement in a transactional migration: nothing of that
/// migration remains, the ones after it never run, the failure is recorded
/// (history `failed`, an audit row, evidence), and once fixed and re-hashed it
/// applies with the rest.
fn a_failing_transactional_migration_leaves_no_trace(t: Target) {
    let p = t.p();
    let (bad, error) = match &t {
        Target::Sqlite(_) => ("INSERT INTO nope VALUES (1);\n", "no such table: nope"),
        Target::Postgres(..) => (
            "INSERT INTO b (nope) VALUES (1);\n",
            "column \"nope\" of relation \"b\" does not exist [42703]",
        ),
    };
    p.migration("1000000000001", "ok", "CREATE TABLE a (id int);\n");
    p.migration(
        "1000000000002",
        "bad",
        &format!("CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n{bad}"),
    );
    p.migration("1000000000003", "after", "CREATE TABLE c (id int);\n");
    p.hash();
    p.run(&["apply"])
        .code(2)
        .says("migration 1000000000002")
        .says("statement 3 of 3 (line 9)")
        .says(error)
        .says("nothing after it ran");
    assert_eq!(
        t.tables(&["a", "b", "c"]),
        ["a"],
        "b must be rolled back and c never run"
    );
    assert_eq!(
        t.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1000000000001:applied", "1000000000002:failed"]
    );
    assert_eq!(
        t.column("SELECT event FROM sluice_audit ORDER BY id"),
        ["apply", "failure"]
    );
    p.run(&["status"]).says("failed");
    let ev = p.evidence();
    let run = ev["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command"] == "apply")
        .unwrap()
        .clone();
    assert_eq!(run["outcome"], "failed");
    assert_eq!(run["migrations"][1]["result"], "failed");
    // Fix forward is not allowed (immutable), but a failed migration never ran:
    // once fixed and re-hashed it applies, and so does the one after it.
    let path = p.migrations().join("1000000000002_bad.sql");
    let fixed = std::fs::read_to_string(&path).unwrap().replace(bad, "");
    std::fs::write(&path, fixed).unwrap();
    p.hash();
    p.run(&["apply"]).ok();
    assert_eq!(
        t.scalar("SELECT count(*) FROM sluice_history WHERE status = 'applied'"),
        "3"
    );
}

#[test]
fn a_failing_transactional_migration_leaves_no_trace_on_sqlite() {
    a_failing_transactional_migration_leaves_no_trace(Target::sqlite());
}

#[test]
fn a_failing_transactional_migration_leaves_no_trace_on_postgres() {
    a_failing_transactional_migration_leaves_no_trace(Target::postgres());
}

/// Several `apply` processes at once: the lock lets one run each migration,
/// exactly once (one history row, one audit row, one inserted row each).
fn concurrent_applies_apply_each_migration_once(t: Target) {
    let p = t.p();
    let (n, processes, pause) = match &t {
        Target::Sqlite(_) => (20, 3, ""),
        Target::Postgres(..) => (25, 4, "SELECT pg_sleep(0.01);\n"),
    };
    for i in 1..=n {
        p.migration(
            &format!("10000000000{i:02}"),
            &format!("t{i}"),
            &format!("CREATE TABLE t{i} (id int);\nINSERT INTO t{i} VALUES ({i});\n{pause}"),
        );
    }
    p.hash();
    let children: Vec<_> = (0..processes)
        .map(|_| p.command(&["apply", "-q"], &[]).spawn().unwrap())
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
        t.scalar("SELECT count(*) FROM sluice_history WHERE status = 'applied'"),
        n.to_string()
    );
    assert_eq!(
        t.scalar("SELECT count(*) FROM sluice_audit WHERE event = 'apply'"),
        n.to_string()
    );
    assert_ne!(
        t.scalar("SELECT count(DISTINCT run_id) FROM sluice_history"),
        "0"
    );
    let rows: Vec<String> = (1..=n)
        .map(|i| t.scalar(&format!("SELECT count(*) FROM t{i}")))
        .collect();
    assert!(rows.iter().all(|c| c == "1"), "{rows:?}");
}

#[test]
fn concurrent_applies_apply_each_migration_once_on_sqlite() {
    concurrent_applies_apply_each_migration_once(Target::sqlite());
}

#[test]
fn concurrent_applies_apply_each_migration_once_on_postgres() {
    concurrent_applies_apply_each_migration_once(Target::postgres());
}
