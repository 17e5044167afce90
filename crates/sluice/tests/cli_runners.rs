//! Migrations another program runs (`[migrations] run` / `run_down`), under
//! sluice's lock, gates, history, audit and evidence: `.mjs` files run by the
//! real Node with the real `pg` driver (from the npm registry, installed into
//! the project as a team would), on a real Postgres.

mod common;
use common::*;

const RUNNER: &str = r#"// db/migrate.mjs: runs one migration file's up() or down() with a pg client.
import pg from 'pg';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [direction, file] = process.argv.slice(2);
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  const m = await import(pathToFileURL(path.resolve(file)).href);
  await m[direction](client);
} finally {
  await client.end();
}
"#;

fn migration(table: &str, extra: &str) -> String {
    format!(
        "export async function up(db) {{\n  await db.query('CREATE TABLE {table} (id int PRIMARY KEY)');\n{extra}}}\n\nexport async function down(db) {{\n  await db.query('DROP TABLE {table}');\n}}\n"
    )
}

/// A project in the seed's shape: `db/migrations/<13 digits>_<name>.mjs`,
/// run by `node db/migrate.mjs up {path}`.
fn mjs_project(db: &PgDb) -> Project {
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"files\"\nledger_format = \"map\"\nfilename = '^\\d{{13}}_[a-z0-9_]+\\.mjs$'\nrun = \"node db/migrate.mjs up {{path}}\"\nrun_down = \"node db/migrate.mjs down {{path}}\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"{}\"\nallow_down = true\nlock_timeout = \"5s\"\n",
        db.url()
    ));
    p.raw("db/migrate.mjs", RUNNER.as_bytes());
    p.raw(
        "package.json",
        b"{ \"type\": \"module\", \"private\": true }\n",
    );
    let out = std::process::Command::new("npm")
        .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
        .arg(p.path())
        .arg("pg@8")
        .output()
        .expect("npm is needed for this test");
    assert!(
        out.status.success(),
        "npm install pg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    p.raw(
        "db/migrations/1700000000001_users.mjs",
        migration("users", "").as_bytes(),
    );
    p.raw(
        "db/migrations/1700000000002_posts.mjs",
        migration("posts", "").as_bytes(),
    );
    p
}

/// check passes, apply runs each migration through Node under sluice (history,
/// audit, evidence), a second apply is a no-op, status is clean, and down
/// runs the runner's down.
#[test]
fn mjs_migrations_run_through_node_under_sluice() {
    let db = PgDb::create();
    let p = mjs_project(&db);
    p.run(&["hash"]).ok();
    p.run(&["check"]).ok().never_says("syntax-error");
    p.run(&["apply"])
        .ok()
        .says("1700000000002_posts  ok")
        .says("applied 2 migrations");
    assert_eq!(db.scalar("SELECT to_regclass('posts') IS NOT NULL"), "t");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1700000000001:applied", "1700000000002:applied"]
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_audit WHERE event = 'apply'"),
        "2"
    );
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    let ev = p.evidence();
    assert!(ev["runs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["command"] == "apply" && r["outcome"] == "ok"));
    p.run(&["down"]).ok().says("1700000000002_posts  reverted");
    assert_eq!(db.scalar("SELECT to_regclass('posts') IS NULL"), "t");
}

/// A runner that fails leaves its migration dirty (never applied), with the
/// exit code and the tail of its output, scrubbed of the password; nothing
/// after it runs, and apply refuses until resolve.
#[test]
fn a_failing_runner_leaves_the_migration_dirty() {
    let db = PgDb::create();
    let p = mjs_project(&db);
    p.raw(
        "db/migrations/1700000000002_posts.mjs",
        migration("posts", "  throw new Error('boom after creating posts');\n").as_bytes(),
    );
    p.raw(
        "db/migrations/1700000000003_later.mjs",
        migration("later", "").as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run(&["apply"])
        .code(2)
        .says("exited with code 1")
        .says("boom after creating posts")
        .says("now dirty")
        .says("sluice resolve 1700000000002");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1700000000001:applied", "1700000000002:dirty"]
    );
    assert_eq!(db.scalar("SELECT to_regclass('later') IS NULL"), "t");
    p.run(&["apply"]).code(1).says("dirty-state");
}

/// Without `run`, a files project says what to set (exit 2), and never
/// sends the files to the database.
#[test]
fn without_run_apply_says_what_to_set() {
    let p = Project::new("[migrations]\nlayout = \"files\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\n");
    p.raw(
        "db/migrations/1700000000001_a.mjs",
        b"export async function up() {}\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["apply"])
        .code(2)
        .says("set [migrations] run = \"...\"");
}

/// The team's own ledger, a JSON object of file name to SHA-256 hex, is read
/// as is (`check` passes on it), kept a map by `sluice hash`, and an edited
/// file is `ledger-mismatch`.
#[test]
fn a_map_ledger_is_read_and_written_as_is() {
    use sha2::Digest;
    let db = PgDb::create();
    let p = mjs_project(&db);
    let dir = p.path().join("db/migrations");
    let mut map = serde_json::Map::new();
    for name in ["1700000000001_users.mjs", "1700000000002_posts.mjs"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        map.insert(name.into(), serde_json::Value::String(hex));
    }
    let team = serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap();
    std::fs::write(dir.join("checksums.json"), &team).unwrap();
    p.run(&["check"]).ok().says("2 migrations");
    p.raw(
        "db/migrations/1700000000003_later.mjs",
        migration("later", "").as_bytes(),
    );
    p.run(&["hash"]).ok();
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("checksums.json")).unwrap())
            .unwrap();
    let obj = after.as_object().expect("still a map");
    assert_eq!(obj.len(), 3);
    assert!(obj.get("format").is_none());
    assert_eq!(
        obj["1700000000001_users.mjs"],
        serde_json::from_str::<serde_json::Value>(&team).unwrap()["1700000000001_users.mjs"]
    );
    p.raw(
        "db/migrations/1700000000001_users.mjs",
        migration("users2", "").as_bytes(),
    );
    p.run(&["check"]).code(1).says("ledger-mismatch");
}

/// A deploy workflow that downgrades outside dev is `downgrade-in-automation`;
/// a container that runs `alembic upgrade` at start is `startup-migration`.
#[test]
fn runner_commands_in_automation_are_findings() {
    let p = Project::sqlite();
    p.raw(
        ".github/workflows/deploy.yml",
        b"jobs:\n  deploy:\n    steps:\n      - run: alembic downgrade -1\n      - run: alembic downgrade base --env dev\n",
    );
    p.raw(
        "Dockerfile",
        b"FROM python:3.12\nCMD alembic upgrade head && gunicorn app:app\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("error[downgrade-in-automation]")
        .says("--> .github/workflows/deploy.yml:4:")
        .says("error[startup-migration]")
        .says("--> Dockerfile:2:");
}

/// `report` on migrations another program runs shows the runner's command
/// and the migration's own text in its language's fence.
#[test]
fn report_shows_the_runner_and_the_migrations_own_text() {
    let db = PgDb::create();
    let p = mjs_project(&db);
    p.run(&["hash"]).ok();
    p.run(&["report", "--versions", "1700000000001"])
        .ok()
        .says("which runs `node db/migrate.mjs up db/migrations/1700000000001_users.mjs`")
        .says("```javascript\nexport async function up(db) {");
}

/// `plan` replays `.mjs` migrations through Node on a scratch database
/// (up → down → up, a second apply, status), handing Node the scratch
/// database's URL, never the target's; `verify` builds its expected schema
/// the same way.
#[test]
fn plan_and_verify_replay_mjs_migrations_through_node() {
    let db = PgDb::create();
    let p = mjs_project(&db);
    p.run(&["hash"]).ok();
    p.run(&["plan"]).ok().says("second apply is a no-op: yes");
    assert_eq!(db.scalar("SELECT to_regclass('users') IS NULL"), "t");
    p.run(&["apply"]).ok();
    p.run(&["verify"]).ok().says("no drift");
    db.client()
        .batch_execute("ALTER TABLE posts ADD COLUMN body text")
        .unwrap();
    p.run(&["verify"]).code(1).says("body");
}
