//! Secrets never reach output: every URL form a driver accepts, from every
//! source (`--url`, `DATABASE_URL`, `sluice.toml`, `scratch_url`), through the
//! commands that touch a database, with `-v` and `--format json`; stdout,
//! stderr, evidence files and the history and audit rows are all searched.

mod common;
use common::{PgDb, Project, Run};

/// A connection string for `db` and the texts that must never be seen.
struct Form {
    what: &'static str,
    url: String,
    secrets: Vec<String>,
}

fn forms(db: &PgDb) -> Vec<Form> {
    let n = &db.name;
    let f = |what, url: String, secrets: &[&str]| Form {
        what,
        url,
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        f(
            "raw slash",
            format!("postgres://postgres:Zq9a/b@127.0.0.1:5432/{n}"),
            &["Zq9a", "a/b"],
        ),
        f(
            "raw question mark",
            format!("postgres://postgres:Zq9a?b@127.0.0.1:5432/{n}"),
            &["Zq9a", "a?b"],
        ),
        f(
            "raw hash",
            format!("postgres://postgres:Zq9a#b@127.0.0.1:5432/{n}"),
            &["Zq9a", "a#b"],
        ),
        f(
            "percent then multi-byte",
            format!("postgres://postgres:p%xé@127.0.0.1:5432/{n}"),
            &["p%x", "%xé"],
        ),
        f(
            "percent-encoded",
            format!("postgres://postgres:Zq9%2Fc@127.0.0.1:5432/{n}"),
            &["Zq9%2Fc", "Zq9/c"],
        ),
        f(
            "password query parameter",
            format!("postgres://postgres@127.0.0.1:5432/{n}?password=Zq9qp"),
            &["Zq9qp"],
        ),
        f(
            "one character",
            format!("postgres://postgres:x@127.0.0.1:5432/{n}"),
            &["postgres:x@"],
        ),
        f(
            "keyword/value",
            format!("host=127.0.0.1 port=5432 user=postgres password=Zq9kv dbname={n}"),
            &["Zq9kv"],
        ),
        f(
            "keyword/value quoted",
            format!("host=127.0.0.1 port=5432 user=postgres password='Zq9 q\\'v' dbname={n}"),
            &["Zq9 q", "q'v", "q\\'v"],
        ),
    ]
}

/// Asserts that no secret is in `text`.
fn clean(form: &Form, place: &str, text: &str) {
    for s in &form.secrets {
        assert!(
            !text.contains(s.as_str()),
            "{} ({}): {s:?} leaked in {place}:\n{text}",
            form.what,
            form.url
        );
    }
}

fn clean_run(form: &Form, what: &str, r: &Run) {
    clean(form, &format!("{what} stdout"), &r.stdout);
    clean(form, &format!("{what} stderr"), &r.stderr);
}

/// Every file under `.artifacts/` (evidence).
fn clean_artifacts(form: &Form, p: &Project) {
    let mut stack = vec![p.path().join(".artifacts")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                clean(form, &path.display().to_string(), &text);
            }
        }
    }
}

fn clean_tables(form: &Form, db: &PgDb) {
    for t in ["sluice_history", "sluice_audit"] {
        let rows = db.column(&format!("SELECT t::text FROM {t} t"));
        assert!(!rows.is_empty(), "{t} is empty");
        clean(form, t, &rows.join("\n"));
    }
}

fn toml_project(url: &str, scratch: Option<&str>) -> Project {
    // TOML literal strings take the URL verbatim (none of them holds a `'`
    // except the quoted keyword/value form, which goes in a basic string).
    let quote = |u: &str| {
        if u.contains('\'') {
            format!("\"{}\"", u.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            format!("'{u}'")
        }
    };
    let mut cfg = format!(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = {}\nallow_down = true\n",
        quote(url)
    );
    if let Some(s) = scratch {
        cfg.push_str(&format!("scratch_url = {}\n", quote(s)));
    }
    let p = Project::new(&cfg);
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id int);\n-- sluice:down\nDROP TABLE t;\n",
    );
    p.migration(
        "1000000000002",
        "u",
        "CREATE TABLE u (id int);\n-- sluice:down\nDROP TABLE u;\n",
    );
    p.hash();
    p
}

#[test]
fn passwords_in_every_url_form_never_reach_output_evidence_or_history() {
    let db = PgDb::create();
    for form in forms(&db) {
        // Each form starts from an empty database.
        db.client()
            .batch_execute("DROP TABLE IF EXISTS sluice_history, sluice_audit, t, u")
            .unwrap();

        // sluice.toml (url and scratch_url)
        let p = toml_project(&form.url, Some(&form.url));
        let r = p.run(&["plan", "-v"]);
        clean_run(&form, "plan -v", &r);
        assert!(
            r.code == 0 || r.code == 1,
            "plan failed: {}\n{}",
            r.stdout,
            r.stderr
        );
        let r = p.run(&["plan", "-v", "--format", "json"]);
        clean_run(&form, "plan --format json", &r);
        let r = p.run(&["apply", "-v", "--to", "1000000000001"]);
        r.ok();
        clean_run(&form, "apply -v", &r);
        // --url
        let r = p.run(&["status", "-v", "--format", "json", "--url", &form.url]);
        clean_run(&form, "status --url --format json", &r);
        r.ok();
        // DATABASE_URL
        let r = p.run_env(
            &["apply", "-v", "--format", "json"],
            &[("DATABASE_URL", &form.url)],
        );
        r.ok();
        clean_run(&form, "apply DATABASE_URL --format json", &r);
        let r = p.run_env(&["status", "-v"], &[("DATABASE_URL", &form.url)]);
        r.ok().says("applied");
        clean_run(&form, "status DATABASE_URL -v", &r);
        let r = p.run(&["verify", "-v", "--format", "json"]);
        clean_run(&form, "verify --format json", &r);
        let r = p.run(&["snapshot", "-v", "--out", "-"]);
        clean_run(&form, "snapshot", &r);
        let r = p.run(&["diff", "--from", &form.url, "--to", &form.url]);
        clean_run(&form, "diff", &r);
        r.ok();
        let r = p.run(&["down", "-v", "--format", "json"]);
        r.ok();
        clean_run(&form, "down --format json", &r);
        // A failing migration: the error text is recorded in history and audit.
        p.migration("1000000000003", "bad", "SELECT 1/0;\n");
        p.hash();
        let r = p.run(&["apply", "-v"]);
        r.code(2);
        clean_run(&form, "failing apply", &r);
        let r = p.run(&["report", "-v", "--format", "json"]);
        clean_run(&form, "report --format json", &r);
        let r = p.run(&["report", "-v"]);
        clean_run(&form, "report", &r);
        let r = p.run(&["verify", "-v"]);
        clean_run(&form, "verify -v", &r);
        let r = p.run(&[
            "resolve",
            "1000000000003",
            "--rolled-back",
            "--reason",
            "bad",
            "-v",
        ]);
        clean_run(&form, "resolve", &r);
        // Commands that resolve the environment without running migrations.
        let r = p.run(&[
            "approve",
            "1000000000003",
            "--by",
            "alice",
            "--ref",
            "OPS-1",
            "-v",
            "--format",
            "json",
        ]);
        clean_run(&form, "approve", &r);
        let r = p.run(&["check", "-v", "--format", "json"]);
        clean_run(&form, "check", &r);
        let r = p.run(&["apply", "--dry-run", "-v"]);
        clean_run(&form, "apply --dry-run", &r);
        clean_artifacts(&form, &p);
        clean_tables(&form, &db);
    }
}

#[test]
fn a_password_that_is_an_ordinary_word_is_redacted_by_url_structure_only() {
    let db = PgDb::create();
    let url = format!("postgres://postgres:postgres@127.0.0.1:5432/{}", db.name);
    let p = toml_project(&url, Some(&url));
    let r = p.run(&["plan", "-v"]);
    r.says("postgres://postgres:***@127.0.0.1:5432/")
        .never_says("***://")
        .never_says("postgres:postgres@");
}

#[test]
fn keyword_value_connection_strings_are_supported_and_redacted() {
    let db = PgDb::create();
    let kv = format!(
        "host=127.0.0.1 port=5432 user=postgres password=Zq9kv dbname={}",
        db.name
    );
    let p = toml_project(&kv, None);
    let r = p.run(&["apply", "-v"]);
    r.ok().says("password=***").never_says("Zq9kv");
    // An unknown option is an error that shows the string redacted.
    let bad = format!("{kv} sslpassword=Zq9ssl nosuchoption=1");
    let r = p.run(&["status", "--url", &bad]);
    r.code(2)
        .says("from --url")
        .says("not a valid libpq key=value connection string")
        .never_says("Zq9kv")
        .never_says("Zq9ssl");
    // diff reads a key=value string as a database, not as a file name.
    let r = p.run(&["diff", "--from", &kv, "--to", &kv]);
    r.ok().never_says("Zq9kv");
}

#[test]
fn a_toml_parse_error_does_not_print_the_password_in_its_excerpt() {
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"postgres://app:Zq9a/b c@db:5432/x\n",
    );
    let r = p.run(&["status"]);
    r.code(2).says("sluice.toml").never_says("Zq9a");
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"host=db password=Zq9kv dbname=x\" oops\n",
    );
    p.run(&["status"]).code(2).never_says("Zq9kv");
}

#[test]
fn an_unterminated_interpolation_in_a_password_does_not_print_it() {
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"postgres://u:Zq9${x@db:5432/x\"\n",
    );
    p.run(&["status"]).code(2).says("$$").never_says("Zq9");
    let p = Project::new(
        "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"postgres://u:Zq9${NOPE_SLUICE}a@db:5432/x\"\n",
    );
    p.run(&["status"])
        .code(2)
        .never_says("Zq9")
        .never_says("NOPE_SLUICE");
}

#[test]
fn a_percent_before_a_multibyte_character_does_not_panic_or_leak() {
    let p = Project::new("[migrations]\ndialect = \"postgres\"\n");
    // Nothing listens on port 1: the connection fails, cleanly.
    let r = p.run(&["status", "-v", "--url", "postgres://u:p%xé@127.0.0.1:1/db"]);
    r.code(2).never_says("p%x").never_says("panicked");
}

#[test]
fn short_passwords_and_query_passwords_are_redacted() {
    let p = Project::new("[migrations]\ndialect = \"postgres\"\n");
    for url in [
        "postgres://u:x@127.0.0.1:1/db",
        // One character that is also a URL delimiter: the old redaction
        // stopped at the `/` and printed it.
        "postgres://u:/@127.0.0.1:1/db",
        "postgres://u@127.0.0.1:1/db?password=Zq9qp",
        "postgres://u@127.0.0.1:1/db?sslpassword=Zq9ssl",
    ] {
        let r = p.run(&["status", "-v", "--format", "json", "--url", url]);
        r.code(2)
            .never_says("u:x@")
            .never_says("u:/@")
            .never_says("Zq9qp")
            .never_says("Zq9ssl");
    }
}
