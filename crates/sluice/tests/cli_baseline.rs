//! `sluice baseline`: another tool's history table taken over, and a database
//! migrated by hand, on a real Postgres. Each tool's table is created with
//! the DDL the tool itself runs (from its source: golang-migrate's
//! `database/postgres`, dbmate's `pkg/driver/postgres`, sqlx-core's
//! `postgres/migrate.rs`, goose's `internal/dialect`, diesel's
//! `migration_harness`, Prisma's schema engine), and filled as the tool fills
//! it after running the same migrations.

mod common;
use common::*;
use sha2::Digest;

fn project(db: &PgDb, layout: &str, files: &[(&str, &str)]) -> Project {
    let p = Project::new(&format!(
        "[migrations]\nlayout = \"{layout}\"\ndir = \"migrations\"\ndialect = \"postgres\"\n\n[policy]\nrequire_header = []\n\n[environments.dev]\nurl = \"{}\"\nlock_timeout = \"5s\"\n",
        db.url()
    ));
    for (name, body) in files {
        p.raw(&format!("migrations/{name}"), body.as_bytes());
    }
    p.run(&["hash"]).ok();
    p
}

const A: &str = "CREATE TABLE a (id int PRIMARY KEY);\n";
const B: &str = "CREATE TABLE b (id int PRIMARY KEY);\n";
const C: &str = "CREATE TABLE c (id int PRIMARY KEY);\n";
const VIEW: &str = "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;\n";
const OTHER: &str = "CREATE OR REPLACE VIEW w AS SELECT 1 AS one;\n";

fn golang(db: &PgDb) -> Project {
    project(
        db,
        "golang-migrate",
        &[("1_a.up.sql", A), ("2_b.up.sql", B), ("3_c.up.sql", C)],
    )
}

/// golang-migrate applied 1 and 2; sluice takes over and applies 3.
#[test]
fn golang_migrate_history_is_taken_over_and_the_rest_applies() {
    let db = PgDb::create();
    let p = golang(&db);
    db.client()
        .batch_execute(&format!(
            "{A}{B}CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, false);"
        ))
        .unwrap();
    p.run(&["status", "--exit-code"]).code(1).says("3 pending");
    p.run(&["baseline", "--from", "golang-migrate"])
        .ok()
        .says("baselined 2 migrations on `dev` from golang-migrate's schema_migrations");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1:baseline", "2:baseline"]
    );
    assert_eq!(
        db.scalar("SELECT count(*) FROM sluice_audit WHERE event = 'baseline'"),
        "1"
    );
    p.run(&["apply"]).ok().says("applied 1 migration");
    p.run(&["status", "--exit-code"]).ok();
    // Again: nothing new to record, nothing changes.
    p.run(&["baseline", "--from", "golang-migrate"])
        .ok()
        .says("baselined 0 migrations");
}

/// A dirty golang-migrate version is imported as dirty, never as applied,
/// and apply refuses until it is resolved.
#[test]
fn a_dirty_golang_migrate_version_is_imported_dirty() {
    let db = PgDb::create();
    let p = golang(&db);
    db.client()
        .batch_execute(&format!(
            "{A}CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (2, true);"
        ))
        .unwrap();
    p.run(&["baseline", "--from", "golang-migrate"])
        .ok()
        .says("1 imported as dirty");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1:baseline", "2:dirty"]
    );
    assert!(db
        .scalar("SELECT error FROM sluice_history WHERE version = '2'")
        .contains("sluice resolve"));
    p.run(&["apply"]).code(1).says("dirty-state");
}

/// A version the tool recorded whose file is gone refuses the baseline, and
/// nothing is written.
#[test]
fn a_recorded_migration_without_its_file_refuses_and_writes_nothing() {
    let db = PgDb::create();
    let p = project(
        &db,
        "dbmate",
        &[("20240101000000_a.sql", &format!("-- migrate:up\n{A}"))],
    );
    db.client()
        .batch_execute(&format!(
            "{A}CREATE TABLE IF NOT EXISTS public.schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240102000000');"
        ))
        .unwrap();
    p.run(&["baseline", "--from", "dbmate"])
        .code(2)
        .says("nothing was recorded")
        .says("records 20240102000000 as applied, but no migration file has it");
    assert_eq!(
        db.scalar("SELECT to_regclass('sluice_history') IS NULL"),
        "t"
    );
}

fn sha384(s: &str) -> String {
    sha2::Sha384::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// sqlx: success = false is dirty; a file changed since sqlx recorded its
/// SHA-384 refuses the baseline.
#[test]
fn sqlx_checksums_and_failed_runs_are_honoured() {
    let db = PgDb::create();
    let p = project(
        &db,
        "sqlx",
        &[("1_a.sql", A), ("2_b.sql", B), ("3_c.sql", C)],
    );
    let ddl = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);";
    db.client()
        .batch_execute(&format!(
            "{A}{ddl} INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (1, 'a', true, '\\x{}', 1), (2, 'b', false, '\\x{}', 1);",
            sha384(A),
            sha384(B)
        ))
        .unwrap();
    p.raw(
        "migrations/1_a.sql",
        b"CREATE TABLE a (id bigint PRIMARY KEY);\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["baseline", "--from", "sqlx"])
        .code(2)
        .says("migrations/1_a.sql changed since sqlx applied it");
    p.raw("migrations/1_a.sql", A.as_bytes());
    p.run(&["hash"]).ok();
    p.run(&["baseline", "--from", "sqlx"])
        .ok()
        .says("baselined 1 migration")
        .says("1 imported as dirty");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["1:baseline", "2:dirty"]
    );
}

/// Prisma: finished rows are applied, an unfinished one dirty, a rolled-back
/// one as if it never ran (so apply runs it).
#[test]
fn prisma_finished_unfinished_and_rolled_back_rows() {
    let db = PgDb::create();
    let p = project(
        &db,
        "prisma",
        &[
            ("20240101000000_a/migration.sql", A),
            ("20240102000000_b/migration.sql", B),
            ("20240103000000_c/migration.sql", C),
        ],
    );
    let sha256 = |s: &str| -> String {
        sha2::Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    db.client()
        .batch_execute(&format!(
            "{A}CREATE TABLE \"_prisma_migrations\" (\"id\" VARCHAR(36) PRIMARY KEY NOT NULL, \"checksum\" VARCHAR(64) NOT NULL, \"finished_at\" TIMESTAMPTZ, \"migration_name\" VARCHAR(255) NOT NULL, \"logs\" TEXT, \"rolled_back_at\" TIMESTAMPTZ, \"started_at\" TIMESTAMPTZ NOT NULL DEFAULT now(), \"applied_steps_count\" INTEGER NOT NULL DEFAULT 0);
             INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, applied_steps_count) VALUES
               ('1', '{}', now(), '20240101000000_a', NULL, 1),
               ('2', '{}', NULL, '20240102000000_b', now(), 0),
               ('3', '{}', NULL, '20240103000000_c', NULL, 0);",
            sha256(A),
            sha256(B),
            sha256(C)
        ))
        .unwrap();
    p.run(&["baseline", "--from", "prisma"])
        .ok()
        .says("baselined 1 migration")
        .says("1 imported as dirty");
    assert_eq!(
        db.column("SELECT version || ':' || status FROM sluice_history ORDER BY version"),
        ["20240101000000:baseline", "20240103000000:dirty"]
    );
}

/// goose's latest row per version decides (applied, then rolled back, then
/// applied again), and its version 0 row is its own; diesel's versions are
/// its directories' without dashes.
#[test]
fn goose_and_diesel_tables() {
    let db = PgDb::create();
    let p = project(
        &db,
        "goose",
        &[
            ("00001_a.sql", &format!("-- +goose Up\n{A}")),
            ("00002_b.sql", &format!("-- +goose Up\n{B}")),
        ],
    );
    db.client()
        .batch_execute(&format!(
            "{A}CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (2, false);"
        ))
        .unwrap();
    p.run(&["baseline", "--from", "goose"])
        .ok()
        .says("baselined 1 migration");
    p.run(&["apply"]).ok().says("applied 1 migration");

    let db = PgDb::create();
    let p = project(
        &db,
        "diesel",
        &[
            ("2024-01-02-030405_a/up.sql", A),
            ("2024-01-03-000000_b/up.sql", B),
        ],
    );
    db.client()
        .batch_execute(&format!(
            "{A}CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20240102030405');"
        ))
        .unwrap();
    p.run(&["baseline", "--from", "diesel"])
        .ok()
        .says("baselined 1 migration");
    p.run(&["apply"]).ok().says("applied 1 migration");
    p.run(&["status", "--exit-code"]).ok();
}

/// A database migrated by hand: `--to` checks its schema against the replay
/// first; drift refuses unless --force, which audits the differences.
#[test]
fn baseline_to_checks_the_schema_first() {
    let db = PgDb::create();
    let p = golang(&db);
    db.client()
        .batch_execute(&format!("{A}{B}ALTER TABLE b ADD COLUMN extra int;"))
        .unwrap();
    p.run(&[
        "baseline",
        "--to",
        "2",
        "--reason",
        "migrated by hand in 2023",
    ])
    .code(2)
    .says("differs from the replay")
    .says("nothing was recorded");
    p.run(&[
        "baseline",
        "--to",
        "2",
        "--reason",
        "INC-7: extra column is known",
        "--force",
    ])
    .ok()
    .says("baselined 2 migrations");
    assert!(db
        .scalar("SELECT details FROM sluice_audit WHERE event = 'baseline'")
        .contains("public.b.extra"));
    assert_eq!(
        db.scalar("SELECT reason FROM sluice_audit WHERE event = 'baseline'"),
        "INC-7: extra column is known"
    );
    p.run(&["apply"]).ok().says("applied 1 migration");

    let db = PgDb::create();
    let p = golang(&db);
    db.client().batch_execute(&format!("{A}{B}")).unwrap();
    p.run(&["baseline", "--to", "2", "--reason", "migrated by hand"])
        .ok()
        .says("baselined 2 migrations");
    p.run(&["baseline", "--to", "9", "--reason", "x"])
        .code(2)
        .says("no migration has that version");
}

/// The real dbmate (from the npm registry, installed into the ignored
/// `target/peers/dbmate` on first use) applies the first half of a history;
/// sluice takes over its `schema_migrations` and applies the rest.
#[test]
fn the_real_dbmate_applies_half_and_sluice_the_rest() {
    let dbmate = install_dbmate();
    let db = PgDb::create();
    let files: Vec<(String, String)> = (1..=4)
        .map(|i| {
            (
                format!("2024010{i}000000_t{i}.sql"),
                format!("-- migrate:up\nCREATE TABLE t{i} (id int PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE t{i}; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_str()))
        .collect();
    let p = project(&db, "dbmate", &refs);
    // dbmate sees only the first two.
    let half = tempfile::tempdir().unwrap();
    for (n, b) in &files[..2] {
        std::fs::write(half.path().join(n), b).unwrap();
    }
    let out = std::process::Command::new(&dbmate)
        .arg("--url")
        .arg(format!("{}?sslmode=disable", db.url()))
        .arg("--migrations-dir")
        .arg(half.path())
        .args(["--no-dump-schema", "up"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(db.scalar("SELECT count(*) FROM schema_migrations"), "2");
    p.run(&["baseline", "--from", "dbmate"])
        .ok()
        .says("baselined 2 migrations");
    p.run(&["apply"]).ok().says("applied 2 migrations");
    p.run(&["status", "--exit-code"]).ok();
    assert_eq!(db.scalar("SELECT to_regclass('t4') IS NOT NULL"), "t");
}

/// dbmate from the npm registry, installed once into `target/peers/dbmate`.
fn install_dbmate() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/dbmate");
    let bin = dir.join("node_modules/.bin/dbmate");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("dbmate@2")
            .output()
            .expect("npm is needed to install dbmate for this test");
        assert!(
            out.status.success(),
            "installing dbmate from npm failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    bin
}

/// Flyway: its table as Flyway creates it on Postgres; versions `1` and
/// `1.1` applied (`V1_1` on disk), their CRC32 checksums checked; a file
/// edited since is refused; the rest applies.
#[test]
fn flyway_history_is_taken_over_with_its_checksums() {
    let db = PgDb::create();
    let v1 = "CREATE TABLE a (id int PRIMARY KEY);\r\n";
    let v11 = "-- flyway:executeInTransaction=false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n";
    let p = project(
        &db,
        "flyway",
        &[
            ("V1__init.sql", v1),
            ("V1_1__index.sql", v11),
            (
                "U1_1__index.sql",
                "DROP INDEX CONCURRENTLY a_id; -- CI:DESTRUCTIVE_OK ADR-1 reversal\n",
            ),
            ("V2__b.sql", B),
            ("R__views.sql", VIEW),
            ("R__other.sql", OTHER),
        ],
    );
    let crc = sluice_core::layout::flyway::checksum;
    db.client()
        .batch_execute(&format!(
            "{v1}CREATE INDEX a_id ON a (id);
             CREATE TABLE \"flyway_schema_history\" (\"installed_rank\" INT NOT NULL, \"version\" VARCHAR(50), \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INTEGER, \"installed_by\" VARCHAR(100) NOT NULL, \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(), \"execution_time\" INTEGER NOT NULL, \"success\" BOOLEAN NOT NULL);
             ALTER TABLE \"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");
             CREATE INDEX \"flyway_schema_history_s_idx\" ON \"flyway_schema_history\" (\"success\");
             INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', {}, 'me', now(), 3, true), (2, '1.1', 'index', 'SQL', 'V1_1__index.sql', {}, 'me', now(), 4, true),
               (3, NULL, 'views', 'SQL', 'R__views.sql', {}, 'me', now(), 1, true),
               (4, NULL, 'other', 'SQL', 'R__other.sql', 12345, 'me', now(), 1, true);
             {VIEW}{OTHER}",
            crc(v1),
            crc(v11),
            crc(VIEW)
        ))
        .unwrap();
    p.raw(
        "migrations/V1__init.sql",
        b"CREATE TABLE a (id bigint PRIMARY KEY);\n",
    );
    p.run(&["hash"]).ok();
    p.run(&["baseline", "--from", "flyway"])
        .code(2)
        .says("migrations/V1__init.sql changed since flyway applied it");
    p.raw("migrations/V1__init.sql", v1.as_bytes());
    p.run(&["hash"]).ok();
    // R__views is as Flyway ran it; R__other changed since (another
    // checksum): Flyway would run it again, and so does sluice.
    p.run(&["baseline", "--from", "flyway"])
        .ok()
        .says("baselined 3 migrations");
    p.run(&["apply"])
        .ok()
        .says("applied 2 migrations")
        .says("R__other_repeatable  ok")
        .never_says("R__views");
    p.run(&["status", "--exit-code"]).ok();
    // The undo file is 1.1's down: reverse 2, then 1.1 (outside a transaction).
    p.run(&["down", "--to", "1"])
        .code(1)
        .says("downgrade-forbidden")
        .says("2");
}

/// A table by the tool's name but of another shape (Rails' schema_migrations
/// has no `dirty`) is an error naming the table and the columns expected,
/// not "no history"; nothing is written.
#[test]
fn a_foreign_table_of_another_shape_is_an_error() {
    let db = PgDb::create();
    let p = golang(&db);
    db.client()
        .batch_execute("CREATE TABLE schema_migrations (version varchar PRIMARY KEY); INSERT INTO schema_migrations VALUES ('1');")
        .unwrap();
    p.run(&["baseline", "--from", "golang-migrate"])
        .code(2)
        .says("golang-migrate's table schema_migrations could not be read as golang-migrate creates it (columns version, dirty)");
    assert_eq!(
        db.scalar("SELECT to_regclass('sluice_history') IS NULL"),
        "t"
    );
    // No table at all: said so.
    let db = PgDb::create();
    let p = golang(&db);
    p.run(&["baseline", "--from", "golang-migrate"])
        .code(2)
        .says("has no schema_migrations table");
}

/// refinery's V-files are read with the flyway layout; its
/// `refinery_schema_history` (as refinery creates it) is taken over.
#[test]
fn refinery_history_is_taken_over() {
    let db = PgDb::create();
    let p = project(
        &db,
        "flyway",
        &[("V1__a.sql", A), ("V2__b.sql", B), ("V3__c.sql", C)],
    );
    db.client()
        .batch_execute(&format!(
            "{A}{B}CREATE TABLE IF NOT EXISTS refinery_schema_history(version INT4 PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255));
             INSERT INTO refinery_schema_history VALUES (1, 'a', '2024-01-01T00:00:00Z', '123'), (2, 'b', '2024-01-02T00:00:00Z', '456');"
        ))
        .unwrap();
    p.run(&["baseline", "--from", "refinery"])
        .ok()
        .says("baselined 2 migrations on `dev` from refinery's refinery_schema_history");
    p.run(&["apply"]).ok().says("applied 1 migration");
    p.run(&["status", "--exit-code"]).ok();
}
