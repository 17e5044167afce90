//! Alembic revisions applied under sluice: the real Alembic (from PyPI,
//! installed once into the ignored `target/peers/alembic` venv with
//! SQLAlchemy and psycopg) runs each revision (`alembic -c alembic.ini
//! upgrade {revision}`, `downgrade {previous}`), sluice gates it and records
//! it, on a real Postgres and on SQLite files.

mod common;
use common::*;
use std::path::PathBuf;

/// The venv's `bin`, with Alembic in it (installed on first use).
fn alembic_bin() -> PathBuf {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/alembic");
    let bin = venv.join("bin");
    if !bin.join("alembic").exists() || !venv.join("psycopg.ok").exists() {
        let out = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .expect("python3 is needed to install Alembic for this test");
        assert!(
            out.status.success(),
            "python3 -m venv: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = std::process::Command::new(bin.join("pip"))
            .args([
                "install",
                "--quiet",
                "alembic==1.*",
                "sqlalchemy==2.*",
                "psycopg[binary]==3.*",
            ])
            .output()
            .expect("pip");
        assert!(
            out.status.success(),
            "pip install alembic: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(venv.join("psycopg.ok"), b"").unwrap();
    }
    bin.canonicalize().unwrap()
}

/// PATH with the venv first, so that `alembic` is the real one.
fn path_env() -> String {
    format!(
        "{}:{}",
        alembic_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The team's `env.py`: the URL from `DATABASE_URL` (sluice's spelling
/// turned into SQLAlchemy's), one transaction per run.
const ENV_PY: &str = r#"import os
from alembic import context
from sqlalchemy import create_engine

url = os.environ["DATABASE_URL"]
if url.startswith("postgres://"):
    url = "postgresql://" + url[len("postgres://"):]
elif url.startswith("sqlite://") and not url.startswith("sqlite:///"):
    url = "sqlite:///" + url[len("sqlite://"):]

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"#;

/// A revision: its docstring header, its graph edge and its bodies.
fn revision(id: &str, down: &str, risk: &str, up: &str, down_body: &str) -> String {
    format!(
        "\"\"\"{id}.\n\nRevision ID: {id}\nRevises: {down}\nMIGRATION_ID: {id}\nTITLE: {id}\nCHANGE_TYPE: Table\nRISK_LEVEL: {risk}\nFORWARD_ONLY: No\nROLLBACK_STRATEGY: downgrade()\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{id}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{up}\n\n\ndef downgrade():\n{down_body}\n"
    )
}

fn table(id: &str, down: &str, t: &str) -> String {
    revision(
        id,
        down,
        "Low",
        &format!("    op.create_table(\"{t}\", sa.Column(\"id\", sa.Integer(), primary_key=True))"),
        &format!("    op.drop_table(\"{t}\")"),
    )
}

/// An Alembic project: `alembic.ini`, `migrations/env.py`, and a history
/// with two branches merged into one head (0001 → 0002a, 0002b → 0003).
fn alembic_project(environments: &str) -> Project {
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"alembic\"\ndir = \"migrations/versions\"\n\n{environments}"
    ));
    p.raw(
        "alembic.ini",
        b"[alembic]\nscript_location = migrations\n\n[loggers]\nkeys = root\n\n[handlers]\nkeys = console\n\n[formatters]\nkeys = generic\n\n[logger_root]\nlevel = WARN\nhandlers = console\n\n[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n\n[formatter_generic]\nformat = %(levelname)s %(message)s\n",
    );
    p.raw("migrations/env.py", ENV_PY.as_bytes());
    p.raw(
        "migrations/script.py.mako",
        b"\"\"\"${message}\"\"\"\nrevision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n\ndef upgrade():\n    ${upgrades if upgrades else \"pass\"}\n\ndef downgrade():\n    ${downgrades if downgrades else \"pass\"}\n",
    );
    p.raw(
        "migrations/versions/0001_users.py",
        table("0001", "None", "users").as_bytes(),
    );
    p.raw(
        "migrations/versions/0002a_teams.py",
        table("0002a", "\"0001\"", "teams").as_bytes(),
    );
    p.raw(
        "migrations/versions/0002b_posts.py",
        table("0002b", "\"0001\"", "posts").as_bytes(),
    );
    p.raw(
        "migrations/versions/0003_merge.py",
        revision(
            "0003",
            "(\"0002a\", \"0002b\")",
            "Low",
            "    op.add_column(\"posts\", sa.Column(\"team_id\", sa.Integer()))",
            "    op.drop_column(\"posts\", \"team_id\")",
        )
        .as_bytes(),
    );
    p
}

fn pg_envs(db: &PgDb) -> String {
    let url = db.url();
    format!(
        "[environments.dev]\nurl = \"{url}\"\nallow_down = true\nlock_timeout = \"5s\"\n\n[environments.staging]\nurl = \"{url}\"\n\n[environments.production]\nurl = \"{url}\"\napprovals = {{ low = 1, medium = 1, high = 2 }}\n"
    )
}

/// `version:state` of each migration in a `status --format json` document.
fn states(doc: &serde_json::Value) -> Vec<String> {
    doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["version"].as_str().unwrap(),
                m["state"].as_str().unwrap()
            )
        })
        .collect()
}

fn alembic(p: &Project, args: &[&str], url: &str) -> String {
    let out = std::process::Command::new(alembic_bin().join("alembic"))
        .current_dir(p.path())
        .args(["-c", "alembic.ini"])
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "alembic {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An untouched project is clean; apply runs each revision through Alembic
/// (parents first, the merge last), status reads `alembic_version`, a second
/// apply is a no-op, and down reverses the merge alone.
#[test]
fn alembic_revisions_apply_through_alembic_under_sluice() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    p.run(&["check"]).ok();
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 4 migrations");
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    assert_eq!(
        db.column(
            "SELECT version || ':' || status FROM sluice_history ORDER BY applied_at, version"
        ),
        [
            "0001:applied",
            "0002a:applied",
            "0002b:applied",
            "0003:applied"
        ]
    );
    p.run_env(&["apply"], &env).ok().says("nothing to apply");
    p.run_env(&["status", "--exit-code"], &env).ok();
    p.run_env(&["down", "--env", "dev"], &env).ok();
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version ORDER BY 1"),
        ["0002a", "0002b"]
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'team_id'"),
        "0"
    );
    p.run_env(&["down", "--env", "dev"], &env).ok();
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version ORDER BY 1"),
        ["0002a"]
    );
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 2 migrations");
    p.run_env(&["status", "--exit-code"], &env).ok();
    // The report: Alembic's commands, the revision's text, the previous one.
    let r = p.run(&["report", "--versions", "0002b,0003"]);
    r.ok()
        .says("which runs `alembic -c alembic.ini upgrade 0002b`")
        .says("runs `alembic -c alembic.ini downgrade 0002b@-1`")
        .says("runs `alembic -c alembic.ini downgrade 0002a`")
        .says("```python\n\"\"\"0003.")
        .says("Previous revision: `0001`.")
        .says("Previous revision: `0002a, 0002b`.");
    let doc = p
        .run(&["report", "--versions", "0003", "--format", "json"])
        .json();
    assert_eq!(doc["migrations"][0]["upgrade"]["previous"], "0002a, 0002b");
    assert_eq!(
        doc["migrations"][0]["upgrade"]["runner_down"],
        "alembic -c alembic.ini downgrade 0002a"
    );
}

/// Production needs an approval bound to the revision's checksum: apply is
/// refused (nothing runs, Alembic never starts) until it is recorded; down
/// is refused in staging (allow_down is off) and allowed in dev.
#[test]
fn alembic_apply_is_gated_by_approvals_and_down_by_environment() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    p.run_env(&["apply", "--env", "production"], &env)
        .code(1)
        .says("approval-missing")
        .says("apply refused on environment `production`");
    assert_eq!(
        db.scalar("SELECT to_regclass('alembic_version') IS NULL"),
        "t"
    );
    for rev in ["0001", "0002a", "0002b", "0003"] {
        p.run(&[
            "approve",
            rev,
            "--env",
            "production",
            "--by",
            "alice",
            "--ref",
            "OPS-9",
        ])
        .ok()
        .says("bound to checksum");
    }
    p.run_env(&["apply", "--env", "production"], &env)
        .ok()
        .says("applied 4 migrations");
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    assert_eq!(
        db.scalar(
            "SELECT approvals::text LIKE '%alice%' FROM sluice_history WHERE version = '0001'"
        ),
        "t"
    );
    p.run_env(&["down", "--env", "staging"], &env)
        .code(1)
        .says("downgrade-forbidden");
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    p.run_env(&["down", "--env", "dev"], &env).ok();
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version ORDER BY 1"),
        ["0002a", "0002b"]
    );
}

/// A revision that fails part-way: Alembic's transaction rolls back on
/// Postgres, so the revision is `failed` (not dirty, never applied), nothing
/// of it remains and nothing after it ran; fixed, it applies.
#[test]
fn alembic_revision_failing_midway_is_failed_and_stops_the_run() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    let bad = p.raw(
        "migrations/versions/0004_bad.py",
        revision(
            "0004",
            "\"0003\"",
            "Low",
            "    op.create_table(\"half\", sa.Column(\"id\", sa.Integer()))\n    op.execute(\"SELECT 1/0\")",
            "    op.drop_table(\"half\")",
        )
        .as_bytes(),
    );
    p.raw(
        "migrations/versions/0005_after.py",
        table("0005", "\"0004\"", "after").as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &env)
        .code(2)
        .says("division by zero")
        .says("its runner rolled its transaction back");
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    assert_eq!(
        db.scalar("SELECT status FROM sluice_history WHERE version = '0004'"),
        "failed"
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE version = '0005'"),
        "0"
    );
    assert_eq!(
        db.scalar("SELECT to_regclass('half') IS NULL AND to_regclass('after') IS NULL"),
        "t"
    );
    let r = p.run_env(&["status", "--format", "json"], &env);
    let states: Vec<String> = states(&r.json());
    assert_eq!(
        states,
        [
            "0001:applied",
            "0002a:applied",
            "0002b:applied",
            "0003:applied",
            "0004:failed",
            "0005:pending"
        ]
    );
    std::fs::write(
        &bad,
        revision(
            "0004",
            "\"0003\"",
            "Low",
            "    op.create_table(\"half\", sa.Column(\"id\", sa.Integer()))",
            "    op.drop_table(\"half\")",
        ),
    )
    .unwrap();
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 2 migrations");
    p.run_env(&["status", "--exit-code"], &env).ok();
}

/// `kill -9` of the Alembic process mid-revision: its connection's
/// transaction never commits, `alembic_version` is unchanged, and sluice
/// records the revision `failed`, never applied; the lock is released.
#[test]
fn alembic_child_killed_leaves_the_revision_failed_never_applied() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.raw(
        "migrations/versions/0004_slow.py",
        revision(
            "0004",
            "\"0003\"",
            "Low",
            "    op.create_table(\"slow\", sa.Column(\"id\", sa.Integer()))\n    op.execute(\"SELECT pg_sleep(4)\")",
            "    op.drop_table(\"slow\")",
        )
        .as_bytes(),
    );
    p.run(&["hash"]).ok();
    let child = p
        .command(&["apply"], &env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for Alembic to be inside 0004, then kill it.
    let mut killed = false;
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if db.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(4)%'")
            == "1"
        {
            let out = std::process::Command::new("pkill")
                .args(["-9", "-f", "bin/alembic -c alembic.ini upgrade 0004"])
                .output()
                .unwrap();
            killed = out.status.success();
            break;
        }
    }
    assert!(killed, "Alembic never reached revision 0004");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("was killed by a signal"), "{stderr}");
    assert_eq!(
        db.scalar("SELECT status FROM sluice_history WHERE version = '0004'"),
        "failed"
    );
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    // The server ends the orphaned transaction; nothing of 0004 commits.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert_eq!(db.scalar("SELECT to_regclass('slow') IS NULL"), "t");
    p.run_env(&["apply"], &env).ok().says("applied 1 migration");
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        ["0004"]
    );
}

/// The emergency flow: a hand-made change is drift (`verify` exit 1);
/// `adopt` writes an Alembic revision on the head (one head for Alembic),
/// recorded in `alembic_version` and as adopted; `verify` is then clean and
/// `check` passes on the new revision.
#[test]
fn alembic_emergency_flow_adopts_into_a_revision() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &env).ok();
    db.client()
        .batch_execute("CREATE INDEX posts_team_id ON posts (team_id); ALTER TABLE users ADD COLUMN email text")
        .unwrap();
    p.run_env(&["verify"], &env).code(1).says("posts_team_id");
    p.run_env(
        &["adopt", "--name", "hotfix index", "--incident", "INC-7"],
        &env,
    )
    .ok()
    .says("adopted 2 changes");
    let heads = alembic(&p, &["heads"], &db.url());
    assert_eq!(heads.lines().count(), 1, "{heads}");
    let head = heads.split_whitespace().next().unwrap().to_string();
    assert_eq!(
        db.column("SELECT version_num FROM alembic_version"),
        [head.as_str()]
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT status FROM sluice_history WHERE version = '{head}'"
        )),
        "adopted"
    );
    let file = std::fs::read_dir(p.path().join("migrations/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.to_string_lossy().contains("hotfix_index"))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("down_revision = \"0003\""), "{text}");
    assert!(text.contains("op.execute(r\"\"\"CREATE INDEX"), "{text}");
    assert!(
        text.contains("MIGRATION_ID: ") && text.contains("INC-7"),
        "{text}"
    );
    p.run_env(&["verify"], &env).ok();
    p.run(&["check"]).ok();
    p.run_env(&["status", "--exit-code"], &env).ok();
    p.run_env(&["apply"], &env).ok().says("nothing to apply");
}

/// `plan` replays through Alembic on a scratch database (up → down → up for
/// revisions with a downgrade, a second apply, status) and leaves the target
/// untouched; the child is handed the scratch database, never the target.
#[test]
fn alembic_plan_replays_through_alembic_on_a_scratch_database() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    p.run_env(&["plan"], &env)
        .ok()
        .says("second apply is a no-op: yes");
    assert_eq!(
        db.scalar("SELECT to_regclass('alembic_version') IS NULL"),
        "t"
    );
    assert_eq!(db.scalar("SELECT to_regclass('users') IS NULL"), "t");
    // A downgrade that does not undo its upgrade is caught on the scratch.
    p.raw(
        "migrations/versions/0004_leaky.py",
        revision(
            "0004",
            "\"0003\"",
            "Low",
            "    op.add_column(\"users\", sa.Column(\"bio\", sa.Text()))",
            "    pass\n    op.execute(\"SELECT 1\")",
        )
        .as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run_env(&["plan"], &env).code(1).says("rollback-mismatch");
    assert_eq!(db.scalar("SELECT to_regclass('users') IS NULL"), "t");
}

/// What is applied comes from `alembic_version`: revisions Alembic applied
/// by itself count as applied (and apply starts after them); a recorded
/// revision no file has is `applied-missing`, and apply refuses.
#[test]
fn alembic_status_reads_alembic_version() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    alembic(&p, &["upgrade", "0002a"], &db.url());
    let r = p.run_env(&["status", "--format", "json"], &env);
    let doc = r.json();
    let states: Vec<String> = states(&doc);
    assert_eq!(
        states,
        [
            "0001:applied",
            "0002a:applied",
            "0002b:pending",
            "0003:pending"
        ]
    );
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 2 migrations");
    p.run_env(&["status", "--exit-code"], &env).ok();
    db.client()
        .batch_execute("INSERT INTO alembic_version VALUES ('ffee0099')")
        .unwrap();
    p.run_env(&["status", "--exit-code"], &env)
        .code(1)
        .says("ffee0099");
    p.run_env(&["apply"], &env).code(1).says("applied-missing");
}

/// `baseline --from alembic`: the revisions Alembic applied (the head and
/// its ancestors) are taken over; the rest applies through Alembic.
#[test]
fn alembic_history_is_taken_over_by_baseline() {
    let db = PgDb::create();
    let p = alembic_project(&pg_envs(&db));
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    alembic(&p, &["upgrade", "0002b"], &db.url());
    p.run(&["baseline", "--from", "alembic"])
        .ok()
        .says("baselined 2 migrations");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["0001:baseline", "0002b:baseline"]
    );
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 2 migrations");
    p.run_env(&["status", "--exit-code"], &env).ok();
}

/// On SQLite, Alembic assumes non-transactional DDL: a revision that fails
/// part-way is `dirty` (resolve it), never failed or applied; the rest of
/// the lifecycle works on a file.
#[test]
fn alembic_on_sqlite_applies_and_a_failure_is_dirty() {
    let p = alembic_project("[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_down = true\n");
    // The team keeps its Alembic configuration elsewhere: `alembic_ini` says
    // where (the default `alembic.ini` is gone).
    std::fs::create_dir_all(p.path().join("config")).unwrap();
    std::fs::rename(
        p.path().join("alembic.ini"),
        p.path().join("config/alembic.ini"),
    )
    .unwrap();
    let toml = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    p.raw(
        "sluice.toml",
        toml.replacen(
            "[migrations]\n",
            "[migrations]\nalembic_ini = \"config/alembic.ini\"\n",
            1,
        )
        .as_bytes(),
    );
    let path = path_env();
    let env = [("PATH", path.as_str())];
    p.run(&["hash"]).ok();
    p.run(&["report", "--versions", "0001"])
        .ok()
        .says("`alembic -c config/alembic.ini upgrade 0001`");
    // --to a revision: it and its ancestors, not its sibling branch.
    p.run_env(&["apply", "--to", "0002b"], &env)
        .ok()
        .says("applied 2 migrations");
    let db = p.path().join("dev.db");
    assert_eq!(
        sqlite_column(&db, "SELECT version_num FROM alembic_version"),
        ["0002b"]
    );
    p.run_env(&["apply"], &env)
        .ok()
        .says("applied 2 migrations");
    assert_eq!(
        sqlite_column(&db, "SELECT version_num FROM alembic_version"),
        ["0003"]
    );
    p.run_env(&["down"], &env).ok();
    p.run_env(&["apply"], &env).ok().says("applied 1 migration");
    p.raw(
        "migrations/versions/0004_bad.py",
        revision(
            "0004",
            "\"0003\"",
            "Low",
            "    op.create_table(\"half\", sa.Column(\"id\", sa.Integer()))\n    op.execute(\"SELECT * FROM no_such_table\")",
            "    op.drop_table(\"half\")",
        )
        .as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &env).code(2).says("no such table");
    assert_eq!(
        sqlite_column(
            &db,
            "SELECT status FROM sluice_history WHERE version = '0004'"
        ),
        ["dirty"]
    );
    p.run_env(&["apply"], &env).code(1).says("dirty-state");
    // Settled by hand by its revision id, then fixed: it applies.
    p.run(&[
        "resolve",
        "0004",
        "--rolled-back",
        "--reason",
        "half table dropped by hand",
    ])
    .ok();
    p.run_env(&["status"], &env).says("0004").says("pending");
}

/// Airflow's real history (124 revisions): `check` reads it in place, and
/// `status` on a database Alembic left at a revision in the middle counts
/// that revision and its ancestors as applied.
#[test]
fn airflow_history_status_at_scale() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/airflow-alembic/versions");
    let corpus = if corpus.exists() {
        corpus
    } else {
        std::path::Path::new("/work/shared/corpora/airflow-alembic/versions").to_path_buf()
    };
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"alembic\"\ndir = \"versions\"\n\n[policy]\nrequire_header = []\nmigration_id = \"any\"\n\n[environments.dev]\nurl = \"{}\"\n",
        db.url()
    ));
    let dir = p.path().join("versions");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for f in &names {
        std::fs::copy(f, dir.join(f.file_name().unwrap())).unwrap();
    }
    p.run(&["hash"]).ok();
    p.run(&["check", "--format", "json"])
        .never_says("syntax-error")
        .never_says("revision-gap");
    // Alembic left the database at revision 60's id.
    let sixty = names
        .iter()
        .find(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("0060_")
        })
        .unwrap();
    let text = std::fs::read_to_string(sixty).unwrap();
    let rev = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("revision = \"")
                .or_else(|| l.strip_prefix("revision: str = \""))
        })
        .map(|l| l.trim_end_matches('"').to_string())
        .unwrap();
    db.client()
        .batch_execute(&format!("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('{rev}')"))
        .unwrap();
    let doc = p.run(&["status", "--format", "json"]).json();
    assert_eq!(doc["summary"]["applied"], 61, "{doc}");
    assert_eq!(doc["summary"]["pending"], 63, "{doc}");
}

/// Alembic missing from PATH: apply fails before the revision is marked
/// (exit 2, naming the program); nothing is recorded, nothing is dirty.
#[test]
fn alembic_not_installed_fails_before_anything_is_recorded() {
    let p = alembic_project("[environments.dev]\nurl = \"sqlite://dev.db\"\n");
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &[("PATH", "/usr/bin:/bin")])
        .code(2)
        .says("`alembic` (the program in `alembic -c alembic.ini upgrade 0001`) was not found on PATH")
        .says("nothing ran and nothing was recorded");
    let db = p.path().join("dev.db");
    assert!(sqlite_column(&db, "SELECT version FROM sluice_history").is_empty());
    p.run_env(&["status", "--exit-code"], &[("PATH", "/usr/bin:/bin")])
        .code(1)
        .never_says("dirty");
}

/// The Alembic process gets the environment's timeouts and session
/// variables in `PGOPTIONS` (psycopg is libpq-based): a revision that checks
/// them on its own connection applies only when they are there.
#[test]
fn alembic_child_gets_timeouts_and_session_in_pgoptions() {
    let db = PgDb::create();
    let p = alembic_project(&format!(
        "[environments.dev]\nurl = \"{}\"\nlock_timeout = \"5s\"\nstatement_timeout = \"90s\"\nsession = {{ application_name = \"team app\" }}\n",
        db.url()
    ));
    for f in ["0002a_teams.py", "0002b_posts.py", "0003_merge.py"] {
        std::fs::remove_file(p.path().join("migrations/versions").join(f)).unwrap();
    }
    p.raw(
        "migrations/versions/0002_check.py",
        revision(
            "0002",
            "\"0001\"",
            "Low",
            "    op.execute(\"DO $$ BEGIN IF current_setting('lock_timeout') <> '5s' OR current_setting('statement_timeout') <> '90s' OR current_setting('application_name') <> 'team app' THEN RAISE EXCEPTION 'settings not passed: %, %, %', current_setting('lock_timeout'), current_setting('statement_timeout'), current_setting('application_name'); END IF; END $$\")",
            "    pass",
        )
        .as_bytes(),
    );
    let path = path_env();
    p.run(&["hash"]).ok();
    p.run_env(&["apply"], &[("PATH", path.as_str())])
        .ok()
        .says("applied 2 migrations");
}
