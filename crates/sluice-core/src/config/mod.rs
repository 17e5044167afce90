//! Configuration: `sluice.toml`, resolved with flags and environment variables.
//!
//! Two layers, as the conventions ask: [`ConfigFile`] is the file as written
//! (every key optional, unknown keys rejected by name), and [`Config`] /
//! [`Environment`] are what commands use.
//!
//! Precedence, highest first, written down once:
//!
//! 1. command-line flags (`--config`, `--env`, `--url`, `-C`);
//! 2. environment variables: `SLUICE_CONFIG` (config path), `SLUICE_ENV`
//!    (environment name), `DATABASE_URL` (the selected environment's URL),
//!    `MIGRATION_TIMEOUT_SECONDS` (the lock wait);
//! 3. `sluice.toml`, after `${VAR}` / `${VAR:-default}` interpolation;
//! 4. built-in defaults. Without a config file sluice works on `./migrations` with
//!    the embedded SQLite database `sqlite://sluice.db` as environment `dev`.

use crate::duration::parse_duration_or_seconds;
use crate::error::CoreError;
use crate::interpolate::interpolate;
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod file;
pub use file::*;

/// The default configuration file name.
pub const CONFIG_FILE: &str = "sluice.toml";
/// The default filename contract.
pub const DEFAULT_FILENAME: &str = r"^\d{13}_[a-z0-9_]+\.sql$";
/// The default filename contract of the `alembic` layout.
pub const DEFAULT_ALEMBIC_FILENAME: &str = r"^[A-Za-z0-9_]+\.py$";
/// The default bounded wait for the migration lock.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// `lock_timeout` of a production-like environment that does not set one.
pub const DEFAULT_PRODUCTION_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// SQL dialect of the migrations (`[migrations] dialect`; an unknown name is
/// an error at its line in sluice.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
    /// MySQL (8.0 and later).
    Mysql,
    /// MariaDB (10.6 and later): MySQL's grammar family, with the
    /// statements only one of the two servers accepts told apart by `check`.
    Mariadb,
}

impl Dialect {
    /// Parses a dialect name.
    pub fn parse(s: &str) -> Option<Dialect> {
        match s {
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "sqlite" => Some(Dialect::Sqlite),
            "mysql" => Some(Dialect::Mysql),
            "mariadb" => Some(Dialect::Mariadb),
            _ => None,
        }
    }

    /// The canonical name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
            Dialect::Mariadb => "mariadb",
        }
    }

    /// The grammar family: MariaDB is MySQL's (quoting, comments,
    /// `DELIMITER`, statement forms); the others are themselves.
    pub const fn family(self) -> Dialect {
        match self {
            Dialect::Mariadb => Dialect::Mysql,
            d => d,
        }
    }

    /// Whether this is MySQL or MariaDB.
    pub const fn is_mysql(self) -> bool {
        matches!(self, Dialect::Mysql | Dialect::Mariadb)
    }
}

impl TryFrom<String> for Dialect {
    type Error = String;

    fn try_from(s: String) -> Result<Dialect, String> {
        Dialect::parse(&s).ok_or_else(|| {
            format!("[migrations] dialect = {s:?} is not one of postgres, sqlite, mysql, mariadb")
        })
    }
}

impl TryFrom<String> for Layout {
    type Error = String;

    fn try_from(s: String) -> Result<Layout, String> {
        Layout::parse(&s).ok_or_else(|| {
            format!(
                "[migrations] layout = {s:?} is not supported by this version of sluice; supported: {}",
                Layout::ALL
                    .iter()
                    .map(|l| format!("{:?}", l.imp().name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

/// An environment's URL and where it came from: `--url`, else
/// `DATABASE_URL`, else the section's `url` (interpolated).
fn env_url(
    section: &EnvironmentSection,
    name: &str,
    url_flag: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, &'static str), String> {
    if let Some(u) = url_flag {
        Ok((u.to_string(), "--url"))
    } else if let Some(u) = lookup("DATABASE_URL").filter(|s| !s.is_empty()) {
        Ok((u, "DATABASE_URL"))
    } else if let Some(raw) = &section.url {
        let u = interpolate(raw, lookup).map_err(|e| format!("[environments.{name}] url: {e}"))?;
        Ok((u, "sluice.toml"))
    } else {
        Err(format!(
            "[environments.{name}] has no url; set `url = \"...\"` there or set DATABASE_URL"
        ))
    }
}

/// Looks up an environment variable.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What the caller passes in from flags and the process environment.
#[derive(Default)]
pub struct Overrides<'a> {
    /// `-C DIR`: the project root.
    pub root: Option<PathBuf>,
    /// `--config FILE` (or `SLUICE_CONFIG`).
    pub config: Option<PathBuf>,
    /// Looks up environment variables (`std::env::var` in the binary).
    pub env: Option<EnvLookup<'a>>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The project root (the config file's directory, or the working directory).
    pub root: PathBuf,
    /// The config file, when one was read.
    pub config_path: Option<PathBuf>,
    /// The file as written (defaults filled in).
    pub file: ConfigFile,
    /// The migrations directory.
    pub migrations_dir: PathBuf,
    /// The ledger file.
    pub ledger_path: PathBuf,
    /// The approvals file.
    pub approvals_path: PathBuf,
    /// The compiled filename contract.
    pub filename: Regex,
    /// The dialect.
    pub dialect: Dialect,
    /// The directory layout.
    pub layout: Layout,
    /// The compiled `[policy] bypass_reference`.
    pub bypass: Regex,
    /// Role → people: `[roles]`, with `roles.toml` beside the approvals file
    /// (a `[roles]` table of the same shape) added when it exists.
    pub roles: BTreeMap<String, Vec<String>>,
}

/// How a migrations directory is laid out (`[migrations] layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Layout {
    /// `<version>_<name>.sql` with a `-- sluice:down` section.
    Sluice,
    /// Alembic revisions (`*.py`) read in place: analysed and checked; applying
    /// stays Alembic's job.
    Alembic,
    /// Diesel's directories (`<version>_<name>/up.sql`, `down.sql`,
    /// `metadata.toml`), read and run in place.
    Diesel,
    /// golang-migrate's `<version>_<title>.up.sql` / `.down.sql`.
    GolangMigrate,
    /// sqlx's `<version>_<desc>.sql`, or `.up.sql` / `.down.sql`.
    Sqlx,
    /// dbmate's `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// goose's `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down`.
    Goose,
    /// Prisma Migrate's `<timestamp>_<name>/migration.sql`.
    Prisma,
    /// Any files named by the filename pattern, their bodies opaque (another
    /// program runs them).
    Files,
    /// Flyway's `V<version>__<desc>.sql` (and `U…` undo, `R__…` repeatables).
    Flyway,
}

impl Layout {
    /// Every layout.
    pub const ALL: [Layout; 10] = [
        Layout::Sluice,
        Layout::Alembic,
        Layout::Diesel,
        Layout::GolangMigrate,
        Layout::Sqlx,
        Layout::Dbmate,
        Layout::Goose,
        Layout::Prisma,
        Layout::Files,
        Layout::Flyway,
    ];

    /// The implementation of this layout: the one place a layout name maps to
    /// its code.
    pub fn imp(self) -> &'static dyn crate::layout::MigrationLayout {
        match self {
            Layout::Sluice => &crate::layout::sluice::Native,
            Layout::Alembic => &crate::layout::alembic::Alembic,
            Layout::Diesel => &crate::layout::diesel::Diesel,
            Layout::GolangMigrate => &crate::layout::paired::GolangMigrate,
            Layout::Sqlx => &crate::layout::paired::Sqlx,
            Layout::Dbmate => &crate::layout::marked::Dbmate,
            Layout::Goose => &crate::layout::marked::Goose,
            Layout::Prisma => &crate::layout::prisma::Prisma,
            Layout::Files => &crate::layout::files::Files,
            Layout::Flyway => &crate::layout::flyway::Flyway,
        }
    }

    /// Parses a layout name (the name its implementation gives).
    pub fn parse(s: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.imp().name() == s)
    }
}

/// A resolved environment.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Session variables set on the migration session, in name order.
    pub session: Vec<SessionVariable>,
    /// Its name.
    pub name: String,
    /// The database URL (secret: print [`Environment::redacted_url`] instead).
    pub url: String,
    /// Where the URL came from, for `-v` output.
    pub url_source: &'static str,
    /// Whether `down` may run.
    pub allow_down: bool,
    /// Whether this environment is production-like (strict defaults).
    pub production_like: bool,
    /// `lock_timeout` for the migration session.
    pub lock_timeout: Option<Duration>,
    /// `statement_timeout` for the migration session.
    pub statement_timeout: Option<Duration>,
    /// Bounded wait for the migration lock.
    pub lock_wait: Duration,
    /// Retries after a lock timeout.
    pub lock_retries: u32,
    /// The server for scratch databases (`scratch_url`, interpolated), when
    /// set; an interpolation error is kept for the commands that need it
    /// (plan, verify, adopt), so the others do not fail on it.
    pub scratch_url: Option<Result<String, String>>,
    /// Bound on a transactional migration's total lock acquisition (None when
    /// `lock_timeout` is unset and no explicit bound is given).
    pub lock_timeout_total: Option<Duration>,
    /// Approvals needed per risk.
    pub approvals: ApprovalCounts,
    /// Who may approve (empty = anyone).
    pub approvers: Vec<String>,
    /// `[roles]` (and the roles file beside the approvals): role → people.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Where the environment requires approvals: each data domain with
    /// extra approval roles, as (domain, its header flag, role → count).
    pub domain_approvals: Vec<(String, String, BTreeMap<String, u32>)>,
    /// The raw section.
    pub section: EnvironmentSection,
}

impl Environment {
    /// The URL with its password masked.
    pub fn redacted_url(&self) -> String {
        crate::redact::redact_url(&self.url)
    }
}

/// Whether a name looks production-like when the section does not say.
pub fn is_production_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["prod", "production", "live", "staging", "stage", "preprod"]
        .iter()
        .any(|p| n == *p || n.starts_with(&format!("{p}-")) || n.starts_with(&format!("{p}_")))
}

/// Names whose `allow_down` defaults to true.
fn is_development_name(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "dev" | "development" | "local" | "test" | "ci"
    )
}

fn env_lookup<'a>(o: &'a Overrides<'a>) -> impl Fn(&str) -> Option<String> + 'a {
    move |k: &str| o.env.and_then(|f| f(k))
}

impl Config {
    /// Finds and reads the configuration. The root is `-C DIR` or the working
    /// directory; the file is `--config`, else `SLUICE_CONFIG`, else
    /// `<root>/sluice.toml` when it exists. An explicitly named file must exist.
    pub fn load(o: &Overrides<'_>) -> Result<Config, CoreError> {
        let lookup = env_lookup(o);
        let cwd = std::env::current_dir().map_err(|e| CoreError::io(".", e))?;
        let root = match &o.root {
            Some(r) => cwd.join(r),
            None => cwd,
        };
        let explicit = o.config.clone().or_else(|| {
            lookup("SLUICE_CONFIG")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        });
        let (config_path, file) = match explicit {
            Some(p) => {
                let p = root.join(p);
                if !p.is_file() {
                    return Err(CoreError::Config {
                        path: p.clone(),
                        message: "the file does not exist (named by --config or SLUICE_CONFIG)"
                            .into(),
                    });
                }
                let f = Self::read_file(&p)?;
                (Some(p), Some(f))
            }
            None => {
                let p = root.join(CONFIG_FILE);
                if p.is_file() {
                    let f = Self::read_file(&p)?;
                    (Some(p), Some(f))
                } else {
                    (None, None)
                }
            }
        };
        let root = config_path
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or(root);
        let has_file = file.is_some();
        let mut file = file.unwrap_or_default();
        if !has_file {
            file.migrations.dir = "migrations".into();
            file.migrations.dialect = Dialect::Sqlite;
        }
        Self::resolve(root, config_path, file)
    }

    /// Parses a config file's text. Errors name the file, line and key.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, CoreError> {
        // The error quotes the offending line, which may hold a URL whose
        // password is not registered yet: redact it by structure.
        toml::from_str(text).map_err(|e| CoreError::Config {
            path: path.into(),
            message: crate::redact::redact_lines(e.to_string().trim_end()),
        })
    }

    fn read_file(path: &Path) -> Result<ConfigFile, CoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| CoreError::io(path, e))?;
        Self::parse(path, &text)
    }

    fn resolve(
        root: PathBuf,
        config_path: Option<PathBuf>,
        file: ConfigFile,
    ) -> Result<Config, CoreError> {
        let cfg_err = |message: String| CoreError::Config {
            path: config_path
                .clone()
                .unwrap_or_else(|| root.join(CONFIG_FILE)),
            message,
        };
        let layout = file.migrations.layout;
        let pattern = file
            .migrations
            .filename
            .clone()
            .unwrap_or_else(|| layout.imp().default_filename().to_string());
        let filename = Regex::new(&pattern).map_err(|e| {
            cfg_err(format!(
                "[migrations] filename is not a valid regular expression: {e}"
            ))
        })?;
        let dialect = file.migrations.dialect;
        if !matches!(file.policy.migration_id.as_str(), "revision" | "any") {
            Regex::new(&file.policy.migration_id).map_err(|e| {
                cfg_err(format!(
                    "[policy] migration_id must be \"revision\", \"any\" or a regular expression: {e}"
                ))
            })?;
        }
        let bypass = Regex::new(&file.policy.bypass_reference).map_err(|e| {
            cfg_err(format!(
                "[policy] bypass_reference is not a valid regular expression: {e}"
            ))
        })?;
        for (name, env) in &file.environments {
            for (key, value) in [
                ("lock_timeout", &env.lock_timeout),
                ("statement_timeout", &env.statement_timeout),
                ("lock_wait", &env.lock_wait),
                ("lock_timeout_total", &env.lock_timeout_total),
            ] {
                if let Some(v) = value {
                    if parse_duration_or_seconds(v).is_none() {
                        return Err(cfg_err(format!(
                            "[environments.{name}] {key} = {v:?} is not a duration (write e.g. \"500ms\", \"5s\", \"15min\")"
                        )));
                    }
                }
            }
        }
        let migrations_dir = root.join(&file.migrations.dir);
        let ledger_path = match &file.migrations.ledger {
            Some(l) => root.join(l),
            None => migrations_dir.join("checksums.json"),
        };
        let approvals_path = root.join(
            file.migrations
                .approvals
                .as_deref()
                .unwrap_or("db/approvals.toml"),
        );
        let mut roles = file.roles.clone();
        let roles_file = approvals_path.with_file_name("roles.toml");
        if let Ok(text) = std::fs::read_to_string(&roles_file) {
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct RolesFile {
                #[serde(default)]
                roles: BTreeMap<String, Vec<String>>,
            }
            let extra: RolesFile = toml::from_str(&text).map_err(|e| CoreError::Config {
                path: roles_file.clone(),
                message: format!(
                    "{}\nthe roles file holds one table, [roles], of role = [\"person\", ...] (the names `approve --by` takes); fix it or move the roles into sluice.toml's [roles]",
                    e.to_string().trim_end()
                ),
            })?;
            for (role, people) in extra.roles {
                let list = roles.entry(role).or_default();
                for p in people {
                    if !list.contains(&p) {
                        list.push(p);
                    }
                }
            }
        }
        Ok(Config {
            roles,
            approvals_path,
            root,
            config_path,
            file,
            migrations_dir,
            ledger_path,
            filename,
            dialect,
            layout,
            bypass,
        })
    }

    /// Environment names defined in the file (or `dev` when none are).
    pub fn environment_names(&self) -> Vec<String> {
        if self.file.environments.is_empty() {
            vec!["dev".into()]
        } else {
            self.file.environments.keys().cloned().collect()
        }
    }

    /// Resolves an environment: `requested` (from `--env`), else `SLUICE_ENV`,
    /// else `dev`. An unknown name is an error that lists the known ones.
    pub fn environment(
        &self,
        requested: Option<&str>,
        url_flag: Option<&str>,
        o: &Overrides<'_>,
    ) -> Result<Environment, CoreError> {
        let lookup = env_lookup(o);
        let name = requested
            .map(str::to_string)
            .or_else(|| lookup("SLUICE_ENV").filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "dev".into());
        let where_ = self
            .config_path
            .as_ref()
            .map(|p| crate::catalog::display_path(&self.root, p))
            .unwrap_or_else(|| "the built-in defaults (no sluice.toml)".into());
        let section = match self.file.environments.get(&name) {
            Some(s) => s.clone(),
            None if self.file.environments.is_empty() && name == "dev" => EnvironmentSection {
                url: Some("sqlite://sluice.db".into()),
                ..Default::default()
            },
            None => {
                return Err(CoreError::Config {
                    path: self.config_path.clone().unwrap_or_else(|| self.root.join(CONFIG_FILE)),
                    message: format!(
                        "unknown environment `{name}`; {where_} defines: {}. Pass --env with one of them, or add [environments.{name}]",
                        self.environment_names().join(", ")
                    ),
                })
            }
        };
        let cfg_err = |message: String| CoreError::Config {
            path: self
                .config_path
                .clone()
                .unwrap_or_else(|| self.root.join(CONFIG_FILE)),
            message,
        };
        let (url, url_source) = env_url(&section, &name, url_flag, &lookup).map_err(cfg_err)?;
        let scratch_url = section
            .scratch_url
            .as_ref()
            .map(|raw| {
                interpolate(raw, &lookup)
                    .map_err(|e| format!("[environments.{name}] scratch_url: {e}"))
            })
            .filter(|u| !matches!(u, Ok(u) if u.is_empty()));
        let dur = |key: &str, v: &Option<String>| -> Result<Option<Duration>, CoreError> {
            match v {
                None => Ok(None),
                Some(s) => parse_duration_or_seconds(s).map(Some).ok_or_else(|| {
                    cfg_err(format!(
                        "[environments.{name}] {key} = {s:?} is not a duration"
                    ))
                }),
            }
        };
        let production_like = section
            .production
            .unwrap_or_else(|| is_production_name(&name));
        // Production-like environments bound every lock wait by default.
        let lock_timeout = dur("lock_timeout", &section.lock_timeout)?.or(if production_like {
            Some(DEFAULT_PRODUCTION_LOCK_TIMEOUT)
        } else {
            None
        });
        let statement_timeout = dur("statement_timeout", &section.statement_timeout)?;
        let lock_timeout_total =
            dur("lock_timeout_total", &section.lock_timeout_total)?.or(lock_timeout);
        let lock_wait = match lookup("MIGRATION_TIMEOUT_SECONDS").filter(|s| !s.is_empty()) {
            Some(s) => parse_duration_or_seconds(&s).ok_or_else(|| {
                cfg_err(format!(
                    "MIGRATION_TIMEOUT_SECONDS = {s:?} is not a number of seconds"
                ))
            })?,
            None => dur("lock_wait", &section.lock_wait)?.unwrap_or(DEFAULT_LOCK_WAIT),
        };
        let allow_down = section
            .allow_down
            .unwrap_or_else(|| !production_like && is_development_name(&name));
        let approvals = section.approvals.clone().unwrap_or(if production_like {
            ApprovalCounts {
                low: 0.into(),
                medium: 1.into(),
                high: 2.into(),
            }
        } else {
            ApprovalCounts::default()
        });
        if let Some(pattern) = &section.approval_reference {
            Regex::new(pattern).map_err(|e| {
                cfg_err(format!(
                    "[environments.{name}] approval_reference is not a valid pattern: {e}"
                ))
            })?;
        }
        // Every role a requirement names is defined, with someone in it
        // (a domain's roles count where approvals are required).
        let approvals_needed = !approvals.none();
        let domain_roles: Vec<&str> = if !approvals_needed {
            vec![]
        } else {
            self.file
                .domains
                .values()
                .flat_map(|d| d.approvals.keys().map(String::as_str))
                .collect()
        };
        for role in approvals.roles().into_iter().chain(domain_roles) {
            if self.roles.get(role).is_none_or(|p| p.is_empty()) {
                return Err(cfg_err(format!(
                    "[environments.{name}] approvals need role `{role}`, which [roles] does not define (or lists no one in)"
                )));
            }
        }
        if section.allow_reset && production_like {
            return Err(cfg_err(format!(
                "[environments.{name}] allow_reset = true on a production-like environment: `sluice reset` drops everything, so it is never allowed where production_like is true (remove allow_reset, or point the environment at a disposable database)"
            )));
        }
        let session = session_variables(&name, &section.session).map_err(cfg_err)?;
        Ok(Environment {
            session,
            name,
            url,
            url_source,
            allow_down,
            production_like,
            lock_timeout,
            statement_timeout,
            lock_wait,
            lock_retries: section.lock_retries.unwrap_or(3),
            scratch_url,
            lock_timeout_total,
            approvals,
            approvers: section.approvers.clone(),
            roles: self.roles.clone(),
            domain_approvals: if approvals_needed {
                self.file
                    .domains
                    .iter()
                    .filter(|(_, d)| !d.approvals.is_empty())
                    .map(|(n, d)| (n.clone(), d.header.clone(), d.approvals.clone()))
                    .collect()
            } else {
                vec![]
            },
            section,
        })
    }
}

/// One `[environments.X] session` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionVariable {
    /// The variable (`sql_mode`, `search_path`): letters, digits, `_` and
    /// `.`, checked when the configuration is read.
    pub name: String,
    /// Its value as text.
    pub value: String,
    /// Written as a string in the configuration (else a number or boolean).
    pub quoted: bool,
}

/// The session variables of `[environments.NAME] session`, checked.
fn session_variables(
    env: &str,
    table: &std::collections::BTreeMap<String, toml::Value>,
) -> Result<Vec<SessionVariable>, String> {
    let name_ok = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    };
    table
        .iter()
        .map(|(name, v)| {
            if !name_ok(name) {
                return Err(format!(
                    "[environments.{env}] session: {name:?} is not a variable name (letters, digits, `_` and `.`)"
                ));
            }
            let (value, quoted) = match v {
                toml::Value::String(s) => (s.clone(), true),
                toml::Value::Integer(n) => (n.to_string(), false),
                toml::Value::Float(f) => (f.to_string(), false),
                toml::Value::Boolean(b) => (if *b { "1" } else { "0" }.to_string(), false),
                other => {
                    return Err(format!(
                        "[environments.{env}] session.{name} = {other}: give a string, a number or a boolean"
                    ))
                }
            };
            Ok(SessionVariable {
                name: name.clone(),
                value,
                quoted,
            })
        })
        .collect()
}

impl schemars::JsonSchema for Dialect {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Dialect".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "SQL dialect of the migrations",
            "type": "string",
            "enum": ["postgres", "postgresql", "sqlite", "mysql", "mariadb"]
        })
    }
}

impl schemars::JsonSchema for Layout {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Layout".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Layout::ALL.iter().map(|l| l.imp().name()).collect();
        schemars::json_schema!({
            "description": "How the migrations directory is laid out",
            "type": "string",
            "enum": names
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<Config, CoreError> {
        let file = Config::parse(Path::new("sluice.toml"), text)?;
        Config::resolve(PathBuf::from("/p"), Some("/p/sluice.toml".into()), file)
    }

    #[test]
    fn the_design_example_parses() {
        let text = r#"
[migrations]
dir = "db/migrations"
layout = "sluice"
filename = '^\d{13}_[a-z0-9_]+\.sql$'
dialect = "postgres"

[policy]
require_header = ["MIGRATION_ID", "TITLE"]
additive_only = false
bypass_reference = '(ADR-\d+|[A-Z]+-\d+)'
allowed_tables = []
require_rls_in_schemas = []
protected_indexes = []

[rules]
mixed-purpose = "warn"

[environments.dev]
url = "${DATABASE_URL:-sqlite://dev.db}"
allow_down = true

[environments.production]
url = "${PRODUCTION_DATABASE_URL}"
allow_down = false
approvals = { low = 0, medium = 1, high = 2 }
approvers = ["alice", "bob"]
allowed_signers = "db/allowed_signers"
lock_timeout = "5s"
statement_timeout = "15min"
lock_wait = "60s"
lock_retries = 5
scratch_url = "${SCRATCH_DATABASE_URL}"

[guard]
exceptions = ".sluice/guard-exceptions.txt"
max_exception_days = 30
[[guard.signals]]
paths = ["app/models/**/*.py"]
pattern = 'Column\(|relationship\(|__tablename__'

[startup]
paths = ["fly.toml"]
patterns = ['RUN_DB_MIGRATIONS_ON_STARTUP\s*[=:]\s*"?(1|true)']
"#;
        let c = resolve(text).unwrap();
        assert_eq!(c.migrations_dir, PathBuf::from("/p/db/migrations"));
        assert_eq!(
            c.ledger_path,
            PathBuf::from("/p/db/migrations/checksums.json")
        );
        let vars =
            |k: &str| (k == "PRODUCTION_DATABASE_URL").then(|| "postgres://u:pw@h/db".to_string());
        let o = Overrides {
            env: Some(&vars),
            ..Default::default()
        };
        let prod = c.environment(Some("production"), None, &o).unwrap();
        assert_eq!(prod.url, "postgres://u:pw@h/db");
        assert_eq!(prod.redacted_url(), "postgres://u:***@h/db");
        assert_eq!(prod.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(prod.statement_timeout, Some(Duration::from_secs(900)));
        assert!(!prod.allow_down);
        let dev = c.environment(None, None, &o).unwrap();
        assert_eq!(dev.url, "sqlite://dev.db");
        assert!(dev.allow_down);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = resolve("[migrations]\ndirr = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dirr") && e.contains("line 2"), "{e}");
        let e = resolve("[environments.prod]\nurll = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("urll"), "{e}");
        let e = resolve("[migrationz]\n").unwrap_err().to_string();
        assert!(e.contains("migrationz"), "{e}");
    }

    #[test]
    fn unknown_environment_lists_known_ones() {
        let c = resolve("[environments.dev]\nurl = \"sqlite://a.db\"\n").unwrap();
        let e = c
            .environment(Some("prod"), None, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown environment `prod`") && e.contains("dev"),
            "{e}"
        );
    }

    #[test]
    fn precedence_flag_then_env_then_file() {
        let c = resolve("[environments.dev]\nurl = \"sqlite://file.db\"\nlock_wait = \"5s\"\n")
            .unwrap();
        let vars = |k: &str| match k {
            "DATABASE_URL" => Some("sqlite://env.db".to_string()),
            "MIGRATION_TIMEOUT_SECONDS" => Some("7".to_string()),
            "SLUICE_ENV" => Some("dev".to_string()),
            _ => None,
        };
        let o = Overrides {
            env: Some(&vars),
            ..Default::default()
        };
        let e = c.environment(None, None, &o).unwrap();
        assert_eq!(
            (e.url.as_str(), e.url_source),
            ("sqlite://env.db", "DATABASE_URL")
        );
        assert_eq!(e.lock_wait, Duration::from_secs(7));
        let e = c.environment(None, Some("sqlite://flag.db"), &o).unwrap();
        assert_eq!(e.url, "sqlite://flag.db");
    }

    #[test]
    fn missing_variable_names_key_and_variable() {
        let c = resolve("[environments.prod]\nurl = \"${PROD_URL}\"\n").unwrap();
        let e = c
            .environment(Some("prod"), None, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[environments.prod] url") && e.contains("PROD_URL"),
            "{e}"
        );
    }

    #[test]
    fn bad_durations_and_dialects_are_config_errors() {
        assert!(resolve("[environments.p]\nlock_timeout = \"soon\"\n").is_err());
        assert!(resolve("[migrations]\ndialect = \"oracle\"\n").is_err());
        assert!(resolve("[migrations]\nfilename = \"(\"\n").is_err());
    }
}
