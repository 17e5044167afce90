//! Test harness: a temporary project per test, the real `sluice` binary, and a
//! real PostgreSQL database per test (created from template0, dropped on drop).
//! There are no mocks: if PostgreSQL is not reachable the test fails with a
//! message saying how to start it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where tests find the server (trust auth on this machine and in CI).
pub fn pg_admin_url() -> String {
    std::env::var("SLUICE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A temporary project directory.
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// A migration header that passes every contract rule.
pub fn header(version: &str, title: &str) -> String {
    format!(
        "-- MIGRATION_ID: {version}\n-- TITLE: {title}\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section below\n"
    )
}

impl Project {
    /// A project with `sluice.toml` holding `config`.
    pub fn new(config: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
        std::fs::create_dir_all(dir.path().join("db/migrations")).unwrap();
        Project { dir }
    }

    /// A SQLite project: dev environment on `dev.db` in the project.
    pub fn sqlite() -> Project {
        Project::new("[migrations]\ndialect = \"sqlite\"\n\n[environments.dev]\nurl = \"sqlite://dev.db\"\nallow_down = true\n\n[environments.production]\nurl = \"sqlite://prod.db\"\n")
    }

    /// A Postgres project whose `dev` environment is `url`.
    pub fn postgres(url: &str) -> Project {
        Project::new(&format!(
            "[migrations]\ndialect = \"postgres\"\n\n[environments.dev]\nurl = \"{url}\"\nallow_down = true\nlock_wait = \"30s\"\n\n[environments.staging]\nurl = \"{url}\"\n"
        ))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.path().join("db/migrations")
    }

    /// Writes a migration with a valid header; `body` may hold `-- sluice:down`.
    pub fn migration(&self, version: &str, name: &str, body: &str) -> PathBuf {
        let p = self.migrations().join(format!("{version}_{name}.sql"));
        std::fs::write(&p, format!("{}{body}", header(version, name))).unwrap();
        p
    }

    /// Writes a file verbatim.
    pub fn raw(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs sluice in the project.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs sluice with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = self.command(args, env).output().expect("run sluice");
        Run::from(out)
    }

    /// The command, for tests that spawn it.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
        c.current_dir(self.path()).args(args);
        for k in [
            "DATABASE_URL",
            "SLUICE_ENV",
            "SLUICE_CONFIG",
            "MIGRATION_TIMEOUT_SECONDS",
            "GITHUB_SHA",
            "CI_COMMIT_SHA",
            "SLUICE_NO_CACHE",
        ] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// `sluice --env ENV approve VERSION --by BY --ref REFERENCE`.
    pub fn approve(&self, env: &str, version: &str, by: &str, reference: &str) -> Run {
        self.run(&[
            "--env", env, "approve", version, "--by", by, "--ref", reference,
        ])
    }

    /// `sluice hash`, asserting success.
    pub fn hash(&self) {
        self.run(&["hash", "-q"]).ok();
    }

    /// The evidence file (no git repository: `nogit`).
    pub fn evidence(&self) -> serde_json::Value {
        let p = self.path().join(".artifacts/deploy/nogit/migration.json");
        serde_json::from_str(&std::fs::read_to_string(&p).expect("evidence file")).unwrap()
    }
}

/// Changes a migration's declared `RISK_LEVEL: Low` to `risk`.
pub fn set_risk(path: &Path, risk: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains("RISK_LEVEL: Low"),
        "{} declares no Low risk",
        path.display()
    );
    std::fs::write(
        path,
        text.replace("RISK_LEVEL: Low", &format!("RISK_LEVEL: {risk}")),
    )
    .unwrap();
}

/// A finished run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code and returns self.
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "{}", self.show());
        self
    }

    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Asserts stdout or stderr contains `s`.
    pub fn says(&self, s: &str) -> &Self {
        assert!(
            self.stdout.contains(s) || self.stderr.contains(s),
            "expected {s:?} in output\n{}",
            self.show()
        );
        self
    }

    /// Asserts neither stream contains `s`.
    pub fn never_says(&self, s: &str) -> &Self {
        assert!(
            !self.stdout.contains(s) && !self.stderr.contains(s),
            "did not expect {s:?}\n{}",
            self.show()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.show()))
    }
}

/// A database created for one test and dropped afterwards.
pub struct PgDb {
    pub name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn admin() -> postgres::Client {
    postgres::Client::connect(&pg_admin_url(), postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for this test and is not reachable at {}: {e}\nstart it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            pg_admin_url()
        )
    })
}

impl PgDb {
    pub fn create() -> PgDb {
        let name = format!(
            "sluice_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .expect("create test database");
        PgDb { name }
    }

    /// URL of this database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    /// URL with a password (trust auth ignores it), for redaction tests.
    pub fn url_with_password(&self, pw: &str) -> String {
        format!("postgres://postgres:{pw}@127.0.0.1:5432/{}", self.name)
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("connect to test database")
    }

    /// First column of every row, as text.
    pub fn column(&self, sql: &str) -> Vec<String> {
        self.client()
            .simple_query(sql)
            .expect(sql)
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some(r.get(0).unwrap_or("NULL").to_string())
                }
                _ => None,
            })
            .collect()
    }

    pub fn scalar(&self, sql: &str) -> String {
        self.column(sql)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no row from {sql}"))
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// First column of every row of a SQLite query.
pub fn sqlite_column(db: &Path, sql: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare(sql).unwrap();
    let rows = st
        .query_map([], |r| {
            let v: rusqlite::types::Value = r.get(0)?;
            Ok(match v {
                rusqlite::types::Value::Null => "NULL".to_string(),
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Real(f) => f.to_string(),
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Blob(_) => "<blob>".into(),
            })
        })
        .unwrap();
    rows.map(|r| r.unwrap()).collect()
}

/// Where tests find the MariaDB/MySQL server (root, no password, on this
/// machine and in CI).
pub fn mysql_admin_url() -> String {
    std::env::var("SLUICE_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into())
}

/// A MariaDB database created for one test and dropped afterwards.
pub struct MyDb {
    pub name: String,
}

fn my_admin() -> mysql::Conn {
    mysql::Conn::new(mysql::Opts::from_url(&mysql_admin_url()).unwrap()).unwrap_or_else(|e| {
        panic!(
            "MariaDB is required for this test and is not reachable at {}: {e}\nstart it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
            mysql_admin_url()
        )
    })
}

impl MyDb {
    pub fn create() -> MyDb {
        use mysql::prelude::Queryable;
        let name = format!(
            "sluice_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        my_admin()
            .query_drop(format!("CREATE DATABASE {name}"))
            .expect("create test database");
        MyDb { name }
    }

    /// URL of this database.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:3306/{}", self.name)
    }

    pub fn conn(&self) -> mysql::Conn {
        mysql::Conn::new(mysql::Opts::from_url(&self.url()).unwrap())
            .expect("connect to test database")
    }

    /// First column of every row, as text.
    pub fn column(&self, sql: &str) -> Vec<String> {
        use mysql::prelude::Queryable;
        let rows: Vec<mysql::Row> = self.conn().query(sql).unwrap();
        rows.into_iter()
            .map(|r| match r.as_ref(0) {
                Some(mysql::Value::NULL) | None => "NULL".to_string(),
                Some(mysql::Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                Some(v) => v.as_sql(true).trim_matches('\'').to_string(),
            })
            .collect()
    }

    /// The single value of a query.
    pub fn scalar(&self, sql: &str) -> String {
        self.column(sql).into_iter().next().expect("a row")
    }

    pub fn exec(&self, sql: &str) {
        use mysql::prelude::Queryable;
        self.conn().query_drop(sql).unwrap();
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        use mysql::prelude::Queryable;
        let _ = my_admin().query_drop(format!("DROP DATABASE IF EXISTS {}", self.name));
    }
}

/// The rule ids `check --format json` reported on the migration named `name`.
pub fn rules_of(doc: &serde_json::Value, name: &str) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("_{name}.sql"))
        })
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The diagnostics of rule `rule` in a `--format json` document.
pub fn diags_of<'d>(doc: &'d serde_json::Value, rule: &str) -> Vec<&'d serde_json::Value> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .collect()
}

/// Runs git in `dir` (a fixed author), asserting success; its stdout.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
