//! Where users already work (issue 21), through the real binary: `init`'s
//! defaults, completions and the manual, exit codes on warnings, GitLab Code
//! Quality and JUnit output.

mod common;
use common::*;
use std::process::Command;

fn sluice(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
    c.current_dir(dir).args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("sluice runs").into()
}

/// `init` never invents a shared database: a Postgres or MySQL project's
/// dev URL comes from DATABASE_URL (written as a reference to it) or
/// `--url` (refused when it carries a password); SQLite gets a file. The
/// file points at the guides shipped in the binary.
#[test]
fn init_takes_the_dev_database_from_the_user() {
    let d = tempfile::tempdir().unwrap();
    sluice(d.path(), &["init"], &[])
        .code(2)
        .says("DATABASE_URL is not set")
        .says("--url postgres://USER@HOST/DBNAME");
    assert!(!d.path().join("sluice.toml").exists());
    sluice(
        d.path(),
        &["init", "--url", "postgres://app:s3cret@db/app"],
        &[],
    )
    .code(2)
    .says("carries a password")
    .never_says("s3cret");
    sluice(
        d.path(),
        &["init"],
        &[("DATABASE_URL", "postgres://app:s3cret@db/app")],
    )
    .ok();
    let cfg = std::fs::read_to_string(d.path().join("sluice.toml")).unwrap();
    assert!(cfg.contains("url = \"${DATABASE_URL}\""), "{cfg}");
    assert!(
        !cfg.contains("s3cret") && !cfg.contains("localhost"),
        "{cfg}"
    );
    assert!(!cfg.contains("example.invalid"), "{cfg}");
    assert!(cfg.contains("`sluice docs configuration`"), "{cfg}");
    sluice(d.path(), &["docs", "configuration"], &[])
        .ok()
        .says("# Configuration")
        .says("[environments.production]");
    sluice(d.path(), &["docs", "nope"], &[])
        .code(2)
        .says("no guide `nope`; the guides are: analysis");

    let m = tempfile::tempdir().unwrap();
    sluice(
        m.path(),
        &[
            "init",
            "--dialect",
            "mysql",
            "--url",
            "mysql://root@127.0.0.1:3306/app",
        ],
        &[],
    )
    .ok();
    let cfg = std::fs::read_to_string(m.path().join("sluice.toml")).unwrap();
    assert!(
        cfg.contains("url = \"mysql://root@127.0.0.1:3306/app\""),
        "{cfg}"
    );
    let s = tempfile::tempdir().unwrap();
    sluice(s.path(), &["init", "--dialect", "sqlite"], &[]).ok();
    let cfg = std::fs::read_to_string(s.path().join("sluice.toml")).unwrap();
    assert!(cfg.contains("url = \"sqlite://dev.db\""), "{cfg}");
}

/// Completion scripts for every shell clap knows, from the same
/// definitions that parse the command line; bash loads its script and
/// completes subcommands; the manual renders with `man`.
#[test]
fn completions_and_manual() {
    let d = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = sluice(d.path(), &["completions", shell], &[]);
        r.ok();
        assert!(
            r.stdout.contains("apply") && r.stdout.contains("reset"),
            "{shell}: {}",
            r.stdout
        );
    }
    let script = d.path().join("sluice.bash");
    std::fs::write(
        &script,
        sluice(d.path(), &["completions", "bash"], &[])
            .stdout
            .clone(),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(sluice ap); COMP_CWORD=1; _sluice sluice ap sluice; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(words.lines().any(|w| w == "apply"), "{words}");
    assert!(words.lines().any(|w| w == "approve"), "{words}");

    let page = sluice(d.path(), &["man"], &[]);
    page.ok().says(".TH sluice 1");
    let dir = d.path().join("man");
    sluice(d.path(), &["man", "--out", dir.to_str().unwrap()], &[]).ok();
    assert!(dir.join("sluice.1").exists());
    assert!(dir.join("sluice-apply.1").exists());
    let o = Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(dir.join("sluice-apply.1"))
        .env("MANWIDTH", "80")
        .output()
        .expect("man (man-db) renders the page");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("--dry-run"));
}

/// `--fail-on warn`: warnings alone exit 3 (errors still exit 1); the
/// default stays exit 0 on warnings.
#[test]
fn fail_on_warn_gives_warnings_their_own_exit_code() {
    let p = Project::new("[migrations]\ndialect = \"postgres\"\n");
    p.migration(
        "1000000000001",
        "t",
        "CREATE TABLE t (id bigint, at timestamp);\n",
    );
    p.hash();
    let warned = p.run(&["check"]);
    warned.ok().says("warn[");
    p.run(&["check", "--fail-on", "warn"]).code(3);
    p.run(&["check", "--fail-on", "error"]).ok();
    p.migration("1000000000002", "drop", "DROP TABLE t;\n");
    p.hash();
    p.run(&["check", "--fail-on", "warn"]).code(1);
}

/// GitLab Code Quality for `check`, validated against the report's schema
/// (tests/data/gitlab-codequality.schema.json) with Python's jsonschema;
/// JUnit XML with one case per migration, parsed by Python's XML parser.
#[test]
fn gitlab_and_junit_reports() {
    let p = Project::sqlite();
    p.migration("1000000000001", "ok", "CREATE TABLE t (id INTEGER);\n");
    p.migration("1000000000002", "drop", "DROP TABLE t;\n");
    p.hash();
    let gl = p.run(&["check", "--format", "gitlab"]);
    gl.code(1);
    let issues: serde_json::Value = serde_json::from_str(&gl.stdout).unwrap();
    assert!(issues
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["check_name"] == "drop-table" && i["severity"] == "major"));
    let report = p.path().join("gl-code-quality-report.json");
    std::fs::write(&report, &gl.stdout).unwrap();
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gitlab-codequality.schema.json");
    let v = Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
        ])
        .arg(&report)
        .arg(&schema)
        .output()
        .expect("python3 runs");
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    // Fingerprints are stable across runs and distinct.
    let again: serde_json::Value =
        serde_json::from_str(&p.run(&["check", "--format", "gitlab"]).stdout).unwrap();
    assert_eq!(issues, again);

    let ju = p.run(&["check", "--format", "junit"]);
    ju.code(1);
    let xml = p.path().join("junit.xml");
    std::fs::write(&xml, &ju.stdout).unwrap();
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\nr = ET.parse(sys.argv[1]).getroot()\nfor c in r.iter('testcase'):\n    print(c.get('name'), len(c.findall('failure')))",
        ])
        .arg(&xml)
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let cases = String::from_utf8_lossy(&parsed.stdout);
    assert_eq!(
        cases.lines().collect::<Vec<_>>(),
        [
            "db/migrations/1000000000001_ok.sql 0",
            "db/migrations/1000000000002_drop.sql 2",
        ],
        "{}",
        ju.stdout
    );
}

/// A pre-commit installed from PyPI into the build's tmp dir (once).
fn pre_commit() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-venv");
    let bin = venv.join("bin/pre-commit");
    if !bin.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "pre-commit==4.*"])
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            ok && bin.exists(),
            "pre-commit could not be installed with pip into {}",
            venv.display()
        );
    }
    bin
}

fn git(dir: &std::path::Path, args: &[&str]) {
    git_in(dir, args);
}

/// The repository's `.pre-commit-hooks.yaml`, run by the real pre-commit
/// (`try-repo`) on a project in a temporary git repository: both hooks pass
/// on a clean project; an edited migration fails `sluice-hash-verify`, an
/// unbypassed DROP TABLE fails `sluice-check`.
#[test]
fn pre_commit_hooks_run_with_the_real_pre_commit() {
    let pc = pre_commit();
    // A repository holding only the hooks file, as pre-commit clones it.
    let hooks = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.pre-commit-hooks.yaml"),
        hooks.path().join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "-A"]);
    git(hooks.path(), &["commit", "-qm", "hooks"]);

    let p = Project::sqlite();
    let m = p.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    p.hash();
    git(p.path(), &["init", "-q"]);
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "base"]);
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sluice"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let home = tempfile::tempdir().unwrap();
    let run = |hook: &str| -> Run {
        Command::new(&pc)
            .current_dir(p.path())
            .args(["try-repo"])
            .arg(hooks.path())
            .args([hook, "--all-files"])
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", home.path())
            .output()
            .unwrap()
            .into()
    };
    for hook in ["sluice-check", "sluice-hash-verify"] {
        let r = run(hook);
        assert_eq!(r.code, 0, "{hook}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("Passed"), "{}", r.stdout);
    }
    // An edit nobody hashed.
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, text.replace("id INTEGER", "id BIGINT")).unwrap();
    let r = run("sluice-hash-verify");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Failed"), "{}", r.stdout);
    assert!(
        r.stdout.contains("changed  1000000000001_t.sql"),
        "{}",
        r.stdout
    );
    std::fs::write(&m, text).unwrap();
    p.migration("1000000000002", "drop", "DROP TABLE t;\n");
    p.hash();
    let r = run("sluice-check");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("error[drop-table]"), "{}", r.stdout);
}

/// The composite action's steps, as written in action.yml, run against a
/// project: the check step writes a SARIF log and annotations, the guard
/// step judges the diff against `origin/<base_ref>`, the plan step writes the job summary. (Inputs
/// and `github` context are substituted the way Actions would.)
#[test]
fn github_action_steps_run() {
    let action: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../action.yml"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let script = |name: &str| -> String {
        let s = steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}"));
        s["run"]
            .as_str()
            .unwrap()
            .replace("${{ inputs.sarif-file }}", "sluice.sarif")
            .replace("${{ inputs.fail-on }}", "error")
            .replace("${{ inputs.environment }}", "dev")
            .replace("${{ github.base_ref }}", "main")
    };
    let p = Project::sqlite();
    p.migration("1000000000001", "t", "CREATE TABLE t (id INTEGER);\n");
    p.hash();
    git(p.path(), &["init", "-q", "-b", "main"]);
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "base"]);
    git(
        p.path(),
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    git(p.path(), &["checkout", "-qb", "feature"]);
    p.migration("1000000000002", "drop", "DROP TABLE t;\n");
    p.hash();
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-qm", "drop"]);
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_sluice"))
        .parent()
        .unwrap()
        .to_path_buf();
    let summary = p.path().join("summary.md");
    let bash = |name: &str| -> Run {
        Command::new("bash")
            .current_dir(p.path())
            .args(["-c", &script(name)])
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap()
            .into()
    };
    let check = bash("sluice check");
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(check
        .stdout
        .contains("::error file=db/migrations/1000000000002_drop.sql"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("sluice.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // The diff only adds a migration: guard (immutability, order) passes.
    let guard = bash("sluice guard");
    assert_eq!(guard.code, 0, "{}{}", guard.stdout, guard.stderr);
    let plan = bash("sluice plan");
    assert!(plan.code == 0 || plan.code == 1, "{}", plan.stderr);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("1000000000002"), "{md}");
}

/// `config schema` is a JSON Schema generated from the configuration types:
/// it has every top-level section, and a real configuration (the
/// playbooks' in docs/governance.md, read as JSON) validates against it,
/// while an unknown key does not. `config show` gives each value with its
/// source, and never a password.
#[test]
fn config_schema_and_show() {
    let d = tempfile::tempdir().unwrap();
    let r = sluice(d.path(), &["config", "schema"], &[]);
    r.ok();
    let schema: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for section in [
        "migrations",
        "policy",
        "environments",
        "roles",
        "domains",
        "risk",
        "evidence",
    ] {
        assert!(schema["properties"][section].is_object(), "{section}");
    }
    let schema_file = d.path().join("sluice.schema.json");
    std::fs::write(&schema_file, &r.stdout).unwrap();
    let validate = |toml_text: &str| -> bool {
        let value: toml::Value = toml::from_str(toml_text).unwrap();
        let doc = d.path().join("doc.json");
        std::fs::write(&doc, serde_json::to_string(&value).unwrap()).unwrap();
        Command::new("python3")
            .args([
                "-c",
                "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
            ])
            .arg(&doc)
            .arg(&schema_file)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/governance.md"),
    )
    .unwrap();
    let playbooks = docs.split("## Playbooks as configuration").nth(1).unwrap();
    for block in playbooks.split("```toml\n").skip(1) {
        let block = block.split("```").next().unwrap();
        assert!(validate(block), "{block}");
    }
    assert!(!validate("[migrations]\ndirectory = \"db\"\n"));
    assert!(!validate("[environments.dev]\nallow_down = \"yes\"\n"));

    let p = Project::new("[migrations]\ndialect = \"postgres\"\n\n[environments.staging]\nurl = \"postgres://app:hunter2secret@db.internal/app\"\nlock_timeout = \"5s\"\n");
    let show = p.run(&["--env", "staging", "config", "show"]);
    show.ok()
        .says("migrations.dialect")
        .says("= postgres  # file")
        .says("url                       = postgres://app:***@db.internal/app  # file")
        .says("lock_timeout              = 5s  # file")
        .says("lock_wait                 = 1min  # default")
        .says("environment               = staging  # flag")
        .never_says("hunter2secret");
    let doc = p
        .run_env(
            &["--env", "staging", "config", "show", "--format", "json"],
            &[("DATABASE_URL", "postgres://x:othersecret@h/d")],
        )
        .json();
    assert_eq!(doc["config"]["url"]["source"], "variable", "{doc}");
    assert!(!doc.to_string().contains("othersecret"), "{doc}");
}

/// Headless Chromium (Debian's `chromium`; `.ci/run` installs it).
fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!(
        "headless Chromium is needed for the HTML test: apt-get install -y chromium (.ci/run does)"
    );
}

/// `report --format html` is one self-contained page (inline CSS, no script,
/// no network) that a real browser renders: headless Chromium loads it,
/// its DOM has each section (risk, what changes, the schema change before
/// and after, findings with source lines, approvals, rollback), and a
/// screenshot of it has the window's dimensions. `plan --format html` too.
#[test]
fn html_report_renders_in_chromium() {
    let browser = chromium();
    let p = Project::new("[migrations]\ndialect = \"sqlite\"\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_down = true\n\n[environments.production]\nurl = \"sqlite://dev.db\"\napprovals = { low = 0, medium = 1, high = 1 }\n");
    p.migration(
        "1000000000001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    p.hash();
    p.run(&["apply"]).ok();
    let m = p.migration(
        "1000000000002",
        "nickname",
        "ALTER TABLE users ADD COLUMN nickname TEXT; -- sluice:allow drop-table reason: kept from a draft\nALTER TABLE users DROP COLUMN email; -- CI:DESTRUCTIVE_OK ADR-4 <moved> to accounts\n-- sluice:down\nALTER TABLE users ADD COLUMN email TEXT;\nALTER TABLE users DROP COLUMN nickname; -- CI:DESTRUCTIVE_OK ADR-4 reversal\n",
    );
    set_risk(&m, "High");
    p.hash();
    let r = p.run(&["--env", "production", "report", "--format", "html"]);
    r.ok();
    let html = &r.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for banned in ["<script", "src=\"http", "href=\"http", "<link", "@import"] {
        assert!(!html.contains(banned), "{banned} in the page");
    }
    assert!(html.contains("&lt;moved&gt;"), "source text is escaped");
    let file = p.path().join("report.html");
    std::fs::write(&file, html).unwrap();

    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
    ];
    let profile = tempfile::tempdir().unwrap();
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    let url = format!("file://{}", file.display());
    let dom = Command::new(browser)
        .args(base)
        .arg(&profile_arg)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    for needle in [
        "id=\"migration-1000000000002\"",
        "id=\"risk-1000000000002\"",
        "declared High",
        "computed High",
        "id=\"schema-1000000000002\"",
        "users (before)",
        "users (after)",
        "<td class=\"added\">nickname</td>",
        "<td class=\"removed\">email</td>",
        "id=\"findings-1000000000002\"",
        // A finding, with its source line marked.
        "warn[suppression-unused]",
        "&gt;    7 | ALTER TABLE users ADD COLUMN nickname TEXT;",
        "id=\"approvals-1000000000002\"",
        "0 of 1 needed on <code>production</code>",
        "id=\"rollback-1000000000002\"",
        "ALTER TABLE users DROP COLUMN nickname",
    ] {
        assert!(
            dom.contains(needle),
            "{needle} not in the rendered DOM:\n{dom}"
        );
    }
    let shot = p.path().join("report.png");
    let out = Command::new(browser)
        .args(base)
        .arg(&profile_arg)
        .arg("--hide-scrollbars")
        .arg("--window-size=1200,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (1200, 1600));
    // Not a blank page: a real rendering has many distinct bytes.
    assert!(png.len() > 20_000, "{} bytes", png.len());
    if let Ok(dir) = std::env::var("SLUICE_SCREENSHOT_DIR") {
        std::fs::copy(&shot, std::path::Path::new(&dir).join("report.png")).unwrap();
    }

    let plan = p.run(&["plan", "--format", "html"]);
    plan.ok();
    assert!(plan.stdout.contains("id=\"verdict\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("id=\"migration-1000000000002\""));
}

/// What a shell command writes to a pseudo-terminal (util-linux `script`),
/// outside CI; the command must succeed.
fn on_a_terminal(command: &str) -> String {
    let tty = Command::new("script")
        .args(["-q", "-e", "-c", command, "/dev/null"])
        .env_remove("CI")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&tty.stdout).into_owned();
    assert!(tty.status.success(), "{command}:\n{screen}");
    screen
}

/// A SQLite project with thirty pending migrations.
fn thirty() -> Project {
    let p = Project::sqlite();
    for i in 10..40 {
        p.migration(
            &format!("10000000000{i}"),
            &format!("t{i}"),
            &format!("CREATE TABLE t{i} (id INTEGER);\n"),
        );
    }
    p.hash();
    p
}

/// Progress on long work: a bar with counts and the current migration on
/// a terminal (a real pseudo-terminal, through `script`), plain lines on
/// stderr when piped or in CI, nothing with `-q`, and never inside
/// `--format json`.
#[test]
fn progress_bar_on_a_terminal_lines_when_piped() {
    let p = thirty();
    let screen = on_a_terminal(&format!(
        "{} -C {} apply",
        env!("CARGO_BIN_EXE_sluice"),
        p.path().display()
    ));
    assert!(
        screen.contains("apply ["),
        "no bar on the terminal:\n{screen}"
    );
    assert!(screen.contains("/30"), "{screen}");
    assert!(screen.contains("applied 30 migrations"), "{screen}");

    // Piped, in CI: plain lines on stderr, at most about twenty.
    let piped = thirty().run_env(&["apply"], &[("CI", "true")]);
    piped.ok();
    let lines: Vec<&str> = piped
        .stderr
        .lines()
        .filter(|l| l.starts_with("apply: "))
        .collect();
    assert!(!lines.is_empty() && lines.len() <= 21, "{}", piped.stderr);
    assert_eq!(*lines.last().unwrap(), "apply: 30/30 1000000000039_t39");
    assert!(!piped.stderr.contains('\r'), "no bar when piped");

    // `check` over 600 migrations, judged on every core, counts them too.
    let many = Project::new("[migrations]\ndialect = \"postgres\"\n");
    for i in 0..600 {
        many.migration(
            &format!("{}", 1_000_000_000_000u64 + i),
            &format!("t{i}"),
            &format!("CREATE TABLE t{i} (id bigint);\n"),
        );
    }
    many.hash();
    let screen = on_a_terminal(&format!(
        "{} -C {} --no-cache check --format json > /dev/null",
        env!("CARGO_BIN_EXE_sluice"),
        many.path().display()
    ));
    assert!(
        screen.contains("check [") && screen.contains("600/600"),
        "{screen}"
    );

    // -q: nothing.
    let quiet = thirty().run(&["-q", "apply"]);
    quiet.ok();
    assert!(!quiet.stderr.contains("apply: "), "{}", quiet.stderr);

    // --format json: stdout is one JSON document.
    let json = thirty().run_env(&["apply", "--format", "json"], &[("CI", "true")]);
    json.ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("stdout is JSON only");
    assert_eq!(v["migrations"].as_array().unwrap().len(), 30);
}
