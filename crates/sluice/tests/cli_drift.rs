//! Drift with the real binary on a real Postgres server: verify, snapshot,
//! diff, and the emergency flow (change production by hand, verify fails
//! naming each change, adopt, verify passes, a fresh replay equals production).

mod common;
use common::*;

fn base(db: &PgDb) -> Project {
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "users",
        "CREATE TYPE status AS ENUM ('active', 'banned');\nCREATE TABLE users (id bigint PRIMARY KEY, email text, owner text, status status NOT NULL DEFAULT 'active');\nALTER TABLE users ENABLE ROW LEVEL SECURITY;\nCREATE POLICY users_own ON users USING (owner = current_user);\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p
}

#[test]
fn emergency_change_is_detected_adopted_and_replays() {
    let db = PgDb::create();
    let p = base(&db);
    p.run(&["verify"]).ok().says("no drift");

    // The emergency fix, by hand on "production".
    db.client()
        .batch_execute(
            "ALTER TABLE users ADD COLUMN nickname text;
             CREATE INDEX users_email ON users (email);
             ALTER TABLE users ALTER COLUMN email SET NOT NULL;
             ALTER TYPE status ADD VALUE 'suspended';
             DROP POLICY users_own ON users;",
        )
        .unwrap();
    let out = p.run(&["verify"]);
    out.code(1)
        .says("column public.users.nickname: not expected (found text)")
        .says("index public.users.users_email: not expected")
        .says("column public.users.email: expected text, found text NOT NULL")
        .says("enum public.status: expected (active, banned), found (active, banned, suspended)")
        .says("policy public.users.users_own: missing")
        .says("sluice adopt --env dev");
    let v = p.run(&["verify", "--format", "json"]).json();
    assert_eq!(v["outcome"], "drift");
    assert_eq!(v["differences"].as_array().unwrap().len(), 5);
    assert_eq!(v["findings"][0]["rule"], "drift-detected");

    // Adopt it.
    let out = p.run(&["adopt", "--name", "hotfix_users", "--incident", "INC-7"]);
    out.ok().says("adopted 5 changes on `dev`");
    let file = std::fs::read_dir(p.migrations())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.to_string_lossy().contains("hotfix_users"))
        .expect("the retroactive migration");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("-- FORWARD_ONLY: Yes"), "{text}");
    assert!(
        text.contains("-- JUSTIFICATION: Retroactive migration for incident INC-7"),
        "{text}"
    );
    assert!(
        text.contains("DROP POLICY users_own ON public.users;  -- CI:DESTRUCTIVE_OK INC-7"),
        "{text}"
    );
    assert!(
        text.contains("ALTER TYPE public.status ADD VALUE 'suspended';"),
        "{text}"
    );
    assert!(
        !text.contains("-- RISK_LEVEL: Low"),
        "risk is computed: {text}"
    );
    let version = file
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split('_')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        db.scalar(&format!(
            "SELECT status FROM sluice_history WHERE version = '{version}'"
        )),
        "adopted"
    );
    assert_eq!(
        db.scalar("SELECT event || ':' || reason FROM sluice_audit ORDER BY id DESC LIMIT 1")
            .split(':')
            .next()
            .unwrap(),
        "adopt"
    );
    let register = std::fs::read_to_string(p.path().join("db/schema/EXCEPTIONS.md")).unwrap();
    assert!(register.contains("| INC-7 | dev |"), "{register}");
    assert!(
        register.contains(&format!("{version}_hotfix_users.sql")),
        "{register}"
    );
    assert!(
        register.contains("column public.users.nickname"),
        "{register}"
    );

    // Afterwards: verify is clean, check is clean, apply has nothing to do.
    p.run(&["verify"]).ok().says("no drift");
    p.run(&["check"]).ok();
    p.run(&["apply"]).ok().says("nothing to apply");

    // A fresh database that applies every migration ends equal to production.
    let fresh = PgDb::create();
    p.run(&["apply", "-q", "--url", &fresh.url()]).ok();
    p.run(&["diff", "--from", &fresh.url(), "--to", &db.url()])
        .ok()
        .says("the schemas are the same");
}

#[test]
fn snapshot_verify_against_and_diff() {
    let db = PgDb::create();
    let p = base(&db);
    p.run(&["snapshot"])
        .ok()
        .says("wrote db/schema/snapshot.json");
    let snap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.path().join("db/schema/snapshot.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(snap["snapshot_version"], 1);
    assert!(snap["tables"]["public.users"].is_object());
    assert!(
        snap["tables"].get("public.sluice_history").is_none(),
        "sluice's own tables are not part of the schema"
    );
    p.run(&["verify", "--against", "db/schema/snapshot.json"])
        .ok();
    db.client()
        .batch_execute("CREATE TABLE extra (id int)")
        .unwrap();
    p.run(&["verify", "--against", "db/schema/snapshot.json"])
        .code(1)
        .says("table public.extra: not expected");
    // diff between a snapshot and the live database, both ways.
    p.run(&[
        "diff",
        "--from",
        "db/schema/snapshot.json",
        "--to",
        &db.url(),
    ])
    .code(1)
    .says("CREATE TABLE public.extra (");
    let out = p.run(&[
        "diff",
        "--from",
        &db.url(),
        "--to",
        "db/schema/snapshot.json",
    ]);
    out.code(1)
        .says("-- destructive: drops table public.extra and its data")
        .says("DROP TABLE public.extra;");
    let j = p
        .run(&[
            "diff",
            "--format",
            "json",
            "--from",
            &db.url(),
            "--to",
            "db/schema/snapshot.json",
        ])
        .json();
    assert_eq!(j["same"], false);
    assert!(j["statements"][0]["destructive"].is_string());
    p.run(&[
        "diff",
        "--from",
        "db/schema/snapshot.json",
        "--to",
        "db/schema/snapshot.json",
    ])
    .ok();
    // A broken snapshot is an error naming the file and position.
    p.raw("bad.json", b"{\"tables\": [");
    p.run(&[
        "diff",
        "--from",
        "bad.json",
        "--to",
        "db/schema/snapshot.json",
    ])
    .code(2)
    .says("bad.json:1:")
    .says("not a sluice schema snapshot");
}

#[test]
fn verify_reports_tables_without_required_rls() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[policy]\nrequire_rls_in_schemas = [\"public\"]\n\n[environments.dev]\nurl = \"{}\"\n",
        db.url()
    ));
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id int);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.run(&["verify"]).ok();
    db.client()
        .batch_execute("ALTER TABLE t DISABLE ROW LEVEL SECURITY")
        .unwrap();
    p.run(&["verify"])
        .code(1)
        .says("table public.t has no row-level security");
}

#[test]
fn verify_on_sqlite() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.run(&["verify"]).ok().says("no drift");
    let c = rusqlite::Connection::open(p.path().join("dev.db")).unwrap();
    c.execute_batch("CREATE INDEX users_email ON users (email)")
        .unwrap();
    p.run(&["verify"])
        .code(1)
        .says("index main.users.users_email: not expected");
}

/// The `verify` JSON document is public interface: its shape is pinned.
#[test]
fn verify_json_shape_is_pinned() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    p.hash();
    p.run(&["apply", "-q"]).ok();
    let c = rusqlite::Connection::open(p.path().join("dev.db")).unwrap();
    c.execute_batch("CREATE INDEX users_email ON users (email); CREATE TABLE notes (id INTEGER);")
        .unwrap();
    let mut v = p.run(&["verify", "--format", "json"]).json();
    v["run_id"] = "<redacted>".into();
    insta::assert_json_snapshot!(v);
}

#[test]
fn verify_names_the_applied_migration_that_no_longer_replays() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    db.client()
        .batch_execute("CREATE TABLE made_by_hand (id int)")
        .unwrap();
    let idx = p.migration(
        "1000000000001",
        "idx",
        "CREATE INDEX made_by_hand_id ON made_by_hand (id);\n",
    );
    // An index on an existing table is Medium (apply refuses an understated risk).
    set_risk(&idx, "Medium");
    p.hash();
    p.run(&["apply", "-q"]).ok();
    p.run(&["verify"])
        .code(2)
        .says("db/migrations/1000000000001_idx.sql:7: the expected schema cannot be built")
        .says("made_by_hand")
        .says("verify --against a snapshot");
}

#[test]
fn adopt_refuses_what_it_cannot_record_and_diff_lists_sqlite_differences() {
    // Pending migrations first: the adopted one must come after them.
    let db = PgDb::create();
    let p = base(&db);
    p.migration("1000000000002", "later", "CREATE TABLE later (id int);\n");
    p.hash();
    db.client()
        .batch_execute("CREATE TABLE extra (id int)")
        .unwrap();
    p.run(&["adopt", "--name", "fix", "--incident", "INC-1"])
        .code(2)
        .says("has 1 pending migration: apply them first");
    p.run(&["adopt", "--name", "fix", "--incident", "not an id"])
        .code(2)
        .says("give the incident's id");
    // Markdown and stdout snapshots.
    p.run(&["verify", "--format", "markdown"])
        .code(1)
        .says("| table | `public.extra` | unexpected |");
    let out = p.run(&["snapshot", "--out", "-"]);
    out.ok();
    assert!(out.json()["tables"]["public.extra"].is_object());

    // SQLite: adopt refuses (it writes Postgres DDL); diff lists the differences.
    let s = Project::sqlite();
    s.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    s.hash();
    s.run(&["apply", "-q"]).ok();
    s.run(&["adopt", "--name", "fix", "--incident", "INC-1"])
        .code(2)
        .says("is a SQLite database: write the retroactive migration by hand");
    s.run(&["apply", "-q", "--url", "sqlite://other.db"]).ok();
    let c = rusqlite::Connection::open(s.path().join("other.db")).unwrap();
    c.execute_batch("CREATE TABLE u (id INTEGER)").unwrap();
    s.run(&[
        "diff",
        "--from",
        "sqlite://dev.db",
        "--to",
        "sqlite://other.db",
    ])
    .code(1)
    .says("table main.u: not expected")
    .says("diff writes Postgres and MySQL DDL; for sqlite schemas");
}
