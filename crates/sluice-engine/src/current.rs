//! The library guard for applications: fail fast at start-up when the database
//! is not at the schema the code expects, and never migrate.
//!
//! ```no_run
//! // At application start-up, before serving traffic:
//! let url = std::env::var("DATABASE_URL").unwrap();
//! // `sluice::verify_current` is the same function; an application that needs
//! // only the guard depends on `sluice-engine`, which links no CLI.
//! if let Err(e) = sluice_engine::verify_current(&url, "db/migrations") {
//!     eprintln!("refusing to start: {e}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! It reads the migrations directory (checksums only) and `sluice_history`
//! without taking the migration lock, creating tables or writing anything, so it
//! is safe to call from every instance at once.

use sluice_core::catalog::CatalogOptions;
use sluice_core::config::{Layout, DEFAULT_FILENAME};
use sluice_core::Catalog;
use std::fmt;
use std::path::Path;

/// Options for [`verify_current_with`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The filename contract (default: the native `^\d{13}_[a-z0-9_]+\.sql$`).
    pub filename: String,
    /// Postgres schema of `sluice_history` (default `public`).
    pub history_schema: String,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            filename: DEFAULT_FILENAME.into(),
            history_schema: "public".into(),
        }
    }
}

/// Why the database is not current. Versions are listed per state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotCurrent {
    /// In the directory, not applied (including failed attempts).
    pub pending: Vec<String>,
    /// Applied, but the file changed since.
    pub modified: Vec<String>,
    /// Applied, but the file is not in the directory (the code is older than the database).
    pub missing: Vec<String>,
    /// Stopped part-way; needs `sluice resolve`.
    pub dirty: Vec<String>,
    /// The guard could not find out (unreadable directory, unreachable database).
    pub error: Option<String>,
}

impl fmt::Display for NotCurrent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = &self.error {
            return write!(f, "cannot verify the database schema: {e}");
        }
        let mut parts = Vec::new();
        for (what, list, todo) in [
            (
                "pending",
                &self.pending,
                "run `sluice apply` for this environment",
            ),
            ("dirty", &self.dirty, "inspect, then `sluice resolve`"),
            (
                "modified since applied",
                &self.modified,
                "restore the files as they were applied",
            ),
            (
                "applied but missing from this build",
                &self.missing,
                "deploy code that includes them",
            ),
        ] {
            if !list.is_empty() {
                parts.push(format!(
                    "{} migration{} {what} ({}): {todo}",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" },
                    list.join(", ")
                ));
            }
        }
        write!(
            f,
            "the database schema is not current: {}",
            parts.join("; ")
        )
    }
}

impl std::error::Error for NotCurrent {}

/// Checks that every migration in `migrations_dir` is applied, unchanged, on the
/// database at `url`, and that the database has nothing the directory lacks.
/// Never migrates. Relative SQLite paths resolve against the working directory.
pub fn verify_current(url: &str, migrations_dir: impl AsRef<Path>) -> Result<(), NotCurrent> {
    verify_current_with(url, migrations_dir, &VerifyOptions::default())
}

/// [`verify_current`] with options.
pub fn verify_current_with(
    url: &str,
    migrations_dir: impl AsRef<Path>,
    opts: &VerifyOptions,
) -> Result<(), NotCurrent> {
    let fail = |e: String| NotCurrent {
        error: Some(sluice_core::redact::scrub(
            &e,
            &sluice_core::redact::passwords(url),
        )),
        ..Default::default()
    };
    let dir = migrations_dir.as_ref();
    let filename = regex::Regex::new(&opts.filename).map_err(|e| fail(e.to_string()))?;
    let catalog = Catalog::load(&CatalogOptions {
        dir,
        root: dir,
        filename: &filename,
        ignore: &[dir.join("checksums.json")],
        layout: Layout::Sluice,
        cache: None,
    })
    .map_err(|e| fail(e.to_string()))?;
    let cwd = std::env::current_dir().map_err(|e| fail(e.to_string()))?;
    let mut db = sluice_db::connect(
        url,
        &sluice_db::ConnectOptions {
            root: &cwd,
            history_schema: &opts.history_schema,
        },
    )
    .map_err(|e| fail(e.to_string()))?;
    let history =
        crate::state::load_history(&mut *db, &catalog).map_err(|e| fail(e.to_string()))?;
    drop(db);
    let mut out = NotCurrent::default();
    for e in crate::state::join(&catalog, &history) {
        let v = e.version.to_string();
        match e.state {
            crate::state::State::Pending | crate::state::State::Failed => out.pending.push(v),
            crate::state::State::Modified => out.modified.push(v),
            crate::state::State::Missing => out.missing.push(v),
            crate::state::State::Dirty => out.dirty.push(v),
            _ => {}
        }
    }
    if out == NotCurrent::default() {
        Ok(())
    } else {
        Err(out)
    }
}
