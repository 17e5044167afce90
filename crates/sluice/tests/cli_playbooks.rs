//! The playbooks' remaining rules (issue 20), each through the real binary.

mod common;
use common::*;

const ROLES: &str = "[migrations]\ndialect = \"sqlite\"\n\n[roles]\narchitect = [\"ann\"]\ntech-lead = [\"ben\"]\nbackend-lead = [\"cat\", \"dan\"]\n\n[environments.production]\nurl = \"sqlite://prod.db\"\napprovals = { low = 0, medium = { backend-lead = 1 }, high = { architect = 1, tech-lead = 1 } }\n";

/// Reviewers by role and risk: High needs one architect and one tech lead
/// (distinct people) and a documented rationale in the header; `approve`
/// refuses a name in none of the roles before writing anything; the
/// finding says which roles are still missing.
#[test]
fn approvals_by_role_and_risk() {
    let p = Project::new(ROLES);
    p.migration(
        "1000000000001",
        "legacy",
        "CREATE TABLE legacy (id INTEGER);\n",
    );
    let drop = p.migration(
        "1000000000002",
        "drop_legacy",
        "DROP TABLE legacy; -- CI:DESTRUCTIVE_OK ADR-7 replaced by accounts\n",
    );
    set_risk(&drop, "High");
    p.hash();
    // Low: no approval needed; High: roles and a rationale.
    p.run(&["--env", "production", "apply", "--to", "1000000000001"])
        .ok();
    p.run(&["--env", "production", "apply"])
        .code(1)
        .says("approval-missing")
        .says("still lacks 1 more architect, 1 more tech-lead")
        .says("has no JUSTIFICATION");

    // Someone in no role is refused before anything is written.
    p.approve("production", "1000000000002", "intern", "OPS-1")
    .code(2)
    .says("`intern` is in none of the roles `production` takes approvals from (architect, backend-lead, tech-lead)");
    assert!(!p.path().join("db/approvals.toml").exists());

    // The rationale first (approvals are bound to the file's checksum).
    let text = std::fs::read_to_string(&drop).unwrap();
    std::fs::write(
        &drop,
        text.replace(
            "-- ROLLBACK_STRATEGY",
            "-- JUSTIFICATION: legacy has been unused since ADR-7\n-- ROLLBACK_STRATEGY",
        ),
    )
    .unwrap();
    p.hash();
    // One architect is not enough; the finding names the missing role.
    p.approve("production", "1000000000002", "ann", "OPS-1")
        .ok();
    p.run(&["--env", "production", "apply"])
        .code(1)
        .says("still lacks 1 more tech-lead")
        .never_says("more architect")
        .never_says("JUSTIFICATION");
    p.approve("production", "1000000000002", "ben", "OPS-1")
        .ok();
    p.run(&["--env", "production", "apply"]).ok();
}

/// A requirement naming a role that `[roles]` does not define is a
/// configuration error naming it, in `check` too (every environment is
/// validated there, whatever its URL variables are); `roles.toml` beside the approvals file
/// may define roles too.
#[test]
fn roles_must_be_defined_and_may_live_beside_the_approvals() {
    let p = Project::new(
        "[migrations]\ndialect = \"sqlite\"\n\n[environments.production]\nurl = \"sqlite://prod.db\"\napprovals = { low = { dba = 1 } }\n",
    );
    p.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    p.hash();
    p.run(&["--env", "production", "apply"])
        .code(2)
        .says("approvals need role `dba`, which [roles] does not define");
    // `check` (a pull request's CI, no database) finds it too.
    p.run(&["check"])
        .code(2)
        .says("approvals need role `dba`, which [roles] does not define");
    // A malformed roles file names itself and what it should hold.
    p.raw("db/roles.toml", b"[roles]\ndba = \"eve\"\n");
    p.run(&["check"])
        .code(2)
        .says("roles.toml")
        .says("the roles file holds one table, [roles], of role = [\"person\", ...]");
    p.raw("db/roles.toml", b"[roles]\ndba = [\"eve\"]\n");
    p.run(&["--env", "production", "apply"])
        .code(1)
        .says("still lacks 1 more dba")
        .says("eve (dba)");
    p.approve("production", "1000000000001", "eve", "OPS-2")
        .ok();
    p.run(&["--env", "production", "apply"]).ok();
}

/// An environment that asks for a ticket pattern refuses an `approve
/// --ref` that does not match it, before writing anything; an approval
/// with such a reference written by hand does not count.
#[test]
fn approve_ref_must_match_the_environment_ticket_pattern() {
    let p = Project::new(
        "[migrations]\ndialect = \"sqlite\"\n\n[environments.production]\nurl = \"sqlite://prod.db\"\napprovals = { low = 1 }\napproval_reference = '^OPS-\\d+$'\n",
    );
    p.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    p.hash();
    p.approve("production", "1000000000001", "ann", "looked fine")
        .code(2)
        .says(
            "--ref \"looked fine\" does not match `production`'s approval_reference '^OPS-\\d+$'",
        );
    assert!(!p.path().join("db/approvals.toml").exists());
    p.approve("production", "1000000000001", "ann", "OPS-12")
        .ok();
    let file = p.path().join("db/approvals.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("OPS-12", "trust me")).unwrap();
    p.run(&["--env", "production", "apply"])
        .code(1)
        .says("ann (reference trust me does not match approval_reference)");
    std::fs::write(&file, text).unwrap();
    p.run(&["--env", "production", "apply"]).ok();
}

/// Risk in the team's own terms: `[risk]` sets the risk a rule's findings
/// carry, and check (risk-understated) and the approvals gate agree on it;
/// an unknown rule id is a configuration error naming it.
#[test]
fn risk_overrides_per_rule_apply_to_check_and_approvals() {
    let config = "[migrations]\ndialect = \"postgres\"\n\n[environments.production]\nurl = \"postgres://127.0.0.1:9/none\"\napprovals = { low = 0, medium = 1, high = 2 }\n";
    let p = Project::new(config);
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id bigint, email text);\n",
    );
    p.migration(
        "1000000000002",
        "idx",
        "CREATE INDEX t_email_idx ON t (email);\n",
    );
    p.hash();
    // By default a non-concurrent index on an existing table is Medium.
    p.run(&["check"])
        .code(1)
        .says("RISK_LEVEL is Low but the computed risk is Medium");
    p.raw(
        "sluice.toml",
        format!("{config}\n[risk]\nindex-not-concurrent = \"low\"\n").as_bytes(),
    );
    p.run(&["check"])
        .ok()
        .never_says("risk-understated")
        .says("warn[index-not-concurrent]");
    p.run(&[
        "--env",
        "production",
        "report",
        "--versions",
        "1000000000002",
        "--format",
        "json",
    ])
    .ok()
    .says("\"computed_risk\": \"Low\"");
    p.raw(
        "sluice.toml",
        format!("{config}\n[risk]\nindex-not-concurent = \"low\"\n").as_bytes(),
    );
    p.run(&["check"])
        .code(2)
        .says("[risk] index-not-concurent: no such rule");
}

/// Evidence where the team keeps it: `[evidence] path` is a template of
/// `{sha}`, `{env}`, `{work_order}` (`--work-order` or
/// `SLUICE_WORK_ORDER`) and `{date}`.
#[test]
fn evidence_path_is_a_template() {
    let p = Project::new(
        "[migrations]\ndialect = \"sqlite\"\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\n\n[evidence]\npath = \"docs/evidence/{work_order}/logs/{env}-{date}.json\"\n",
    );
    p.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    p.hash();
    p.run(&["--work-order", "WO-42", "apply"]).ok();
    let logs = p.path().join("docs/evidence/WO-42/logs");
    let files: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| !f.ends_with(".lock"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("dev-20") && files[0].ends_with(".json"),
        "{files:?}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(logs.join(&files[0])).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["command"], "apply", "{doc}");
    // From the environment variable; and without one, `unassigned`, said.
    p.run_env(&["status"], &[("SLUICE_WORK_ORDER", "WO-43")])
        .ok();
    assert!(p.path().join("docs/evidence/WO-43/logs").is_dir());
    p.run(&["status"])
        .ok()
        .says("none was given (--work-order ID or SLUICE_WORK_ORDER)");
    assert!(p.path().join("docs/evidence/unassigned/logs").is_dir());
}

/// `init` adds the default evidence directory to `.gitignore` (once).
#[test]
fn init_ignores_the_evidence_directory() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project { dir };
    p.raw(".gitignore", b"target/");
    p.run(&["init", "--dialect", "sqlite"]).ok();
    let ignore = std::fs::read_to_string(p.path().join(".gitignore")).unwrap();
    assert!(ignore.starts_with("target/\n"), "{ignore}");
    assert_eq!(ignore.matches(".artifacts/").count(), 1, "{ignore}");
    let dir = tempfile::tempdir().unwrap();
    let q = Project { dir };
    q.raw(".gitignore", b"/.artifacts\n");
    q.run(&["init", "--dialect", "sqlite"]).ok();
    assert_eq!(
        std::fs::read_to_string(q.path().join(".gitignore")).unwrap(),
        "/.artifacts\n"
    );
}

/// `new --edit` opens the migration in `$EDITOR` and records what is saved:
/// the first edit needs no `sluice hash` (without it, check says the file
/// no longer matches its ledger entry).
#[test]
fn new_edit_records_what_the_editor_saved() {
    let dir = tempfile::tempdir().unwrap();
    let p = Project { dir };
    p.run(&["init", "--dialect", "sqlite"]).ok();
    let editor = p.raw(
        "editor.sh",
        b"#!/bin/sh\nsed -i 's/^-- Write the forward change here.$/CREATE TABLE users (id INTEGER PRIMARY KEY);/' \"$1\"\n",
    );
    let editor = format!("sh {}", editor.display());
    let out = p
        .run_env(
            &["new", "create users", "--edit", "--format", "json"],
            &[("EDITOR", &editor), ("VISUAL", "")],
        )
        .ok()
        .json();
    let text = std::fs::read_to_string(p.path().join(out["path"].as_str().unwrap())).unwrap();
    assert!(text.contains("CREATE TABLE users"), "{text}");
    p.run(&["check"]).ok().never_says("ledger-mismatch");
    // A failing editor leaves the template's checksum, and says so.
    p.run_env(
        &["new", "second", "--edit"],
        &[("EDITOR", "false"), ("VISUAL", "")],
    )
    .code(2)
    .says("run `sluice hash` when it is ready");
}

/// Data domains: a statement touching a domain object under a header that
/// does not say Yes is `domain-undeclared` (an error, so apply refuses it); Yes
/// without a header field matching the domain's reference is
/// `domain-reference-missing`; Yes with it passes.
#[test]
fn data_domains_need_their_flag_and_reference() {
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[domains.privacy]\nheader = \"TOUCHES_PRIVACY\"\nobjects = [\"users.email\", \"profiles\"]\nreference = 'docs/privacy/[a-z0-9_-]+\\.md'\n",
    );
    let with = |extra: &str| format!("-- TOUCHES_PRIVACY: {extra}\n-- ROLLBACK_STRATEGY");
    let drop = p.migration(
        "1000000000001",
        "drop_email",
        "ALTER TABLE users DROP COLUMN email; -- CI:DESTRUCTIVE_OK ADR-3 moved to accounts\nALTER TABLE users ADD COLUMN nickname text;\n",
    );
    set_risk(&drop, "High");
    let text = std::fs::read_to_string(&drop).unwrap();
    std::fs::write(&drop, text.replace("-- ROLLBACK_STRATEGY", &with("No"))).unwrap();
    p.migration(
        "1000000000002",
        "profiles",
        "INSERT INTO profiles (id) VALUES (1);\n",
    );
    p.migration(
        "1000000000003",
        "other",
        "CREATE TABLE notes (id bigint);\n",
    );
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let of = |name: &str| rules_of(&doc, name);
    assert!(
        of("drop_email").contains(&"domain-undeclared".to_string()),
        "{doc}"
    );
    assert!(
        of("profiles").contains(&"domain-undeclared".to_string()),
        "{doc}"
    );
    assert!(
        !of("other").iter().any(|r| r.starts_with("domain-")),
        "{doc}"
    );
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["rule"] == "domain-undeclared"
                && d["path"].as_str().unwrap().ends_with("_drop_email.sql")
        })
        .unwrap()
        .clone();
    assert_eq!(d["line"], 8, "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("touches users.email, which is in the privacy domain, and the header says TOUCHES_PRIVACY: No"),
        "{d}"
    );
    // Yes without the document; then with it.
    std::fs::write(&drop, text.replace("-- ROLLBACK_STRATEGY", &with("Yes"))).unwrap();
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    assert!(
        of_rules(&doc, "drop_email", "domain-reference-missing"),
        "{doc}"
    );
    assert!(!of_rules(&doc, "drop_email", "domain-undeclared"), "{doc}");
    std::fs::write(
        &drop,
        text.replace(
            "-- ROLLBACK_STRATEGY",
            &with("Yes\n-- PRIVACY_DOC: docs/privacy/email-removal.md"),
        ),
    )
    .unwrap();
    p.hash();
    let doc = p.run(&["check", "--format", "json"]).json();
    assert!(
        !rules_of(&doc, "drop_email")
            .iter()
            .any(|r| r.starts_with("domain-")),
        "{doc}"
    );
}

fn of_rules(doc: &serde_json::Value, name: &str, rule: &str) -> bool {
    rules_of(doc, name).iter().any(|r| r == rule)
}

/// Adds `line` to a migration's header (before ROLLBACK_STRATEGY).
fn add_header(path: &std::path::Path, line: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(
        path,
        text.replacen(
            "-- ROLLBACK_STRATEGY",
            &format!("-- {line}\n-- ROLLBACK_STRATEGY"),
            1,
        ),
    )
    .unwrap();
}

/// Stop before losing data: a destructive statement on a table that holds
/// rows on the target (asked of the table, never analysed, so no planner
/// estimate exists) is `data-loss-unplanned` in `plan` and refused by
/// `apply` until the header states a DATA_STRATEGY citing a reference. The
/// same statements on empty tables, or on a table a pending migration
/// creates, pass.
#[test]
fn data_loss_needs_a_strategy_where_tables_have_rows() {
    let db = PgDb::create();
    let p = Project::postgres(&db.url());
    p.migration(
        "1000000000001",
        "tables",
        "CREATE TABLE orders (id int, note text);\nCREATE TABLE drafts (id int);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    db.client()
        .batch_execute("INSERT INTO orders VALUES (1, 'kept')")
        .unwrap();
    assert_eq!(
        db.scalar("SELECT reltuples::bigint FROM pg_class WHERE relname = 'orders'"),
        "-1",
        "orders was never analysed: a planner estimate would say nothing"
    );
    let drop = p.migration(
        "1000000000002",
        "drop_notes",
        "ALTER TABLE orders DROP COLUMN note; -- CI:DESTRUCTIVE_OK ADR-9 notes moved to tickets\nDROP TABLE drafts; -- CI:DESTRUCTIVE_OK ADR-9 never used\nCREATE TABLE scratch (id int);\nTRUNCATE scratch;\n",
    );
    set_risk(&drop, "High");
    p.hash();

    let doc = p
        .run(&["plan", "--no-replay", "--format", "json"])
        .code(1)
        .json();
    let findings: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "data-loss-unplanned")
        .map(|d| format!("{}:{}", d["line"], d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(findings.len(), 1, "{doc}");
    assert!(
        findings[0].contains("DROP COLUMN orders.note loses data: orders holds rows on `dev`, and the header has no DATA_STRATEGY"),
        "{findings:?}"
    );
    // As JUnit (one case per pending migration), for CI test reports.
    p.run(&["plan", "--no-replay", "--format", "junit"])
        .code(1)
        .says("<testcase name=\"db/migrations/1000000000002_drop_notes.sql\" classname=\"sluice.plan\">")
        .says("<failure type=\"data-loss-unplanned\"");
    p.run(&["apply"])
        .code(1)
        .says("data-loss-unplanned")
        .says("orders holds rows on `dev`")
        .says("DATA_STRATEGY")
        .never_says("drafts holds rows");
    assert_eq!(db.column("SELECT version FROM sluice_history").len(), 1);
    assert_eq!(db.scalar("SELECT note FROM orders"), "kept");

    // A strategy without a reference is not one.
    add_header(&drop, "DATA_STRATEGY: notes copied to the ticket system");
    p.hash();
    p.run(&["apply"])
        .code(1)
        .says("cites no reference matching");
    let text = std::fs::read_to_string(&drop).unwrap();
    std::fs::write(
        &drop,
        text.replace("ticket system\n", "ticket system by job OPS-41 (ADR-9)\n"),
    )
    .unwrap();
    p.hash();
    p.run(&["plan", "--no-replay"])
        .ok()
        .never_says("data-loss-unplanned");
    p.run(&["apply"]).ok();
    assert_eq!(db.column("SELECT version FROM sluice_history").len(), 2);
}

/// The same gate on SQLite (a table missing on the target is empty there),
/// and the switch that turns it off.
#[test]
fn data_loss_gate_on_sqlite_and_off_switch() {
    let p = Project::sqlite();
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    let m = p.migration(
        "1000000000002",
        "wipe",
        "DROP TABLE IF EXISTS ghost; -- CI:DESTRUCTIVE_OK ADR-3 never created here\nDELETE FROM t; -- CI:DESTRUCTIVE_OK ADR-3 test rows only\n",
    );
    set_risk(&m, "High");
    p.hash();
    // `ghost` does not exist on the target (the one query falls back to
    // asking each table): only `t`, which has rows, is a finding.
    p.run(&["apply"])
        .code(1)
        .says("DELETE without WHERE from t loses data: t holds rows on `dev`")
        .never_says("ghost holds rows");
    let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    std::fs::write(
        p.path().join("sluice.toml"),
        format!("[policy]\ndata_loss_strategy = \"\"\n\n{cfg}"),
    )
    .unwrap();
    p.run(&["apply"]).ok().never_says("data-loss-unplanned");
}

/// Start-up detection reads each deploy file as its format, with the
/// shapes real projects use: a Heroku `Procfile` and `app.json`, a Fly
/// `fly.toml`, a GitHub workflow, a Supabase-style Prisma `package.json`, a
/// Dockerfile, FastAPI-style Python settings and a `.env` file. Files that
/// migrate only in CI, or set the flag off, are left alone.
#[test]
fn startup_detection_reads_real_deploy_files() {
    let p = Project::sqlite();
    p.raw(
        "Procfile",
        b"web: gunicorn app.main:app\nrelease: alembic -c alembic.ini upgrade head\n",
    );
    p.raw(
        "app.json",
        br#"{
  "name": "billing",
  "env": {
    "SECRET_KEY": { "generator": "secret" },
    "RUN_DB_MIGRATIONS_ON_STARTUP": { "description": "migrate on boot", "value": "1" }
  },
  "buildpacks": [{ "url": "heroku/python" }]
}
"#,
    );
    p.raw(
        "fly.toml",
        b"app = \"billing\"\nprimary_region = \"ams\"\n\n[deploy]\n  release_command = \"bin/rails db:migrate\"\n\n[env]\n  PORT = \"8080\"\n",
    );
    p.raw(
        "web/package.json",
        br#"{
  "name": "web",
  "scripts": {
    "dev": "next dev",
    "db:deploy": "prisma migrate deploy",
    "setup": "npm run db:deploy && prisma generate",
    "migrate": "prisma migrate deploy",
    "start": "next start"
  }
}
"#,
    );
    p.raw(
        ".github/workflows/deploy.yml",
        br#"name: deploy
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
    steps:
      - uses: actions/checkout@v4
      - run: npx prisma migrate deploy
        env:
          DATABASE_URL: postgres://postgres@localhost:5432/test
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - name: Migrate
        run: |
          pip install -r requirements.txt
          alembic upgrade head
        env:
          DATABASE_URL: ${{ secrets.DATABASE_URL }}
"#,
    );
    p.raw(
        "Dockerfile",
        b"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"sh\", \"-c\", \\\n  \"alembic upgrade head && uvicorn app.main:app --host 0.0.0.0\"]\n",
    );
    p.raw(
        "app/core/config.py",
        b"from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n    DATABASE_URL: str\n    RUN_DB_MIGRATIONS_ON_STARTUP: bool = True\n    DEBUG: bool = False\n",
    );
    p.raw(
        ".env.production",
        b"# prod\nexport RUN_DB_MIGRATIONS_ON_STARTUP=\"true\"\n",
    );
    // Off, or not at start-up: no finding.
    p.raw(".env.example", b"RUN_DB_MIGRATIONS_ON_STARTUP=false\n");
    p.raw(
        "worker/settings.py",
        b"RUN_DB_MIGRATIONS_ON_STARTUP = False\n",
    );
    let doc = p.run(&["check", "--format", "json"]).code(1).json();
    let mut found: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "startup-migration")
        .map(|d| format!("{}:{}", d["path"].as_str().unwrap(), d["line"]))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ".env.production:2",
            ".github/workflows/deploy.yml:24",
            "Dockerfile:4",
            "Procfile:2",
            "app.json:5",
            "app/core/config.py:6",
            "fly.toml:5",
            "web/package.json:6",
        ],
        "{doc}"
    );
    let run = p.run(&["check"]);
    let text = format!("{}{}", run.code(1).stdout, run.stderr);
    for says in [
        "package.json script `setup` (through `db:deploy`) runs `prisma migrate deploy`",
        "step `Migrate` of job `deploy` runs `alembic upgrade` against environment `production`",
        "Dockerfile ENTRYPOINT runs `alembic upgrade`",
        "app.json `env` sets RUN_DB_MIGRATIONS_ON_STARTUP to 1",
        "process `release` runs `alembic -c alembic.ini upgrade`",
        "fly.toml [deploy] release_command runs `rails db:migrate`",
    ] {
        assert!(text.contains(says), "{says}\n{text}");
    }
}

/// `reset` for early-stage projects (Postgres): where `allow_reset = true`,
/// it drops every schema, type, routine, view and table but sluice's own,
/// forgets the history, applies every migration again (an edited one
/// included), and records one `reset` audit row and the run's evidence.
/// Elsewhere it is refused with nothing dropped; a production-like
/// environment cannot allow it.
#[test]
fn reset_drops_and_reapplies_only_where_allowed() {
    let db = PgDb::create();
    let url = db.url();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"{url}\"\nallow_reset = true\n\n[environments.staging]\nurl = \"{url}\"\n"
    ));
    let first = p.migration(
        "1000000000001",
        "base",
        "CREATE SCHEMA app;\nCREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE TABLE app.users (id serial PRIMARY KEY, mood mood);\nCREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int REFERENCES app.users (id));\nCREATE VIEW recent AS SELECT id FROM orders;\nCREATE FUNCTION one() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    db.client()
        .batch_execute(
            "INSERT INTO app.users (mood) VALUES ('ok'); INSERT INTO orders (user_id) VALUES (1)",
        )
        .unwrap();
    // Early stage: the applied migration is edited in place.
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replace("mood mood)", "mood mood, email text)")).unwrap();
    p.hash();
    p.run(&["apply"]).code(1).says("applied-modified");

    // Not where the environment does not allow it.
    p.run(&["--env", "staging", "reset"])
        .code(1)
        .says("reset-forbidden")
        .says("allow_reset = true");
    assert_eq!(db.scalar("SELECT count(*) FROM orders"), "1");

    p.run(&["reset"])
        .ok()
        .says("reset `dev`: dropped")
        .says("forgot 1 applied migrations")
        .says("applied 1 migration");
    assert_eq!(db.scalar("SELECT count(*) FROM orders"), "0");
    assert_eq!(
        db.column("SELECT column_name FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'users' ORDER BY ordinal_position"),
        ["id", "mood", "email"]
    );
    assert_eq!(
        db.column("SELECT event FROM sluice_audit ORDER BY id"),
        ["apply", "refusal", "refusal", "reset", "apply"]
    );
    p.run(&["status", "--exit-code"]).ok();
    let evidence = p.evidence();
    let reset = evidence["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["command"] == "reset" && r["outcome"] == "ok")
        .unwrap_or_else(|| panic!("no reset run: {evidence}"));
    assert!(
        reset["details"]["reset"]["dropped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "DROP SCHEMA IF EXISTS \"app\" CASCADE"),
        "{evidence}"
    );
    // A second reset starts from what the first left.
    p.run(&["reset"]).ok().says("forgot 1 applied migrations");

    // Never on a production-like environment.
    let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    std::fs::write(
        p.path().join("sluice.toml"),
        cfg.replace(
            "allow_reset = true\n",
            "allow_reset = true\nproduction = true\n",
        ),
    )
    .unwrap();
    p.run(&["reset"])
        .code(2)
        .says("allow_reset = true on a production-like environment");
}

/// `reset` on SQLite, with foreign keys between the tables it drops.
#[test]
fn reset_on_sqlite() {
    let p = Project::new("[migrations]\ndialect = \"sqlite\"\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_reset = true\n");
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);\nCREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));\nCREATE INDEX child_parent ON child (parent_id);\nCREATE VIEW kids AS SELECT id FROM child;\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 1);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    p.run(&["reset"]).ok().says("forgot 1 applied migrations");
    let db = p.path().join("dev.db");
    assert_eq!(sqlite_column(&db, "SELECT count(*) FROM child"), ["1"]);
    assert_eq!(
        sqlite_column(&db, "SELECT event FROM sluice_audit ORDER BY id"),
        ["apply", "reset", "apply"]
    );
}

/// `[risk] large_table_rows`: a lock that blocks writes on a table the
/// target holds at least that many rows in lifts the migration one level,
/// in `plan`, in `apply`'s approvals and in `report --env` alike; a small table (or one never
/// analysed) does not, and `check` (no target) judges without sizes.
#[test]
fn large_tables_lift_risk_in_plan_and_approvals() {
    let db = PgDb::create();
    let url = db.url();
    let p = Project::new(&format!(
        "[migrations]\ndialect = \"postgres\"\n\n[risk]\nlarge_table_rows = 1_000\n\n[environments.dev]\nurl = \"{url}\"\n\n[environments.staging]\nurl = \"{url}\"\n"
    ));
    p.migration(
        "1000000000001",
        "events",
        "CREATE TABLE events (id bigint, kind text);\nCREATE TABLE notes (id bigint, body text);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    db.client()
        .batch_execute("INSERT INTO events SELECT g, 'k' FROM generate_series(1, 5000) g; ANALYZE events; INSERT INTO notes VALUES (1, 'x')")
        .unwrap();
    let m = p.migration(
        "1000000000002",
        "index_events",
        "CREATE INDEX events_kind ON events (kind);\n",
    );
    set_risk(&m, "Medium");
    p.hash();
    p.run(&["check"]).ok();
    let doc = p
        .run(&[
            "--env",
            "staging",
            "plan",
            "--no-replay",
            "--format",
            "json",
        ])
        .code(1)
        .json();
    assert_eq!(doc["pending"][0]["computed_risk"], "High", "{doc}");
    assert_eq!(doc["pending"][0]["approvals"]["needed"], 2, "{doc}");
    p.run(&["--env", "staging", "apply"])
        .code(1)
        .says("is High risk: `staging` needs 2 approvals");
    // `report --env` lifts the same way, and shows what each lock holds.
    let report = p
        .run(&["--env", "staging", "report", "--format", "json"])
        .json();
    let entry = &report["migrations"][0];
    assert_eq!(entry["computed_risk"], "High", "{report}");
    assert_eq!(entry["approvals"]["needed"], 2, "{report}");
    let lock = &entry["upgrade"]["changes"][0]["locks"][0];
    assert_eq!(lock["relation"], "events", "{report}");
    assert_eq!(lock["rows"], 5000, "{report}");
    assert!(
        lock["size"].as_str().is_some_and(|s| s.ends_with("kB")),
        "{report}"
    );
    // The same statement on a small table stays Medium: one approval.
    std::fs::write(
        &m,
        std::fs::read_to_string(&m)
            .unwrap()
            .replace("events_kind ON events (kind)", "notes_body ON notes (body)"),
    )
    .unwrap();
    p.hash();
    p.run(&["--env", "staging", "apply"])
        .code(1)
        .says("is Medium risk: `staging` needs 1 approval");

    let cfg = std::fs::read_to_string(p.path().join("sluice.toml")).unwrap();
    std::fs::write(
        p.path().join("sluice.toml"),
        cfg.replace("large_table_rows = 1_000", "large_table_rows = \"big\""),
    )
    .unwrap();
    p.run(&["check"])
        .code(2)
        .says("[risk] large_table_rows = \"big\": a number of rows above zero");
}

/// A data domain's own approval roles: a migration declaring the domain
/// needs them on top of its risk's wherever the environment requires
/// approvals; `approve` takes someone who is only in the domain's role.
#[test]
fn data_domains_require_their_approval_roles() {
    let p = Project::new(&ROLES.replace(
        "[environments.production]",
        "privacy-officer = [\"pat\"]\n\n[domains.privacy]\nheader = \"TOUCHES_PRIVACY\"\nobjects = [\"profiles\"]\nreference = 'docs/privacy/[a-z0-9_-]+\\.md'\napprovals = { privacy-officer = 1 }\n\n[environments.production]",
    ));
    let m = p.migration(
        "1000000000001",
        "profiles",
        "CREATE TABLE profiles (id INTEGER);\n",
    );
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        text.replace(
            "-- ROLLBACK_STRATEGY",
            "-- TOUCHES_PRIVACY: Yes\n-- PRIVACY_DOC: docs/privacy/profiles.md\n-- ROLLBACK_STRATEGY",
        ),
    )
    .unwrap();
    p.hash();
    p.run(&["check"]).ok();
    // Low needs nobody by risk; the domain needs its privacy officer.
    p.run(&["--env", "production", "apply"])
        .code(1)
        .says("declares TOUCHES_PRIVACY: Yes: `production` needs the privacy domain's approvals and still lacks 1 more privacy-officer")
        .says("ask pat (privacy-officer)");
    p.approve("production", "1000000000001", "pat", "OPS-2")
        .ok();
    p.run(&["--env", "production", "apply"]).ok();
}

/// An Alembic revision whose docstring header carries the playbook's
/// TOUCHES_* flags: the flag is read from the docstring, the statements
/// from the `op.*` calls.
#[test]
fn data_domains_in_alembic_docstrings() {
    let p = Project::new(
        "[migrations]\nlayout = \"alembic\"\ndir = \"alembic/versions\"\ndialect = \"postgres\"\n\n[domains.privacy]\nheader = \"TOUCHES_PRIVACY\"\nobjects = [\"users.email\"]\nreference = 'docs/privacy/[a-z0-9_-]+\\.md'\n",
    );
    let rev = |flag: &str| {
        format!(
            "\"\"\"Drop the users' email.\n\nMIGRATION_ID: e5\nTITLE: drop email\nCHANGE_TYPE: Column\nRISK_LEVEL: High\nFORWARD_ONLY: Yes\nJUSTIFICATION: email is gone from the product\nROLLBACK_STRATEGY: restore from backup\nTOUCHES_PRIVACY: {flag}\n\"\"\"\nfrom alembic import op\n\nrevision = \"e5\"\ndown_revision = None\n\n\ndef upgrade():\n    op.drop_column(\"users\", \"email\")  # CI:DESTRUCTIVE_OK ADR-12 email lives in accounts now\n\n\ndef downgrade():\n    pass\n"
        )
    };
    p.raw("alembic/versions/e5_drop_email.py", rev("No").as_bytes());
    p.hash();
    p.run(&["check"])
        .code(1)
        .says("error[domain-undeclared]")
        .says(
            "users.email, which is in the privacy domain, and the header says TOUCHES_PRIVACY: No",
        )
        .says("alembic/versions/e5_drop_email.py:19");
    p.raw(
        "alembic/versions/e5_drop_email.py",
        rev("Yes\nPRIVACY_DOC: docs/privacy/email-removal.md").as_bytes(),
    );
    p.hash();
    p.run(&["check"]).ok().never_says("domain-");
}

/// Every playbook configuration written out in docs/governance.md loads:
/// `check` runs on it (findings or not) without a configuration error
/// (check resolves every environment: roles, patterns, allow_reset).
#[test]
fn playbook_configs_in_the_docs_load() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/governance.md"),
    )
    .unwrap();
    let section = doc
        .split("## Playbooks as configuration")
        .nth(1)
        .expect("docs/governance.md has its playbooks");
    let blocks: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 3, "{section}");
    let vars = [
        ("DATABASE_URL", "postgres://app@db.invalid/dev"),
        ("PRODUCTION_DATABASE_URL", "postgres://app@db.invalid/prod"),
        ("STAGING_DATABASE_URL", "postgres://app@db.invalid/staging"),
        ("SCRATCH_DATABASE_URL", "postgres://app@db.invalid/scratch"),
    ];
    for block in blocks {
        let p = Project::new(block);
        for dir in ["alembic/versions", "prisma/migrations", "db/migrations"] {
            std::fs::create_dir_all(p.path().join(dir)).unwrap();
        }
        p.run_env(&["hash"], &vars).ok();
        let run = p.run_env(&["check"], &vars);
        assert!(
            run.code != 2 && !run.stderr.contains("invalid configuration"),
            "{block}\n{}",
            run.stderr
        );
    }
}
