//! Analysis judges each migration against the schema model of the whole
//! history before it (tables, columns, indexes, constraints and whether they
//! are validated, functions and their volatility), through the real binary.

mod common;
use common::*;

fn pg_project() -> Project {
    let p = Project::sqlite();
    p.raw("sluice.toml", b"[migrations]\ndialect = \"postgres\"\n");
    p
}

fn check_json(p: &Project) -> serde_json::Value {
    p.hash();
    p.run(&["check", "--format", "json"]).json()
}

/// `CREATE TABLE IF NOT EXISTS users` after an earlier migration created
/// `users` creates nothing: the lock rules judge `users` as the existing
/// table it is (they used to go silent), while `IF NOT EXISTS` of a table no
/// earlier migration created is a creation (and changing it is no finding).
#[test]
fn if_not_exists_creates_only_what_the_history_lacks() {
    let p = pg_project();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text);\n",
    );
    p.migration(
        "1000000000002",
        "again",
        "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users DROP COLUMN legacy;\n",
    );
    p.migration(
        "1000000000003",
        "fresh",
        "CREATE TABLE IF NOT EXISTS fresh (id bigint PRIMARY KEY, tmp text);\nCREATE INDEX fresh_tmp_idx ON fresh (tmp);\nALTER TABLE fresh DROP COLUMN tmp;\n",
    );
    let doc = check_json(&p);
    let again = rules_of(&doc, "again");
    for rule in ["index-not-concurrent", "drop-column"] {
        assert!(again.contains(&rule.to_string()), "{rule}: {again:?}");
    }
    let fresh = rules_of(&doc, "fresh");
    for rule in ["index-not-concurrent", "drop-column"] {
        assert!(!fresh.contains(&rule.to_string()), "{rule}: {fresh:?}");
    }
}

/// A history the model cannot follow (a statement that does not parse)
/// leaves it unable to tell whether an unknown table exists: `IF NOT
/// EXISTS` of such a table may create nothing, and a drop after it is still
/// a drop.
#[test]
fn an_unfollowable_history_keeps_if_not_exists_conservative() {
    let p = pg_project();
    p.migration("1000000000001", "broken", "CREATE TABLEE nope (id int);\n");
    p.migration(
        "1000000000002",
        "maybe",
        "CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, tmp text);\nALTER TABLE accounts DROP COLUMN tmp;\n",
    );
    let doc = check_json(&p);
    assert!(
        rules_of(&doc, "maybe").contains(&"drop-column".to_string()),
        "{doc}"
    );
}

/// `fk-without-index` judges the history: an index created by a later
/// migration resolves the finding (a cached run and a cold run agree), one
/// created by an earlier migration covers a foreign key added afterwards,
/// and a foreign key added to an older table without any index is found
/// (it used to be skipped).
#[test]
fn fk_without_index_sees_indexes_of_earlier_and_later_migrations() {
    let p = pg_project();
    p.migration(
        "1000000000001",
        "posts",
        "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), editor_id bigint);\nCREATE TABLE comments (id bigint PRIMARY KEY, post_id bigint);\nCREATE INDEX posts_editor_idx ON posts (editor_id);\n",
    );
    let doc = check_json(&p);
    assert_eq!(rules_of(&doc, "posts"), ["fk-without-index"], "{doc}");

    p.migration(
        "1000000000002",
        "later_index",
        "-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS posts_user_idx ON posts (user_id);\n",
    );
    p.migration(
        "1000000000003",
        "more_keys",
        "ALTER TABLE posts ADD CONSTRAINT posts_editor_fk FOREIGN KEY (editor_id) REFERENCES users (id) NOT VALID;\nALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID;\n",
    );
    let warm = check_json(&p);
    let cold = p.run(&["--no-cache", "check", "--format", "json"]).json();
    assert_eq!(warm, cold);
    assert!(
        !rules_of(&warm, "posts").contains(&"fk-without-index".to_string()),
        "a later index resolves it: {warm}"
    );
    let keys: Vec<&serde_json::Value> = diags_of(&warm, "fk-without-index");
    assert_eq!(keys.len(), 1, "{warm}");
    assert!(
        keys[0]["message"]
            .as_str()
            .unwrap()
            .contains("comments (post_id)"),
        "{warm}"
    );
}

/// `set-not-null-scan` knows a validated `CHECK (col IS NOT NULL)` from the
/// history (Postgres 12+ skips the scan): the fix the rule's own help
/// recommends, spread over migrations, is not flagged. A check still NOT
/// VALID proves nothing.
#[test]
fn set_not_null_after_a_validated_check_in_an_earlier_migration_is_no_scan() {
    let p = pg_project();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, phone text);\n",
    );
    p.migration(
        "1000000000002",
        "checks",
        "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE users ADD CONSTRAINT users_phone_nn CHECK (phone IS NOT NULL) NOT VALID;\n",
    );
    p.migration(
        "1000000000003",
        "validate",
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n",
    );
    p.migration(
        "1000000000004",
        "not_null",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users ALTER COLUMN phone SET NOT NULL;\n",
    );
    let doc = check_json(&p);
    let scans: Vec<&serde_json::Value> = diags_of(&doc, "set-not-null-scan");
    assert_eq!(scans.len(), 1, "{doc}");
    assert!(
        scans[0]["message"]
            .as_str()
            .unwrap()
            .contains("users.phone"),
        "{doc}"
    );
}

/// A default calling a function an earlier migration created is volatile
/// when that function is (VOLATILE is `CREATE FUNCTION`'s default), and not
/// when it was declared IMMUTABLE or STABLE.
#[test]
fn a_default_is_as_volatile_as_the_function_the_history_created() {
    let p = pg_project();
    p.migration(
        "1000000000001",
        "functions",
        "CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT md5(random()::text) $$;\nCREATE FUNCTION zero() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 0 $$;\n",
    );
    p.migration(
        "1000000000002",
        "volatile",
        "ALTER TABLE orders ADD COLUMN code text DEFAULT next_code();\n",
    );
    p.migration(
        "1000000000003",
        "immutable",
        "ALTER TABLE orders ADD COLUMN z int DEFAULT zero();\n",
    );
    let doc = check_json(&p);
    assert!(
        rules_of(&doc, "volatile").contains(&"volatile-default-rewrite".to_string()),
        "{doc}"
    );
    assert!(
        !rules_of(&doc, "immutable").contains(&"volatile-default-rewrite".to_string()),
        "{doc}"
    );
}

/// SQLite's rebuild (create new, copy, drop old, rename) is one rewrite,
/// unless the new table lacks columns the old one had (as the history
/// created it): that loses data and is a `drop-column` error naming them.
#[test]
fn a_sqlite_rebuild_that_loses_columns_is_a_drop_column() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT);\n",
    );
    let keeps = p.migration(
        "1000000000002",
        "keeps",
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nickname TEXT);\nINSERT INTO users_new SELECT id, email, nickname FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
    );
    let loses = p.migration(
        "1000000000003",
        "loses",
        "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\nINSERT INTO users_new SELECT id, email FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n",
    );
    set_risk(&keeps, "Medium");
    set_risk(&loses, "High");
    p.hash();
    let r = p.run(&["check", "--format", "json"]);
    let doc = r.code(1).json();
    assert!(
        !rules_of(&doc, "keeps").contains(&"drop-column".to_string()),
        "{doc}"
    );
    let loses: Vec<&serde_json::Value> = diags_of(&doc, "drop-column");
    assert_eq!(loses.len(), 1, "{doc}");
    assert!(
        loses[0]["message"]
            .as_str()
            .unwrap()
            .contains("loses column nickname"),
        "{doc}"
    );
    assert!(loses[0]["path"].as_str().unwrap().ends_with("_loses.sql"));
}

/// `plan`'s verdict and `apply`'s refusal come from one gate: an
/// error-severity finding of an up section (an unbypassed `DROP TABLE`)
/// makes `plan` say "blocked" and `apply` refuse before running anything;
/// `[rules]` lowering it to a warning lets both through. A down section's
/// finding gates `down` where `down` is allowed, never `apply`.
#[test]
fn plan_and_apply_share_one_gate_and_down_sections_gate_down() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "tables",
        "CREATE TABLE legacy (id int);\nCREATE TABLE kept (id int);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    let drop = p.migration("1000000000002", "drop", "DROP TABLE legacy;\n");
    set_risk(&drop, "High");
    p.hash();
    p.run(&["plan"])
        .code(1)
        .says("would be refused")
        .says("drop-table");
    p.run(&["apply"])
        .code(1)
        .says("error[drop-table]")
        .says("nothing was changed");
    assert_eq!(
        db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'legacy'"),
        "1"
    );
    // The team's own severity applies to both.
    let toml = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    p.raw(
        "sluice.toml",
        format!("{toml}\n[rules]\ndrop-table = \"warn\"\n").as_bytes(),
    );
    p.run(&["plan"]).ok().never_says("would be refused");
    p.run(&["apply"]).ok();
    assert_eq!(
        db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'legacy'"),
        "0"
    );

    // A down section that deletes rows of a table it did not create.
    p.migration(
        "1000000000003",
        "audit",
        "INSERT INTO kept VALUES (1);\n-- sluice:down\nDELETE FROM kept;\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    p.run(&["down"])
        .code(1)
        .says("error[delete-without-where] (down section)")
        .says("nothing was changed");
    assert_eq!(db.scalar("SELECT count(*) FROM kept"), "1");
}

/// A migration's findings depend on the history before it: after an edit
/// to an earlier migration, a cached run judges the later one again (its
/// text did not change) and agrees with a cold run.
#[test]
fn the_cache_judges_again_what_an_earlier_edit_changes() {
    let p = pg_project();
    let first = p.migration(
        "1000000000001",
        "first",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    p.migration(
        "1000000000002",
        "second",
        "CREATE TABLE IF NOT EXISTS fresh (id bigint PRIMARY KEY, tmp text);\nALTER TABLE fresh DROP COLUMN tmp;\n",
    );
    let doc = check_json(&p);
    assert!(!rules_of(&doc, "second").contains(&"drop-column".to_string()));
    // The earlier migration now creates `fresh`: the later IF NOT EXISTS
    // creates nothing, and its DROP COLUMN drops data.
    std::fs::write(
        &first,
        std::fs::read_to_string(&first).unwrap()
            + "CREATE TABLE fresh (id bigint PRIMARY KEY, tmp text);\n",
    )
    .unwrap();
    let warm = check_json(&p);
    let cold = p.run(&["--no-cache", "check", "--format", "json"]).json();
    assert_eq!(warm, cold);
    assert!(
        rules_of(&warm, "second").contains(&"drop-column".to_string()),
        "{warm}"
    );
}
