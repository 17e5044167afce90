//! Layouts whose migrations are several files (a directory per migration),
//! read and run in place through the real binary on a real SQLite file.

mod common;
use common::*;

const DIESEL: &str = "[migrations]\nlayout = \"diesel\"\ndir = \"migrations\"\ndialect = \"sqlite\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_down = true\n";

fn diesel() -> Project {
    let p = Project::new(DIESEL);
    p.raw(
        "migrations/00000000000000_diesel_initial_setup/up.sql",
        b"-- This file was automatically created by Diesel\nCREATE TABLE setup_marker (id integer);\n",
    );
    p.raw(
        "migrations/00000000000000_diesel_initial_setup/down.sql",
        b"DROP TABLE setup_marker; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.raw(
        "migrations/2024-01-02-030405_create_users/up.sql",
        b"CREATE TABLE users (\n  id integer PRIMARY KEY,\n  email text\n);\n",
    );
    p.raw(
        "migrations/2024-01-02-030405_create_users/down.sql",
        b"-- Undo\nDROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p
}

fn tables(p: &Project) -> Vec<String> {
    let c = rusqlite::Connection::open(p.path().join("dev.db")).unwrap();
    let mut s = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sluice_%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A diesel project is checked, hashed, applied, re-applied as a no-op and
/// rolled back from its own `up.sql`/`down.sql` files, with nothing renamed.
#[test]
fn a_diesel_project_runs_in_place() {
    let p = diesel();
    p.run(&["hash"]).ok();
    let ledger = std::fs::read_to_string(p.path().join("migrations/checksums.json")).unwrap();
    assert!(
        ledger.contains("\"2024-01-02-030405_create_users\""),
        "{ledger}"
    );
    p.run(&["check"]).ok().says("2 migrations checked");
    p.run(&["apply", "--env", "dev"]).ok();
    assert_eq!(tables(&p), ["setup_marker", "users"]);
    p.run(&["apply", "--env", "dev"]).ok().says("up to date");
    p.run(&["status", "--env", "dev"]).ok();
    p.run(&["down", "--env", "dev"]).ok();
    assert_eq!(tables(&p), ["setup_marker"]);
    p.run(&["apply", "--env", "dev"]).ok();
    assert_eq!(tables(&p), ["setup_marker", "users"]);
}

/// A finding is reported at the file and line it is in (`down.sql` line 2),
/// not at the directory or at a line of the two files joined.
#[test]
fn a_diesel_finding_names_its_own_file_and_line() {
    let p = diesel();
    p.raw(
        "migrations/2024-01-02-030405_create_users/down.sql",
        b"-- Undo\nDROP TABLE 'users;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("syntax-error")
        .says("--> migrations/2024-01-02-030405_create_users/down.sql:2:")
        .says("2 | DROP TABLE 'users;");
}

/// A migration directory without `up.sql` is a finding naming it, and
/// `metadata.toml`'s `run_in_transaction = false` is honoured.
#[test]
fn a_diesel_directory_without_up_sql_is_a_finding() {
    let p = diesel();
    p.raw(
        "migrations/2024-02-01-000000_empty/down.sql",
        b"SELECT 1;\n",
    );
    p.run(&["check"])
        .code(1)
        .says("filename-contract")
        .says("migrations/2024-02-01-000000_empty` has no up.sql");
}

/// `layout` and `dialect` are read as enums: an unknown name is an error at
/// its line and column in sluice.toml that lists what is supported (exit 2).
#[test]
fn an_unknown_layout_or_dialect_is_an_error_at_its_line() {
    let p = Project::new("[migrations]\nlayout = \"flyway-ish\"\n");
    p.run(&["check"])
        .code(2)
        .says("line 2, column 10")
        .says("layout = \"flyway-ish\" is not supported by this version of sluice; supported: \"sluice\", \"alembic\", \"diesel\", \"golang-migrate\", \"sqlx\", \"dbmate\", \"goose\", \"prisma\", \"files\", \"flyway\"");
    let p = Project::new("[migrations]\n\ndialect = \"oracle\"\n");
    p.run(&["check"])
        .code(2)
        .says("line 3, column 11")
        .says("dialect = \"oracle\" is not one of postgres, sqlite, mysql");
}

/// A project in `layout` on SQLite whose migrations are `files` (paths under
/// `migrations/`), with no sluice header required.
fn in_layout(layout: &str, files: &[(&str, &str)]) -> Project {
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"{layout}\"\ndir = \"migrations\"\ndialect = \"sqlite\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_down = true\n"
    ));
    for (name, body) in files {
        p.raw(&format!("migrations/{name}"), body.as_bytes());
    }
    p
}

/// The whole lifecycle in place, nothing renamed: hash, check, apply, a
/// second apply that does nothing, a clean status, down of the last
/// migration (from its own down part), and apply again.
fn lifecycle(p: &Project, migrations: usize, last_table: &str) {
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .says(&format!("in {migrations} migrations"));
    p.run(&["apply"]).ok();
    assert!(
        tables(p).contains(&last_table.to_string()),
        "{:?}",
        tables(p)
    );
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    p.run(&["down"]).ok().says("reverted");
    assert!(
        !tables(p).contains(&last_table.to_string()),
        "{:?}",
        tables(p)
    );
    p.run(&["apply"]).ok();
    assert!(tables(p).contains(&last_table.to_string()));
}

const DROP_OK: &str = "-- CI:DESTRUCTIVE_OK ADR-1 reversal";

#[test]
fn a_golang_migrate_project_runs_in_place() {
    let p = in_layout(
        "golang-migrate",
        &[
            ("00_init.up.sql", "CREATE TABLE accounts (id integer PRIMARY KEY);\n"),
            ("20210710035447_users.up.sql", "CREATE TABLE users (id integer PRIMARY KEY);\nCREATE INDEX users_id ON users (id);\n"),
            ("20210710035447_users.down.sql", &format!("DROP TABLE users; {DROP_OK}\n")),
        ],
    );
    lifecycle(&p, 2, "users");
}

#[test]
fn a_sqlx_project_runs_in_place() {
    let p = in_layout(
        "sqlx",
        &[
            (
                "20240101000000_accounts.sql",
                "CREATE TABLE accounts (id integer PRIMARY KEY);\n",
            ),
            (
                "20240102000000_users.up.sql",
                "-- no-transaction\nCREATE TABLE users (id integer PRIMARY KEY);\n",
            ),
            (
                "20240102000000_users.down.sql",
                &format!("DROP TABLE users; {DROP_OK}\n"),
            ),
        ],
    );
    lifecycle(&p, 2, "users");
}

#[test]
fn a_dbmate_project_runs_in_place() {
    let p = in_layout(
        "dbmate",
        &[
            ("20240101000000_accounts.sql", "-- migrate:up\nCREATE TABLE accounts (id integer PRIMARY KEY);\n\n-- migrate:down\n"),
            ("20240102000000_users.sql", &format!("-- migrate:up transaction:false\nCREATE TABLE users (id integer PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users; {DROP_OK}\n")),
        ],
    );
    lifecycle(&p, 2, "users");
}

#[test]
fn a_goose_project_runs_in_place() {
    let p = in_layout(
        "goose",
        &[
            ("00001_accounts.sql", "-- +goose Up\nCREATE TABLE accounts (id integer PRIMARY KEY);\n"),
            ("00002_users.sql", &format!("-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE users (id integer PRIMARY KEY);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE users; {DROP_OK}\n")),
        ],
    );
    lifecycle(&p, 2, "users");
}

/// A directive the layout's tool has but sluice does not understand is a
/// `directive-unknown` finding at its file and line, and `apply` refuses
/// to run what it cannot run as the tool would.
#[test]
fn an_unknown_directive_is_a_finding_not_ignored() {
    let p = in_layout(
        "goose",
        &[(
            "00001_a.sql",
            "-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE a (id integer);\n",
        )],
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("directive-unknown")
        .says("--> migrations/00001_a.sql:2:1")
        .says("`-- +goose ENVSUB ON`");
    let p = in_layout(
        "dbmate",
        &[(
            "1_a.sql",
            "-- migrate:up transaction:maybe\nCREATE TABLE a (id integer);\n",
        )],
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("directive-unknown")
        .says("1_a.sql:1:1");
}

/// A golang-migrate down file without its up file, and a sqlx pair, are
/// judged by name: the orphan is a finding naming the missing file.
#[test]
fn a_golang_migrate_down_without_up_is_a_finding() {
    let p = in_layout("golang-migrate", &[("7_x.down.sql", "SELECT 1;\n")]);
    p.run(&["check"])
        .code(1)
        .says("filename-contract")
        .says("has no 7_x.up.sql");
}

/// supabase/auth's 70 migrations (`../shared/corpora/supabase-auth`), in the
/// golang-migrate layout, nothing renamed (the Go template's namespace
/// rendered as `auth`, which must exist, as the corpus README says): checked
/// with the team's rule overrides, applied on a real Postgres, a second apply
/// is a no-op and status is clean.
#[test]
fn supabase_auth_applies_in_the_golang_migrate_layout_on_postgres() {
    let db = PgDb::create();
    db.client().batch_execute("CREATE SCHEMA auth").unwrap();
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"golang-migrate\"\ndir = \"migrations\"\ndialect = \"postgres\"\n\n[policy]\nrequire_header = []\n\n[rules]\n\"drop-column\" = \"warn\"\n\"drop-constraint\" = \"warn\"\n\"drop-index\" = \"warn\"\n\"drop-table\" = \"warn\"\n\"not-null-without-default\" = \"warn\"\n\n[environments.dev]\nurl = \"{}\"\n",
        db.url()
    ));
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/supabase-auth/migrations");
    let mut n = 0;
    for e in std::fs::read_dir(&corpus).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path())
            .unwrap()
            .replace("{{ index .Options \"Namespace\" }}", "auth")
            .replace("{{index .Options \"Namespace\" }}", "auth");
        p.raw(
            &format!("migrations/{}", e.file_name().to_string_lossy()),
            text.as_bytes(),
        );
        n += 1;
    }
    assert_eq!(n, 70);
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .says("0 errors")
        .says("in 70 migrations");
    p.run(&["apply"]).ok().says("applied 70 migrations");
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_history WHERE status = 'applied'"),
        "70"
    );
    assert_eq!(
        db.scalar("SELECT to_regclass('auth.users') IS NOT NULL"),
        "t"
    );
}

/// golang-migrate sends a file as one query: several statements run in one
/// implicit transaction, a lone statement alone. So a file holding only
/// `CREATE INDEX CONCURRENTLY` applies (and `check` does not call it
/// `concurrently-in-transaction`), while one that mixes it with another
/// statement is flagged, as golang-migrate would fail it.
#[test]
fn golang_migrate_runs_a_lone_statement_alone_on_postgres() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"golang-migrate\"\ndir = \"migrations\"\ndialect = \"postgres\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"{}\"\nlock_timeout = \"5s\"\n",
        db.url()
    ));
    p.raw(
        "migrations/1_t.up.sql",
        b"CREATE TABLE t (id int, v text);\nCREATE INDEX t_id ON t (id);\n",
    );
    p.raw(
        "migrations/2_idx.up.sql",
        b"CREATE INDEX CONCURRENTLY t_v ON t (v);\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .never_says("concurrently-in-transaction");
    p.run(&["apply"]).ok().says("applied 2 migrations");
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_v'"),
        "1"
    );
    p.raw(
        "migrations/3_two.up.sql",
        b"CREATE INDEX CONCURRENTLY t_v2 ON t (v);\nSELECT 1;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("concurrently-in-transaction")
        .says("3_two.up.sql:1:");
}

/// Prisma's `<timestamp>_<name>/migration.sql` directories, with
/// `migration_lock.toml` beside them (not a migration, not a finding).
#[test]
fn a_prisma_project_runs_in_place() {
    let p = in_layout(
        "prisma",
        &[
            ("migration_lock.toml", "provider = \"sqlite\"\n"),
            ("20240101000000_init/migration.sql", "CREATE TABLE accounts (id integer PRIMARY KEY);\n"),
            ("20240102000000_users/migration.sql", "CREATE TABLE users (id integer PRIMARY KEY);\nCREATE INDEX users_id ON users (id);\n"),
        ],
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .says("in 2 migrations")
        .never_says("migration_lock");
    p.run(&["apply"]).ok();
    assert!(tables(&p).contains(&"users".to_string()));
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    // Prisma has no down migrations.
    p.run(&["down"])
        .code(1)
        .says("downgrade-forbidden")
        .says("no down section");
    p.raw("migrations/20240103000000_empty/README.md", b"x");
    p.run(&["check"]).code(1).says("has no migration.sql");
}

/// The `files` layout: any extension, bodies never read or run. The
/// contract and the ledger hold (an edited file is `ledger-mismatch`), and
/// `apply` says whose job applying is.
#[test]
fn a_files_project_is_checked_not_run() {
    let p = in_layout(
        "files",
        &[
            (
                "20240101000000_seed.js",
                "export async function up(knex) { await knex.raw('select 1'); }\n",
            ),
            ("20240102000000_more.sh", "#!/bin/sh\npsql -c 'select 1'\n"),
        ],
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .says("in 2 migrations")
        .never_says("syntax-error");
    p.raw(
        "migrations/20240102000000_more.sh",
        b"#!/bin/sh\npsql -c 'select 2'\n",
    );
    p.run(&["check"]).code(1).says("ledger-mismatch");
    p.run(&["apply"])
        .code(2)
        .says("the job of the program that runs these files")
        .says("set [migrations] run = \"...\"");
}

fn git(p: &Project, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(p.path())
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Hashes the project, commits it as `main` (build outputs ignored) and
/// checks out a `feature` branch: the base `guard` diffs against.
fn base_and_branch(p: &Project) {
    p.raw(".gitignore", b".artifacts/\n*.db\n");
    p.run(&["hash"]).ok();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-qm", "base"]);
    git(p, &["checkout", "-qb", "feature"]);
}

/// `guard` on a directory-per-migration layout judges a change to any file
/// inside a merged migration's directory as a change to that migration, and
/// counts a new directory as one added migration.
#[test]
fn guard_judges_diesel_directories_as_migrations() {
    let p = diesel();
    base_and_branch(&p);
    p.raw(
        "migrations/2024-03-01-000000_create_posts/up.sql",
        b"CREATE TABLE posts (id integer PRIMARY KEY);\n",
    );
    p.raw(
        "migrations/2024-03-01-000000_create_posts/down.sql",
        b"DROP TABLE posts; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.run(&["hash"]).ok();
    git(&p, &["add", "-A"]);
    git(&p, &["commit", "-qm", "add posts"]);
    p.run(&["guard", "--base", "main"])
        .ok()
        .says("1 migration added");
    p.raw(
        "migrations/2024-01-02-030405_create_users/down.sql",
        b"-- Undo\nDROP TABLE users CASCADE; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.run(&["hash"]).ok();
    git(&p, &["commit", "-qam", "edit a merged migration"]);
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("migration-modified")
        .says("migrations/2024-01-02-030405_create_users exists on the base and is modified here");
}

/// `sluice init` in a project that already has another tool's migrations
/// writes the matching layout and directory (and pins the existing files in
/// the ledger) instead of creating db/migrations; `check` is then clean.
#[test]
fn init_detects_an_existing_layout() {
    for (files, layout, dir) in [
        (
            vec![
                ("migrations/1_a.up.sql", A_SQL),
                ("migrations/1_a.down.sql", "SELECT 1;\n"),
            ],
            "golang-migrate",
            "migrations",
        ),
        (
            vec![
                (
                    "prisma/migrations/migration_lock.toml",
                    "provider = \"postgresql\"\n",
                ),
                ("prisma/migrations/20240101000000_init/migration.sql", A_SQL),
            ],
            "prisma",
            "prisma/migrations",
        ),
        (
            vec![(
                "db/migrations/20240101000000_a.sql",
                "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n",
            )],
            "dbmate",
            "db/migrations",
        ),
        (
            vec![("migrations/2024-01-01-000000_a/up.sql", A_SQL)],
            "diesel",
            "migrations",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let p = Project { dir: tmp };
        for (name, body) in &files {
            p.raw(name, body.as_bytes());
        }
        p.run(&["init", "--dialect", "sqlite"])
            .ok()
            .says(&format!("found 1 {layout} migration in {dir}/"));
        let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
        assert!(cfg.contains(&format!("layout = \"{layout}\"")), "{cfg}");
        assert!(!p.path().join("db/migrations").exists() || dir == "db/migrations");
        p.run(&["check"]).ok().says("1 migration");
    }
}

const A_SQL: &str = "CREATE TABLE a (id int);\n";

/// Flyway on SQLite: versions with underscores and dots ordered
/// numerically, `U` files as downs, a repeatable reported (never skipped in
/// silence).
#[test]
fn a_flyway_project_runs_in_place() {
    let p = in_layout(
        "flyway",
        &[
            (
                "V1__accounts.sql",
                "CREATE TABLE accounts (id integer PRIMARY KEY);\n",
            ),
            (
                "V1_10__users.sql",
                "CREATE TABLE users (id integer PRIMARY KEY);\n",
            ),
            (
                "U1_10__users.sql",
                "DROP TABLE users; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
            ),
            (
                "V1_9__logs.sql",
                "CREATE TABLE logs (id integer PRIMARY KEY);\n",
            ),
        ],
    );
    lifecycle(&p, 3, "users");
    // A repeatable runs after the versioned ones, and again when it changes.
    p.raw(
        "migrations/R__views.sql",
        b"DROP VIEW IF EXISTS v; -- CI:DESTRUCTIVE_OK ADR-1 replaced below\nCREATE VIEW v AS SELECT 1 AS one;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["apply"]).ok().says("R__views_repeatable  ok");
    p.run(&["apply"]).ok().says("up to date");
    p.raw(
        "migrations/R__views.sql",
        b"DROP VIEW IF EXISTS v; -- CI:DESTRUCTIVE_OK ADR-1 replaced below\nCREATE VIEW v AS SELECT 2 AS two;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["status", "--exit-code"]).code(1).says("pending");
    p.run(&["apply"]).ok().says("R__views_repeatable  ok");
    p.run(&["status", "--exit-code"]).ok();
    let db = p.path().join("dev.db");
    assert_eq!(sqlite_column(&db, "SELECT * FROM v"), ["2"]);
    // down reverses the newest versioned migration, never a repeatable.
    p.run(&["down"]).ok().says("1.10_users  reverted");
    // A repeatable's unknown script directive is reported like a versioned one's.
    p.raw(
        "migrations/R__views.sql",
        b"-- flyway:placeholderReplacement=false\nCREATE VIEW v2 AS SELECT 1;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("directive-unknown")
        .says("migrations/R__views.sql:1:1");
}

/// Every SQL layout's lifecycle on a real Postgres: hash, check, apply, a
/// second apply that does nothing, clean status, down of the last migration
/// from its own down part, apply again. The last migration of each is an
/// index built CONCURRENTLY where the layout can say "outside a
/// transaction" (its own directive), so the tool's transaction semantics are
/// exercised too.
#[test]
fn every_sql_layout_runs_its_lifecycle_on_postgres() {
    const T: &str = "CREATE TABLE accounts (id int PRIMARY KEY, email text);\n";
    const IDX: &str = "CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);\n";
    const UNDO: &str =
        "DROP INDEX CONCURRENTLY accounts_email; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n";
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("golang-migrate", vec![
            ("1_accounts.up.sql".into(), T.into()),
            ("2_idx.up.sql".into(), IDX.into()),
            ("2_idx.down.sql".into(), UNDO.into()),
        ]),
        ("sqlx", vec![
            ("1_accounts.sql".into(), T.into()),
            ("2_idx.up.sql".into(), format!("-- no-transaction\n{IDX}")),
            ("2_idx.down.sql".into(), format!("-- no-transaction\n{UNDO}")),
        ]),
        ("dbmate", vec![
            ("1_accounts.sql".into(), format!("-- migrate:up\n{T}")),
            ("2_idx.sql".into(), format!("-- migrate:up transaction:false\n{IDX}\n-- migrate:down transaction:false\n{UNDO}")),
        ]),
        ("goose", vec![
            ("1_accounts.sql".into(), format!("-- +goose Up\n{T}")),
            ("2_idx.sql".into(), format!("-- +goose NO TRANSACTION\n-- +goose Up\n{IDX}\n-- +goose Down\n{UNDO}")),
        ]),
        ("diesel", vec![
            ("2024-01-01-000000_accounts/up.sql".into(), T.into()),
            ("2024-01-02-000000_idx/up.sql".into(), IDX.into()),
            ("2024-01-02-000000_idx/down.sql".into(), UNDO.into()),
            ("2024-01-02-000000_idx/metadata.toml".into(), "run_in_transaction = false\n".into()),
        ]),
        ("flyway", vec![
            ("V1__accounts.sql".into(), T.into()),
            ("V2__idx.sql".into(), format!("-- flyway:executeInTransaction=false\n{IDX}")),
            ("U2__idx.sql".into(), format!("-- flyway:executeInTransaction=false\n{UNDO}")),
        ]),
    ];
    for (layout, files) in cases {
        let db = PgDb::create();
        let p = Project::new(&format!(
            "[migrations]\nlayout = \"{layout}\"\ndir = \"migrations\"\ndialect = \"postgres\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"{}\"\nlock_timeout = \"5s\"\nallow_down = true\n",
            db.url()
        ));
        for (name, body) in &files {
            p.raw(&format!("migrations/{name}"), body.as_bytes());
        }
        let index =
            || db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'accounts_email'");
        p.run(&["hash"]).ok();
        p.run(&["check"]).ok().never_says("error[");
        p.run(&["plan"]).ok().says("second apply is a no-op: yes");
        p.run(&["report"]).ok().says("#### Rollback path");
        p.run(&["apply"]).ok().says("applied 2 migrations");
        assert_eq!(index(), "1", "{layout}");
        p.run(&["verify"]).ok().says("no drift");
        p.run(&["apply"]).ok().says("up to date");
        p.run(&["status", "--exit-code"]).ok();
        p.run(&["down"]).ok().says("reverted");
        assert_eq!(index(), "0", "{layout}");
        p.run(&["apply"]).ok().says("applied 1 migration");
        assert_eq!(index(), "1", "{layout}");
        // The emergency flow writes the retroactive migration in the
        // layout's own shape; `new` does too.
        db.client()
            .batch_execute("CREATE INDEX accounts_id_email ON accounts (id, email)")
            .unwrap();
        p.run(&["verify"]).code(1).says("accounts_id_email");
        let r = p.run(&["adopt", "--name", "hotfix", "--incident", "INC-3"]);
        r.ok().says("adopted 1 change");
        // (sqlx: one file when there is no down, a pair when there is.)
        let shape = match layout {
            "golang-migrate" => "_hotfix.up.sql",
            "diesel" => "_hotfix/up.sql",
            "flyway" => "__hotfix.sql",
            _ => "_hotfix.sql",
        };
        r.says(shape);
        p.run(&["check"]).ok().never_says("error[");
        p.run(&["verify"]).ok().says("no drift");
        p.run(&["status", "--exit-code"]).ok();
        p.run(&["new", "next step", "--no-transaction"]).ok().says(
            &shape.replace("hotfix", "next_step").replace(
                "_next_step.sql",
                if layout == "sqlx" {
                    "_next_step.up.sql"
                } else {
                    "_next_step.sql"
                },
            ),
        );
        p.run(&["status"]).code(0).says("1 pending");
        p.run(&["check"]).never_says("error[");
    }
}

/// Another tool's files in the directory of a layout are findings naming
/// each file (here dbmate files where golang-migrate is configured), and
/// apply refuses rather than guess.
#[test]
fn files_of_another_layout_are_findings() {
    let p = in_layout(
        "golang-migrate",
        &[
            ("1_a.up.sql", "CREATE TABLE a (id integer);\n"),
            (
                "20240101000000_b.sql",
                "-- migrate:up\nCREATE TABLE b (id integer);\n",
            ),
        ],
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("filename-contract")
        .says("migrations/20240101000000_b.sql` does not match");
}

/// `guard` on golang-migrate: an up and a down file are one migration (one
/// added, not two); editing a merged migration's down file is
/// migration-modified; a pair older than the base's newest is out of order.
#[test]
fn guard_judges_golang_migrate_pairs_as_one_migration() {
    let p = in_layout(
        "golang-migrate",
        &[
            ("10_a.up.sql", "CREATE TABLE a (id integer);\n"),
            (
                "10_a.down.sql",
                "DROP TABLE a; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
            ),
        ],
    );
    base_and_branch(&p);
    p.raw("migrations/20_b.up.sql", b"CREATE TABLE b (id integer);\n");
    p.raw(
        "migrations/20_b.down.sql",
        b"DROP TABLE b; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.run(&["hash"]).ok();
    git(&p, &["add", "-A"]);
    git(&p, &["commit", "-qm", "add b"]);
    p.run(&["guard", "--base", "main"])
        .ok()
        .says("1 migration added");
    p.raw(
        "migrations/5_early.up.sql",
        b"CREATE TABLE early (id integer);\n",
    );
    p.raw(
        "migrations/10_a.down.sql",
        b"DROP TABLE a CASCADE; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
    );
    p.run(&["hash"]).ok();
    git(&p, &["add", "-A"]);
    git(&p, &["commit", "-qm", "edit and an early one"]);
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("migrations/10_a exists on the base and is modified here")
        .says("out-of-order")
        .says("migration 5 is added here");
}

/// Prisma in place under `guard` and `new`: a new migration directory is one
/// added migration, an edit to a merged `migration.sql` is
/// `migration-modified` naming its directory, `migration_lock.toml` is never
/// a migration, and `sluice new` writes `<version>_<name>/migration.sql`.
#[test]
fn guard_and_new_follow_prismas_directories() {
    let p = in_layout(
        "prisma",
        &[
            ("migration_lock.toml", "provider = \"sqlite\"\n"),
            (
                "20240101000000_init/migration.sql",
                "CREATE TABLE accounts (id integer PRIMARY KEY);\n",
            ),
        ],
    );
    base_and_branch(&p);
    p.raw(
        "migrations/migration_lock.toml",
        b"provider = \"postgresql\"\n",
    );
    p.run(&["new", "add posts"])
        .ok()
        .says("_add_posts/migration.sql");
    p.run(&["check"])
        .never_says("error[")
        .says("in 2 migrations");
    git(&p, &["add", "-A"]);
    git(&p, &["commit", "-qm", "add posts"]);
    p.run(&["guard", "--base", "main"])
        .ok()
        .says("1 migration added");
    p.raw(
        "migrations/20240101000000_init/migration.sql",
        b"CREATE TABLE accounts (id integer PRIMARY KEY, email text);\n",
    );
    p.run(&["hash"]).ok();
    git(&p, &["commit", "-qam", "edit a merged migration"]);
    p.run(&["guard", "--base", "main"])
        .code(1)
        .says("migration-modified")
        .says("migrations/20240101000000_init exists on the base and is modified here");
}

/// A Flyway version written two ways (`V1_2__` and `V1.2__` are both 1.2)
/// is a `duplicate-version` naming both files, and apply refuses rather than
/// pick an order; nothing is written.
#[test]
fn a_flyway_version_written_two_ways_is_a_duplicate() {
    let p = in_layout(
        "flyway",
        &[
            (
                "V1__accounts.sql",
                "CREATE TABLE accounts (id integer PRIMARY KEY);\n",
            ),
            (
                "V1_2__users.sql",
                "CREATE TABLE users (id integer PRIMARY KEY);\n",
            ),
            (
                "V1.2__logs.sql",
                "CREATE TABLE logs (id integer PRIMARY KEY);\n",
            ),
        ],
    );
    p.run(&["hash"])
        .code(2)
        .says("migrations share a version (version 1.2: migrations/V1.2__logs.sql, migrations/V1_2__users.sql)");
    assert!(!p.path().join("migrations/checksums.json").exists());
    p.run(&["check"])
        .code(1)
        .says("duplicate-version")
        .says("migrations/V1.2__logs.sql")
        .says("migrations/V1_2__users.sql");
    p.run(&["apply"]).code(1).says("duplicate-version");
    assert!(
        tables(&p).iter().all(|t| t != "accounts"),
        "{:?}",
        tables(&p)
    );
}

/// `guard` over a git diff in every layout not covered above (sqlx, dbmate,
/// goose, flyway): a migration added on the branch is one added migration,
/// and an edit to a migration merged on the base is `migration-modified`
/// naming the team's own file.
#[test]
fn guard_works_in_every_sql_layout() {
    // (layout, base file, edited base text, added file)
    let cases = [
        (
            "sqlx",
            "1_a.sql",
            "CREATE TABLE a (id integer, x text);\n",
            "2_b.sql",
        ),
        (
            "dbmate",
            "1_a.sql",
            "-- migrate:up\nCREATE TABLE a (id integer, x text);\n",
            "2_b.sql",
        ),
        (
            "goose",
            "1_a.sql",
            "-- +goose Up\nCREATE TABLE a (id integer, x text);\n",
            "2_b.sql",
        ),
        (
            "flyway",
            "V1__a.sql",
            "CREATE TABLE a (id integer, x text);\n",
            "V2__b.sql",
        ),
    ];
    for (layout, base, edited, added) in cases {
        let marker = match layout {
            "dbmate" => "-- migrate:up\n",
            "goose" => "-- +goose Up\n",
            _ => "",
        };
        let p = in_layout(
            layout,
            &[(base, &format!("{marker}CREATE TABLE a (id integer);\n"))],
        );
        base_and_branch(&p);
        p.raw(
            &format!("migrations/{added}"),
            format!("{marker}CREATE TABLE b (id integer);\n").as_bytes(),
        );
        p.run(&["hash"]).ok();
        git(&p, &["add", "-A"]);
        git(&p, &["commit", "-qm", "add b"]);
        p.run(&["guard", "--base", "main"])
            .ok()
            .says("1 migration added");
        p.raw(&format!("migrations/{base}"), edited.as_bytes());
        p.run(&["hash"]).ok();
        git(&p, &["commit", "-qam", "edit a merged migration"]);
        p.run(&["guard", "--base", "main"])
            .code(1)
            .says("migration-modified")
            .says(&format!("migrations/{base}"));
    }
}

/// Prisma on a real Postgres: check, apply, a second apply that does
/// nothing, a clean status, `down` refused (Prisma has no downs), and
/// `migration_lock.toml` never a migration.
#[test]
fn a_prisma_project_runs_in_place_on_postgres() {
    let db = PgDb::create();
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"prisma\"\ndir = \"prisma/migrations\"\ndialect = \"postgres\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"{}\"\nallow_down = true\n",
        db.url()
    ));
    p.raw(
        "prisma/migrations/migration_lock.toml",
        b"provider = \"postgresql\"\n",
    );
    p.raw(
        "prisma/migrations/20240101000000_init/migration.sql",
        b"-- CreateTable\nCREATE TABLE \"User\" (\n    \"id\" SERIAL NOT NULL,\n    \"email\" TEXT NOT NULL,\n    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n);\n\n-- CreateIndex\nCREATE UNIQUE INDEX \"User_email_key\" ON \"User\"(\"email\");\n",
    );
    p.raw(
        "prisma/migrations/20240102000000_posts/migration.sql",
        b"-- CreateTable\nCREATE TABLE \"Post\" (\n    \"id\" SERIAL NOT NULL,\n    \"authorId\" INTEGER NOT NULL,\n    CONSTRAINT \"Post_pkey\" PRIMARY KEY (\"id\")\n);\n\n-- AddForeignKey\nALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .never_says("error[")
        .says("in 2 migrations");
    p.run(&["apply"]).ok().says("applied 2 migrations");
    assert_eq!(db.scalar("SELECT to_regclass('\"Post\"') IS NOT NULL"), "t");
    p.run(&["apply"]).ok().says("up to date");
    p.run(&["status", "--exit-code"]).ok();
    p.run(&["verify"]).ok().says("no drift");
    p.run(&["down"]).code(1).says("downgrade-forbidden");
}
