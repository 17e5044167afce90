//! `sluice check` with statement analysis, through the real binary.

mod common;
use common::*;

fn pg_project() -> Project {
    Project::new("[migrations]\ndialect = \"postgres\"\n\n[environments.production]\nurl = \"postgres://db/prod\"\nlock_timeout = \"5s\"\nstatement_timeout = \"15min\"\n")
}

#[test]
fn statement_rules_bypass_suppression_and_risk() {
    let p = pg_project();
    p.migration("1000000000001", "users", "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n");
    p.raw(
        "db/migrations/1000000000002_cleanup.sql",
        b"-- MIGRATION_ID: 1000000000002\n-- TITLE: Cleanup\n-- CHANGE_TYPE: Column\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: restore from backup\nALTER TABLE users DROP COLUMN email;  -- CI:DESTRUCTIVE_OK ADR-015 moved to identities\nDROP TABLE legacy;  -- CI:DESTRUCTIVE_OK no reference here\n-- sluice:allow index-not-concurrent reason: users is tiny\nCREATE INDEX users_id_idx ON users (id);\nCREATE TABEL oops (id int);\n",
    );
    p.hash();
    let r = p.run(&["check"]);
    r.code(1)
        .says("error[bypass-invalid]")
        .says("error[risk-understated]: RISK_LEVEL is Low but the computed risk is High")
        .says("error[syntax-error]: syntax error at or near \"TABEL\"")
        .says(" --> db/migrations/1000000000002_cleanup.sql:11:8")
        .never_says("error[drop-column]")
        .never_says("index-not-concurrent");
    let j = p.run(&["check", "--format", "json"]).json();
    let rules: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "risk-understated",
            "mixed-purpose",
            "bypass-invalid",
            "syntax-error"
        ],
        "{j}"
    );
    assert_eq!(j["summary"]["errors"], 3);
    assert_eq!(j["summary"]["warnings"], 1);
}

#[test]
fn warnings_alone_exit_zero_and_overrides_apply() {
    let p = pg_project();
    p.migration(
        "1000000000001",
        "idx",
        "CREATE INDEX orders_created_idx ON orders (created_at);\n",
    );
    p.hash();
    // Declared Low, computed Medium: raise the declared risk to see only the warning.
    let f = p.migrations().join("1000000000001_idx.sql");
    set_risk(&f, "Medium");
    p.hash();
    p.run(&["check"])
        .ok()
        .says("warn[index-not-concurrent]")
        .says("ok: 0 errors and 1 warning");
    let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap()
        + "\n[rules]\nindex-not-concurrent = \"error\"\n";
    std::fs::write(p.path().join("sluice.toml"), cfg).unwrap();
    p.run(&["check"])
        .code(1)
        .says("error[index-not-concurrent]");
}

#[test]
fn sarif_and_github_formats() {
    let p = pg_project();
    p.migration("1000000000001", "drop", "DROP TABLE legacy;\n");
    p.hash();
    let sarif: serde_json::Value = serde_json::from_str(
        &p.run(&["check", "--format", "sarif"])
            .code(1)
            .stdout
            .clone(),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "sluice");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"drop-table"), "{rules:?}");
    let res = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "drop-table")
        .unwrap();
    assert_eq!(res["level"], "error");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    assert!(run["tool"]["driver"]["rules"][0]["helpUri"]
        .as_str()
        .unwrap()
        .ends_with(".md"));
    p.run(&["check", "--format", "markdown"])
        .code(1)
        .says("| error | `drop-table` | `db/migrations/1000000000001_drop.sql:7:1` |");
    let gh = p.run(&["check", "--format", "github"]);
    gh.code(1).says("::error file=db/migrations/1000000000001_drop.sql,line=7,col=1,title=drop-table::DROP TABLE legacy");
}

#[test]
fn sqlite_and_mysql_dialects_are_classified_not_parsed() {
    let p = Project::new("[migrations]\ndialect = \"mysql\"\n");
    p.migration("1000000000001", "m", "ALTER TABLE t DROP COLUMN a, MODIFY b BIGINT;\nDELETE FROM t;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;\n");
    p.hash();
    let j = p.run(&["check", "--format", "json"]).json();
    let rules: Vec<&str> = j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    for r in ["drop-column", "column-type-change", "delete-without-where"] {
        assert!(rules.contains(&r), "{r} missing: {rules:?}");
    }
    assert!(!rules.contains(&"syntax-error"));
}

#[test]
fn startup_migration_is_found_in_deploy_files() {
    let p = pg_project();
    p.raw(
        "fly.toml",
        b"app = \"x\"\n[deploy]\n  release_command = \"npx prisma migrate deploy\"\n",
    );
    p.raw(".env.local", b"RUN_DB_MIGRATIONS_ON_STARTUP=0\n");
    p.hash();
    p.run(&["check"])
        .code(1)
        .says("error[startup-migration]")
        .says(" --> fly.toml:3:3");
    std::fs::remove_file(p.path().join("fly.toml")).unwrap();
    p.run(&["check"]).ok();
}

fn alembic_rev(id: &str, down: &str, body: &str) -> String {
    format!(
        "\"\"\"Revision {id}.\n\nMIGRATION_ID: {id}\nTITLE: t\nCHANGE_TYPE: Table\nRISK_LEVEL: High\nFORWARD_ONLY: No\nROLLBACK_STRATEGY: downgrade()\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = \"{id}\"\ndown_revision = {down}\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n"
    )
}

#[test]
fn alembic_layout_is_checked_in_place_and_two_heads_are_never_applied() {
    let p = Project::new(
        "[migrations]\nlayout = \"alembic\"\ndir = \"alembic/versions\"\ndialect = \"postgres\"\n",
    );
    p.raw(
        "alembic/versions/a1_init.py",
        alembic_rev(
            "a1",
            "None",
            "    op.create_table(\"users\", sa.Column(\"id\", sa.Integer(), primary_key=True))",
        )
        .as_bytes(),
    );
    p.raw("alembic/versions/b2_drop.py", alembic_rev("b2", "\"a1\"", "    op.drop_column(\"users\", \"legacy\")  # CI:DESTRUCTIVE_OK ADR-4 moved\n    op.drop_table(\"old\")").as_bytes());
    p.run(&["hash"]).ok();
    let r = p.run(&["check"]);
    r.code(1)
        .says("error[drop-table]")
        .says(" --> alembic/versions/b2_drop.py:")
        .never_says("drop-column")
        .never_says("multiple-heads");
    // A second branch on a1: two heads.
    p.raw(
        "alembic/versions/c3_branch.py",
        alembic_rev(
            "c3",
            "\"a1\"",
            "    op.add_column(\"users\", sa.Column(\"bio\", sa.Text()))",
        )
        .as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .code(1)
        .says("error[multiple-heads]: revision b2 is one of 2 heads (b2, c3)");
    // Two heads have no order to apply in: refused before Alembic starts.
    p.run(&["apply"])
        .code(1)
        .says("error[multiple-heads]")
        .says("apply refused");
    p.run(&["status", "--exit-code"]).code(1).says("3 pending");
}

/// An Alembic revision whose downgrade() drops what its upgrade() adds (a
/// column, a table) is the reversal of that revision: `check` is clean on
/// it, as on an untouched Alembic project. A downgrade that drops something
/// else is still destructive.
#[test]
fn an_alembic_downgrade_reversing_its_upgrade_is_not_destructive() {
    let p = Project::new(
        "[migrations]\nlayout = \"alembic\"\ndir = \"alembic/versions\"\ndialect = \"postgres\"\n",
    );
    let rev = |down_body: &str| {
        alembic_rev(
            "a1",
            "None",
            "    op.create_table(\"notes\", sa.Column(\"id\", sa.Integer(), primary_key=True))\n    op.add_column(\"users\", sa.Column(\"bio\", sa.Text()))",
        )
        .replace("def downgrade():\n    pass\n", &format!("def downgrade():\n{down_body}\n"))
    };
    p.raw(
        "alembic/versions/a1_notes.py",
        rev("    op.drop_column(\"users\", \"bio\")\n    op.drop_table(\"notes\")").as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run(&["check"])
        .ok()
        .never_says("drop-column")
        .never_says("drop-table");
    p.raw(
        "alembic/versions/a1_notes.py",
        rev("    op.drop_column(\"users\", \"email\")").as_bytes(),
    );
    p.run(&["hash"]).ok();
    p.run(&["check"]).code(1).says("error[drop-column]");
}

/// Commands that name a migration accept the runner's own ids: an all-digit
/// Alembic revision id (`0002`) names that revision, not the number 2.
#[test]
fn an_all_digit_alembic_revision_id_is_found_by_its_text() {
    let p = Project::new(
        "[migrations]\nlayout = \"alembic\"\ndir = \"alembic/versions\"\ndialect = \"postgres\"\n",
    );
    p.raw(
        "alembic/versions/0001_init.py",
        alembic_rev(
            "0001",
            "None",
            "    op.create_table(\"users\", sa.Column(\"id\", sa.Integer(), primary_key=True))",
        )
        .as_bytes(),
    );
    p.raw(
        "alembic/versions/0002_bio.py",
        alembic_rev(
            "0002",
            "\"0001\"",
            "    op.add_column(\"users\", sa.Column(\"bio\", sa.Text()))",
        )
        .as_bytes(),
    );
    p.run(&["hash"]).ok();
    let doc = p
        .run(&["report", "--versions", "0002", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["migrations"][0]["version"], "0002");
    p.run(&["report", "--versions", "2"])
        .code(2)
        .says("--versions 2: no such migration");
}

/// `[policy] migration_id`: an Alembic docstring's `MIGRATION_ID` may be the
/// team's own id (`any`, or a pattern it must match); by default it must be
/// the revision itself. An invalid pattern is a configuration error.
#[test]
fn migration_id_policy_accepts_the_teams_own_ids() {
    let rev = alembic_rev(
        "a1b2",
        "None",
        "    op.create_table(\"t\", sa.Column(\"id\", sa.Integer(), primary_key=True))",
    )
    .replace("MIGRATION_ID: a1b2", "MIGRATION_ID: TEAM-12");
    let project = |policy: &str| {
        let p = Project::new(&format!(
            "[migrations]\nlayout = \"alembic\"\ndir = \"alembic/versions\"\ndialect = \"postgres\"\n\n[policy]\n{policy}\n"
        ));
        p.raw("alembic/versions/a1b2_t.py", rev.as_bytes());
        // (exit 2 for the invalid pattern, checked below)
        let _ = p.run(&["hash"]);
        p
    };
    project("")
        .run(&["check"])
        .code(1)
        .says("MIGRATION_ID TEAM-12 is not this file's version a1b2");
    project("migration_id = \"any\"").run(&["check"]).ok();
    project("migration_id = '^TEAM-\\d+$'").run(&["check"]).ok();
    project("migration_id = '^OPS-\\d+$'")
        .run(&["check"])
        .code(1)
        .says("does not match [policy] migration_id `^OPS-\\d+$`");
    project("migration_id = '('")
        .run(&["check"])
        .code(2)
        .says("migration_id must be \"revision\", \"any\" or a regular expression");
}
