//! Approvals and gates at apply time, against a real PostgreSQL database.

mod common;
use common::*;
use std::path::Path;

fn production(db: &PgDb, extra: &str) -> Project {
    Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"{url}\"\n\n[environments.production]\nurl = \"{url}\"\nlock_timeout = \"5s\"\napprovals = {{ low = 0, medium = 1, high = 2 }}\n{extra}",
        url = db.url()
    ))
}

/// A Medium-risk migration (a plain index on a table created earlier) and a
/// High-risk one (a bypassed column drop).
fn migrations(p: &Project) {
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY, email text, legacy text);\n",
    );
    let m = p.migration(
        "1000000000002",
        "users_email_idx",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    set_risk(&m, "Medium");
    let h = p.migration(
        "1000000000003",
        "drop_legacy",
        "ALTER TABLE users DROP COLUMN legacy; -- CI:DESTRUCTIVE_OK ADR-9 moved to archive\n",
    );
    set_risk(&h, "High");
    // High risk carries its documented rationale ([policy] high_risk_rationale).
    let text = std::fs::read_to_string(&h).unwrap();
    std::fs::write(
        &h,
        text.replace(
            "-- ROLLBACK_STRATEGY",
            "-- JUSTIFICATION: legacy moved to the archive (ADR-9)\n-- ROLLBACK_STRATEGY",
        ),
    )
    .unwrap();
    p.hash();
}

fn applied(db: &PgDb) -> Vec<String> {
    db.column("SELECT version FROM sluice_history WHERE status = 'applied' ORDER BY version")
}

fn no_history(db: &PgDb) -> bool {
    db.scalar("SELECT to_regclass('sluice_history') IS NULL") == "t" || applied(db).is_empty()
}

#[test]
fn approvals_block_until_enough_distinct_approvers() {
    let db = PgDb::create();
    let p = production(&db, "");
    migrations(&p);
    p.run(&["check"]).ok();
    let r = p.run(&["apply", "--env", "production"]);
    r.code(1)
        .says("approval-missing")
        .says("migration 1000000000002 is Medium risk: `production` needs 1 approval and has 0")
        .says("migration 1000000000003 is High risk: `production` needs 2 approvals and has 0")
        .says("nothing was changed");
    assert!(no_history(&db), "a refused run applies nothing");
    assert_eq!(db.scalar("SELECT to_regclass('users') IS NULL"), "t");
    assert_eq!(
        db.scalar("SELECT outcome FROM sluice_audit ORDER BY id DESC LIMIT 1"),
        "refused"
    );

    p.approve("production", "1000000000002", "alice", "OPS-1")
        .ok()
        .says("bound to checksum");
    p.approve("production", "1000000000003", "alice", "OPS-2")
        .ok();
    // The same person twice is one approver.
    p.approve("production", "1000000000003", "alice", "OPS-2")
        .ok();
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("needs 2 approvals and has 1 (approved by: alice)");
    p.approve("production", "1000000000003", "bob", "OPS-2")
        .ok();
    p.run(&["apply", "--env", "production"]).ok();
    assert_eq!(
        applied(&db),
        ["1000000000001", "1000000000002", "1000000000003"]
    );
    let used =
        db.scalar("SELECT approvals::text FROM sluice_history WHERE version = '1000000000003'");
    assert!(
        used.contains("alice") && used.contains("bob") && used.contains("OPS-2"),
        "{used}"
    );
    let audited = db.scalar("SELECT details->'approvals' FROM sluice_audit WHERE event = 'apply' AND version = '1000000000003'");
    assert!(audited.contains("bob"), "{audited}");
    // dev needs none.
    p.run(&["status", "--env", "dev", "--exit-code"]).ok();
}

#[test]
fn an_edit_after_approval_makes_it_stale() {
    let db = PgDb::create();
    let p = production(&db, "");
    migrations(&p);
    for (v, who) in [
        ("1000000000002", "alice"),
        ("1000000000003", "alice"),
        ("1000000000003", "bob"),
    ] {
        p.run(&[
            "approve",
            v,
            "--env",
            "production",
            "--by",
            who,
            "--ref",
            "OPS-1",
        ])
        .ok();
    }
    let f = p.migrations().join("1000000000002_users_email_idx.sql");
    std::fs::write(
        &f,
        std::fs::read_to_string(&f)
            .unwrap()
            .replace("(email)", "(email, id)"),
    )
    .unwrap();
    p.hash();
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("approval-stale")
        .says("alice's approval of migration 1000000000002")
        .says("not counted: alice (stale)");
    assert!(no_history(&db));
}

#[test]
fn approvers_restricts_who_counts() {
    let db = PgDb::create();
    let p = production(&db, "approvers = [\"alice\", \"bob\"]\n");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
    );
    let m = p.migration(
        "1000000000002",
        "idx",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    set_risk(&m, "Medium");
    p.hash();
    // `approve` refuses a name outside `approvers` before writing anything.
    p.approve("production", "1000000000002", "mallory", "X-1")
        .code(2)
        .says("`mallory` is not among `production`'s approvers (alice, bob); nothing was recorded");
    assert!(!p.path().join("db/approvals.toml").exists());
    // One written into the file by hand does not count either.
    p.approve("production", "1000000000002", "alice", "X-1")
        .ok();
    let file = p.path().join("db/approvals.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"alice\"", "\"mallory\"")).unwrap();
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("mallory (not in approvers)")
        .says("ask alice or bob");
    p.approve("production", "1000000000002", "bob", "X-1").ok();
    p.run(&["apply", "--env", "production"]).ok();
    p.approve("nowhere", "1000000000002", "bob", "X-1")
        .code(2)
        .says("unknown environment `nowhere`");
    p.approve("production", "1000000000009", "bob", "X-1")
        .code(2)
        .says("no migration with version 1000000000009");
}

fn keygen(dir: &Path, name: &str) -> (String, String) {
    let key = dir.join(name);
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (
        key.to_string_lossy().into_owned(),
        public.trim().to_string(),
    )
}

#[test]
fn signed_approvals_verify_and_forgeries_do_not_count() {
    let db = PgDb::create();
    let p = production(&db, "allowed_signers = \"db/allowed_signers\"\n");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
    );
    let m = p.migration(
        "1000000000002",
        "idx",
        "CREATE INDEX users_email_idx ON users (email);\n",
    );
    set_risk(&m, "Medium");
    p.hash();
    let keys = tempfile::tempdir().unwrap();
    let (alice_key, alice_pub) = keygen(keys.path(), "alice");
    let (eve_key, _) = keygen(keys.path(), "eve");
    p.raw(
        "db/allowed_signers",
        format!("alice namespaces=\"sluice-approval\" {alice_pub}\n").as_bytes(),
    );

    // Unsigned approvals do not count where signatures are required.
    p.approve("production", "1000000000002", "alice", "OPS-1")
        .ok();
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("alice (unsigned; `production` requires signed approvals)");
    // Eve cannot sign as alice: approve refuses to record it.
    p.run(&[
        "approve",
        "1000000000002",
        "--env",
        "production",
        "--by",
        "alice",
        "--ref",
        "OPS-1",
        "--sign",
        &eve_key,
    ])
    .code(2)
    .says("does not verify");
    // Alice signs: it counts.
    p.run(&[
        "approve",
        "1000000000002",
        "--env",
        "production",
        "--by",
        "alice",
        "--ref",
        "OPS-1",
        "--sign",
        &alice_key,
    ])
    .ok()
    .says("signed");
    let file = p.path().join("db/approvals.toml");
    let good = std::fs::read_to_string(&file).unwrap();
    // A hand-edited signed approval (the ticket changed) is refused, and so is a
    // signature pasted under another name.
    std::fs::write(
        &file,
        good.replace("ref = \"OPS-1\"\nat", "ref = \"OPS-999\"\nat"),
    )
    .unwrap();
    p.run(&["apply", "--env", "production"])
        .code(1)
        .says("approval-unverified")
        .says("forged, or a field was edited");
    assert!(no_history(&db));
    std::fs::write(&file, good.clone()).unwrap();
    p.run(&["apply", "--env", "production"]).ok();
    assert_eq!(applied(&db), ["1000000000001", "1000000000002"]);
    assert!(db
        .scalar("SELECT approvals::text FROM sluice_history WHERE version = '1000000000002'")
        .contains("\"signed\": true"));
}

#[test]
fn verify_current_guards_app_start_up_and_never_migrates() {
    let db = PgDb::create();
    let p = production(&db, "");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY);\n",
    );
    p.migration(
        "1000000000002",
        "posts",
        "CREATE TABLE posts (id int PRIMARY KEY);\n",
    );
    p.hash();
    let dir = p.migrations();
    // Nothing applied: both pending, and the guard created nothing.
    let e = sluice::verify_current(&db.url(), &dir).unwrap_err();
    assert_eq!(e.pending, ["1000000000001", "1000000000002"]);
    assert!(
        e.to_string()
            .contains("2 migrations pending (1000000000001, 1000000000002): run `sluice apply`"),
        "{e}"
    );
    assert_eq!(
        db.scalar("SELECT to_regclass('sluice_history') IS NULL"),
        "t",
        "the guard never writes"
    );
    p.run(&["apply", "--env", "dev"]).ok();
    sluice::verify_current(&db.url(), &dir).unwrap();
    // An edit to an applied file, and a file the code lacks.
    let f = dir.join("1000000000002_posts.sql");
    std::fs::write(
        &f,
        std::fs::read_to_string(&f)
            .unwrap()
            .replace("id int", "id bigint"),
    )
    .unwrap();
    std::fs::remove_file(dir.join("1000000000001_users.sql")).unwrap();
    let e = sluice::verify_current(&db.url(), &dir).unwrap_err();
    assert_eq!(
        (e.modified.clone(), e.missing.clone()),
        (
            vec!["1000000000002".to_string()],
            vec!["1000000000001".to_string()]
        )
    );
    // An unreachable database is an error that never shows the password.
    let e = sluice::verify_current("postgres://u:s3cret-pw@127.0.0.1:1/x", &dir).unwrap_err();
    assert!(
        e.error.is_some() && !e.to_string().contains("s3cret-pw"),
        "{e}"
    );
}

#[test]
fn report_renders_the_pull_request_evidence_pack() {
    let db = PgDb::create();
    let p = production(&db, "");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["apply", "--env", "dev"]).ok();
    let m = p.migration(
        "1000000000002",
        "users_bio",
        "ALTER TABLE users ADD COLUMN bio text;\nCREATE INDEX users_email_idx ON users (email);\n-- sluice:down\nDROP INDEX users_email_idx; -- CI:DESTRUCTIVE_OK ADR-1 reversal\nALTER TABLE users DROP COLUMN bio; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    set_risk(&m, "Medium");
    p.hash();
    p.approve("production", "1000000000002", "alice", "OPS-7")
        .ok();
    let md = p.run(&["report", "--env", "production", "--format", "markdown"]);
    md.ok()
        .says("### 1000000000002 users_bio")
        .says("computed **Medium**")
        .says("**Approvals**: 1 of 1 needed: alice (OPS-7)")
        .says("| 7 | ALTER TABLE users | AccessExclusiveLock on users | yes |")
        .says("ShareLock on users")
        .says("`sluice down --env production` runs the down section")
        .says("FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'bio'")
        .says("`index-not-concurrent` (warn)")
        .says("### Evidence")
        .never_says("1000000000001 users");
    let j = p
        .run(&["report", "--env", "production", "--format", "json"])
        .json();
    let m0 = &j["migrations"][0];
    assert_eq!(m0["version"], "1000000000002");
    assert_eq!(m0["approvals"]["needed"], 1);
    assert_eq!(m0["rollback"]["kind"], "down-section");
    assert_eq!(j["evidence"]["last_run"]["command"], "apply");
    // Without a database: name the versions.
    let j = p
        .run(&["report", "--versions", "1000000000001", "--format", "json"])
        .json();
    assert_eq!(j["migrations"][0]["rollback"]["kind"], "irreversible");
}
