//! Deploy and automation files read by their format, for
//! `startup-migration`: each file is parsed as what it is (JSON, YAML, TOML,
//! a Procfile, a Dockerfile, a `.env` file, Python settings) and its
//! commands and variables are judged, rather than its lines grepped.
//!
//! - **Commands** that apply migrations ([`migrates`]): `prisma migrate
//!   deploy`, `alembic upgrade`, `flask db upgrade`, `manage.py migrate`,
//!   `rails db:migrate`, `knex migrate:latest`, `sequelize db:migrate`,
//!   `typeorm migration:run`, `dbmate up`, `goose … up`, golang-migrate's
//!   `migrate … -database … up`, `diesel migration run`, `sqlx migrate run`,
//!   `flyway migrate`, `liquibase update`, `atlas migrate apply`, `node
//!   …migrat… up`.
//! - **Flags** ([`FLAGS`]) such as `RUN_DB_MIGRATIONS_ON_STARTUP` set to a
//!   true value (`1`, `true`, `yes`, `on`).
//!
//! What runs at start-up, per format:
//!
//! | file | what is judged |
//! |---|---|
//! | `.env`, `*.env*` | flags (dotenv syntax: quotes, `export`, comments) |
//! | `Procfile` | every process type's command (`release:`, `web:` …) |
//! | `app.json` | `env` flags (a string, or `{"value": …}`), `scripts` commands |
//! | `package.json` | scripts that run at install, build or start (`start`, `prestart`, `setup`, `postinstall`, `build`, `release` …), following `npm run X` / `yarn X` / `pnpm X` into the scripts they call |
//! | `fly.toml` | `[deploy] release_command`, `[processes]`, `[experimental] cmd`/`entrypoint`, `[env]` flags |
//! | `Dockerfile` | `CMD` and `ENTRYPOINT` (shell and JSON forms, continued lines), `ENV` flags |
//! | `.github/workflows/*.yml` | a step's `run` that migrates in a job whose `environment` is not a development one, or whose variables come from production or staging secrets; `env` flags at any level |
//! | Python settings (`settings.py`, `config.py`, `settings/*.py`, `config/*.py`) | a flag assigned a true value, annotated or not (`RUN_DB_MIGRATIONS_ON_STARTUP: bool = True`), or defaulting to one (`Field(default=True)`, `os.getenv("…", "1")`) |

use regex::Regex;
use std::sync::LazyLock;

/// Variables that make an application migrate when it starts.
pub const FLAGS: &[&str] = &[
    "RUN_DB_MIGRATIONS_ON_STARTUP",
    "RUN_MIGRATIONS_ON_STARTUP",
    "MIGRATE_ON_STARTUP",
    "AUTO_MIGRATE",
];

/// One place that migrates at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What was found there, for the message.
    pub what: String,
    /// The message.
    pub message: String,
}

static MIGRATES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          \bprisma\s+migrate\s+deploy\b
        | \bmigrate\s+(?:deploy|up)\b
        | \bdbmate\b[^;&|\n]*?\s(?:up|migrate)\b
        | \bgoose\b[^;&|\n]*?\sup\b
        | \bmigrate\b[^;&|\n]*?\s-database\b[^;&|\n]*?\sup\b
        | \balembic\s+(?:-[a-z]\s+\S+\s+|--\S+\s+)*upgrade\b
        | \bflask\s+db\s+upgrade\b
        | \bmanage\.py\s+migrate\b
        | \b(?:rails|rake)\s+db:migrate\b
        | \bknex\s+migrate:latest\b
        | \bsequelize(?:-cli)?\s+db:migrate\b
        | \btypeorm(?:-ts-node-\w+)?\s+migration:run\b
        | \bdiesel\s+migration\s+run\b
        | \bsqlx\s+migrate\s+run\b
        | \bflyway\b[^;&|\n]*?\smigrate\b
        | \bliquibase\b[^;&|\n]*?\supdate\b
        | \batlas\s+migrate\s+apply\b
        | \bnode\s+\S*migrat\S*\s+up\b",
    )
    .expect("valid")
});

/// The part of a shell command that applies migrations, when it does.
pub fn migrates(command: &str) -> Option<&str> {
    MIGRATES.find(command).map(|m| m.as_str())
}

/// Whether a variable's value is true.
fn truthy(v: &str) -> bool {
    let v = v
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_ascii_lowercase();
    matches!(v.as_str(), "1" | "true" | "yes" | "on")
}

fn is_flag(name: &str) -> bool {
    FLAGS.iter().any(|f| f.eq_ignore_ascii_case(name.trim()))
}

/// Line and column of the first occurrence of `needle` in `text` at or after
/// byte `from` (1:1 when absent).
fn locate(text: &str, needle: &str, from: usize) -> (usize, usize) {
    let from = from.min(text.len());
    let at = text[from..]
        .find(needle)
        .map(|i| i + from)
        .or_else(|| text.find(needle));
    match at {
        Some(i) => {
            let before = &text[..i];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |j| j + 1);
            (line, text[start..i].chars().count() + 1)
        }
        None => (1, 1),
    }
}

/// The first line of a command, for locating it and for messages.
fn first_line(s: &str) -> &str {
    s.trim().lines().next().unwrap_or("").trim()
}

fn startup_hit(text: &str, command: &str, matched: &str, place: &str) -> Hit {
    let (line, column) = locate(text, first_line(command), 0);
    Hit {
        line,
        column,
        what: matched.to_string(),
        message: format!(
            "{place} runs `{matched}`: migrations run when the application starts or deploys"
        ),
    }
}

fn flag_hit(text: &str, name: &str, value: &str, place: &str) -> Hit {
    let (line, column) = locate(text, name, 0);
    Hit {
        line,
        column,
        what: format!("{name}={value}"),
        message: format!("{place} sets {name} to {value}: the application migrates when it starts"),
    }
}

/// The formats this module reads, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.env`, `*.env*`.
    Env,
    /// `Procfile`.
    Procfile,
    /// `app.json` (Heroku).
    AppJson,
    /// `package.json`.
    PackageJson,
    /// `fly.toml`.
    FlyToml,
    /// `Dockerfile`, `Dockerfile.*`.
    Dockerfile,
    /// `.github/workflows/*.yml`.
    Workflow,
    /// Python settings modules.
    Python,
}

/// The format of `path` (a `/`-separated project path), when it is one
/// this module reads.
pub fn format_of(path: &str) -> Option<Format> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parent = path.rsplit('/').nth(1).unwrap_or("");
    Some(match name {
        "Procfile" => Format::Procfile,
        "app.json" => Format::AppJson,
        "package.json" => Format::PackageJson,
        "fly.toml" => Format::FlyToml,
        "Dockerfile" => Format::Dockerfile,
        n if n.starts_with("Dockerfile.") => Format::Dockerfile,
        n if (n.ends_with(".yml") || n.ends_with(".yaml"))
            && path.contains(".github/workflows/") =>
        {
            Format::Workflow
        }
        "settings.py" | "config.py" => Format::Python,
        n if n.ends_with(".py") && (parent == "settings" || parent == "config") => Format::Python,
        n if n.starts_with(".env") || n.ends_with(".env") || n.contains(".env.") => Format::Env,
        _ => return None,
    })
}

/// Where `text` (the file `path`, of `format`) migrates at start-up. A file
/// that does not parse as its format yields nothing from this reader (the
/// caller may still scan it).
pub fn detect(format: Format, path: &str, text: &str) -> Result<Vec<Hit>, String> {
    match format {
        Format::Env => Ok(env_file(path, text)),
        Format::Procfile => Ok(procfile(text)),
        Format::AppJson => app_json(text),
        Format::PackageJson => package_json(text),
        Format::FlyToml => fly_toml(text),
        Format::Dockerfile => Ok(dockerfile(text)),
        Format::Workflow => workflow(text),
        Format::Python => Ok(python(text)),
    }
}

fn env_file(path: &str, text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let Ok((k, v)) = item else { break };
        if is_flag(&k) && truthy(&v) {
            out.push(flag_hit(text, &k, &v, path));
        }
    }
    out
}

fn procfile(text: &str) -> Vec<Hit> {
    static LINE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([A-Za-z0-9_-]+):\s*(.*)$").expect("valid"));
    static ASSIGN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b([A-Z_]+)=(\S+)").expect("valid"));
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(c) = LINE.captures(line.trim_start()) else {
            continue;
        };
        let (kind, cmd) = (&c[1], &c[2]);
        if let Some(m) = migrates(cmd) {
            out.push(startup_hit(text, line, m, &format!("process `{kind}`")));
        }
        for a in ASSIGN.captures_iter(cmd) {
            if is_flag(&a[1]) && truthy(&a[2]) {
                out.push(flag_hit(text, &a[1], &a[2], &format!("process `{kind}`")));
            }
        }
    }
    out
}

/// A JSON string, or Heroku's `{"value": "..."}`.
fn json_value(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Object(o) => o.get("value").and_then(json_value),
        _ => None,
    }
}

fn app_json(text: &str) -> Result<Vec<Hit>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut out = Vec::new();
    if let Some(env) = doc.get("env").and_then(|e| e.as_object()) {
        for (k, v) in env {
            if let Some(v) = json_value(v).filter(|v| is_flag(k) && truthy(v)) {
                out.push(flag_hit(text, k, &v, "app.json `env`"));
            }
        }
    }
    if let Some(scripts) = doc.get("scripts").and_then(|e| e.as_object()) {
        for (k, v) in scripts {
            let Some(cmd) = v.as_str() else { continue };
            if let Some(m) = migrates(cmd) {
                out.push(startup_hit(text, cmd, m, &format!("app.json script `{k}`")));
            }
        }
    }
    Ok(out)
}

/// package.json scripts that run when the application is installed, built,
/// deployed or started.
fn starts(name: &str) -> bool {
    matches!(
        name,
        "start"
            | "prestart"
            | "poststart"
            | "preinstall"
            | "install"
            | "postinstall"
            | "prepare"
            | "setup"
            | "build"
            | "prebuild"
            | "postbuild"
            | "heroku-postbuild"
            | "release"
            | "postdeploy"
            | "serve"
    ) || name.starts_with("start:")
}

fn package_json(text: &str) -> Result<Vec<Hit>, String> {
    static CALLS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(?:npm\s+run(?:-script)?|yarn(?:\s+run)?|pnpm(?:\s+run)?|bun\s+run)\s+([\w:.-]+)",
        )
        .expect("valid")
    });
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Some(scripts) = doc.get("scripts").and_then(|s| s.as_object()) else {
        return Ok(vec![]);
    };
    // What a script runs, following the scripts it calls.
    fn reach<'a>(
        scripts: &'a serde_json::Map<String, serde_json::Value>,
        name: &str,
        seen: &mut Vec<String>,
        calls: &Regex,
    ) -> Option<(String, &'a str)> {
        if seen.iter().any(|s| s == name) {
            return None;
        }
        seen.push(name.to_string());
        let cmd = scripts.get(name)?.as_str()?;
        if let Some(m) = migrates(cmd) {
            return Some((name.to_string(), m));
        }
        calls
            .captures_iter(cmd)
            .find_map(|c| reach(scripts, &c[1], seen, calls))
    }
    let mut out = Vec::new();
    for (name, v) in scripts {
        if !starts(name) {
            continue;
        }
        if !v.is_string() {
            continue;
        }
        if let Some((via, m)) = reach(scripts, name, &mut vec![], &CALLS) {
            let place = if via == *name {
                format!("package.json script `{name}`")
            } else {
                format!("package.json script `{name}` (through `{via}`)")
            };
            // Locate the script's own entry: its quoted name, then its command.
            let key = format!("\"{name}\"");
            let (line, column) = locate(text, &key, 0);
            out.push(Hit {
                line,
                column,
                what: m.to_string(),
                message: format!(
                    "{place} runs `{m}`: migrations run when the application starts or deploys"
                ),
            });
        }
    }
    Ok(out)
}

/// A TOML command: a string, or an array of words.
fn toml_command(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Array(a) => Some(
            a.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

fn fly_toml(text: &str) -> Result<Vec<Hit>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("not valid TOML: {e}"))?;
    let mut out = Vec::new();
    // (where, the key to point at, the command)
    let mut commands: Vec<(String, String, String)> = Vec::new();
    if let Some(c) = doc
        .get("deploy")
        .and_then(|d| d.get("release_command"))
        .and_then(toml_command)
    {
        commands.push((
            "[deploy] release_command".into(),
            "release_command".into(),
            c,
        ));
    }
    if let Some(p) = doc.get("processes").and_then(|p| p.as_table()) {
        for (k, v) in p {
            if let Some(c) = toml_command(v) {
                commands.push((format!("[processes] {k}"), k.clone(), c));
            }
        }
    }
    for key in ["cmd", "entrypoint", "exec"] {
        if let Some(c) = doc
            .get("experimental")
            .and_then(|d| d.get(key))
            .and_then(toml_command)
        {
            commands.push((format!("[experimental] {key}"), key.to_string(), c));
        }
    }
    for (place, key, cmd) in &commands {
        if let Some(m) = migrates(cmd) {
            let (line, column) = locate(text, key, 0);
            out.push(Hit {
                line,
                column,
                what: m.to_string(),
                message: format!("fly.toml {place} runs `{m}`: migrations run when the application starts or deploys"),
            });
        }
    }
    if let Some(env) = doc.get("env").and_then(|e| e.as_table()) {
        for (k, v) in env {
            let v = match v {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if is_flag(k) && truthy(&v) {
                out.push(flag_hit(text, k, &v, "fly.toml [env]"));
            }
        }
    }
    Ok(out)
}

fn dockerfile(text: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    // Instructions, with continued lines joined, each with its first line.
    let mut instructions: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if current.is_none() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        let (start, mut body) = current.take().unwrap_or((i + 1, String::new()));
        if let Some(cont) = trimmed.strip_suffix('\\') {
            body.push_str(cont);
            body.push(' ');
            current = Some((start, body));
        } else {
            body.push_str(trimmed);
            instructions.push((start, body));
        }
    }
    if let Some(c) = current {
        instructions.push(c);
    }
    for (line, ins) in instructions {
        let (word, rest) = ins.split_once(char::is_whitespace).unwrap_or((&ins, ""));
        let word = word.to_ascii_uppercase();
        let rest = rest.trim();
        match word.as_str() {
            "CMD" | "ENTRYPOINT" => {
                // The exec form is a JSON array of words.
                let cmd = serde_json::from_str::<Vec<String>>(rest)
                    .map(|w| w.join(" "))
                    .unwrap_or_else(|_| rest.to_string());
                if let Some(m) = migrates(&cmd) {
                    out.push(Hit {
                        line,
                        column: 1,
                        what: m.to_string(),
                        message: format!("Dockerfile {word} runs `{m}`: migrations run every time a container starts"),
                    });
                }
            }
            "ENV" => {
                // `ENV KEY=VALUE ...` or the legacy `ENV KEY VALUE`.
                let pairs: Vec<(String, String)> = if rest.contains('=') {
                    rest.split_whitespace()
                        .filter_map(|p| p.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                } else {
                    rest.split_once(char::is_whitespace)
                        .map(|(k, v)| vec![(k.to_string(), v.trim().to_string())])
                        .unwrap_or_default()
                };
                for (k, v) in pairs {
                    if is_flag(&k) && truthy(&v) {
                        out.push(Hit {
                            line,
                            column: 1,
                            what: format!("{k}={v}"),
                            message: format!("Dockerfile ENV sets {k} to {v}: every container migrates when it starts"),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Environment names of development and test (a workflow job that migrates
/// one of them is CI doing its job).
fn development_environment(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "dev",
        "development",
        "local",
        "test",
        "testing",
        "ci",
        "preview",
        "review",
    ]
    .iter()
    .any(|d| n == *d || n.starts_with(&format!("{d}-")) || n.starts_with(&format!("{d}_")))
}

/// A production or staging secret or variable in a workflow expression
/// (`${{ secrets.PROD_DATABASE_URL }}`).
fn production_secret(value: &str) -> Option<String> {
    static SECRET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\$\{\{\s*(?:secrets|vars)\.(\w*(?:prod|production|staging|live)\w*)\s*\}\}",
        )
        .expect("valid")
    });
    SECRET.captures(value).map(|c| c[1].to_string())
}

fn workflow(text: &str) -> Result<Vec<Hit>, String> {
    let doc: serde_json::Value =
        serde_norway::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut out = Vec::new();
    let env_flags = |env: Option<&serde_json::Value>, place: &str, out: &mut Vec<Hit>| {
        for (k, v) in env.and_then(|e| e.as_object()).into_iter().flatten() {
            if let Some(v) = json_value(v).filter(|v| is_flag(k) && truthy(v)) {
                out.push(flag_hit(text, k, &v, place));
            }
        }
    };
    let secrets_of = |env: Option<&serde_json::Value>| -> Option<String> {
        env.and_then(|e| e.as_object())?
            .values()
            .filter_map(json_value)
            .find_map(|v| production_secret(&v))
    };
    env_flags(doc.get("env"), "the workflow's `env`", &mut out);
    let workflow_secret = secrets_of(doc.get("env"));
    let Some(jobs) = doc.get("jobs").and_then(|j| j.as_object()) else {
        return Ok(out);
    };
    for (job_id, job) in jobs {
        env_flags(job.get("env"), &format!("job `{job_id}` `env`"), &mut out);
        let environment = match job.get("environment") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Object(o)) => {
                o.get("name").and_then(|n| n.as_str()).map(str::to_string)
            }
            _ => None,
        };
        let job_secret = secrets_of(job.get("env")).or_else(|| workflow_secret.clone());
        for step in job
            .get("steps")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            let name = step
                .get("name")
                .and_then(|n| n.as_str())
                .map(|n| format!("step `{n}` of job `{job_id}`"))
                .unwrap_or_else(|| format!("a step of job `{job_id}`"));
            env_flags(step.get("env"), &format!("{name} `env`"), &mut out);
            let Some(run) = step.get("run").and_then(|r| r.as_str()) else {
                continue;
            };
            let Some(m) = migrates(run) else { continue };
            let target = match &environment {
                Some(e) if !development_environment(e) => Some(format!("environment `{e}`")),
                Some(_) => None,
                None => secrets_of(step.get("env"))
                    .or_else(|| job_secret.clone())
                    .or_else(|| production_secret(run))
                    .map(|s| format!("the database of secret `{s}`")),
            };
            let Some(target) = target else { continue };
            // The line of the migrating command, within this step's `run`.
            let from = text.find(first_line(run)).unwrap_or(0);
            let (line, column) = locate(text, m, from);
            out.push(Hit {
                line,
                column,
                what: m.to_string(),
                message: format!(
                    "{name} runs `{m}` against {target}: migrations applied outside sluice's gates (no plan, approvals or evidence)"
                ),
            });
        }
    }
    Ok(out)
}

fn python(text: &str) -> Vec<Hit> {
    static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^\s*(?:self\.)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[^=]+?)?\s*=\s*(.+?)\s*(?:#.*)?$",
        )
        .expect("valid")
    });
    static DEFAULT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?x)
            ^(?:True|1|["'](?:1|true|yes|on)["'])$
          | ^(?:\w+\.)*Field\(\s*(?:default\s*=\s*)?True\b
          | \bget(?:env)?\(\s*["']\w+["']\s*,\s*["']?(?:1|true|True|yes|on)["']?\s*\)"#,
        )
        .expect("valid")
    });
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = ASSIGN.captures(line) else {
            continue;
        };
        let (name, value) = (&c[1], c[2].trim());
        if !is_flag(name) {
            continue;
        }
        // `os.getenv("X", "1")` / `environ.get("X", "true")`: true by default.
        if DEFAULT.is_match(value) {
            let column = line.find(name).map_or(1, |j| line[..j].chars().count() + 1);
            out.push(Hit {
                line: i + 1,
                column,
                what: format!("{name} = {value}"),
                message: format!("{name} = {value}: the application migrates when it starts"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_commands() {
        for yes in [
            "npx prisma migrate deploy",
            "alembic -c alembic.ini upgrade head",
            "alembic upgrade head",
            "python manage.py migrate --noinput",
            "flask db upgrade",
            "bundle exec rails db:migrate",
            "dbmate --wait up",
            "goose -dir db postgres $DATABASE_URL up",
            "migrate -path db -database $DATABASE_URL up",
            "npx knex migrate:latest",
            "npx sequelize-cli db:migrate",
            "node db/migrate.mjs up",
        ] {
            assert!(migrates(yes).is_some(), "{yes}");
        }
        for no in [
            "npx prisma migrate dev",
            "alembic revision --autogenerate",
            "prisma generate",
            "node server.js",
            "python manage.py makemigrations",
        ] {
            assert!(migrates(no).is_none(), "{no}");
        }
    }

    #[test]
    fn python_settings() {
        let hits = python("class Settings(BaseSettings):\n    RUN_DB_MIGRATIONS_ON_STARTUP: bool = True\n    DEBUG: bool = True\nAUTO_MIGRATE = os.getenv(\"AUTO_MIGRATE\", \"1\")\nMIGRATE_ON_STARTUP = False\n");
        let lines: Vec<usize> = hits.iter().map(|h| h.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn dockerfile_forms() {
        let hits = dockerfile("FROM node:20\nENV PORT=3000 \\\n    AUTO_MIGRATE=true\nCMD [\"sh\", \"-c\", \\\n  \"npx prisma migrate deploy && node server.js\"]\n");
        let lines: Vec<usize> = hits.iter().map(|h| h.line).collect();
        assert_eq!(lines, [2, 4]);
    }
}
