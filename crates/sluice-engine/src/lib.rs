//! The sluice engine: what a migration run is, independent of the CLI.
//!
//! - [`state`] joins the catalog with a database's history into per-migration
//!   states, and the gates that depend on them.
//! - [`runner`] is the run loop for `apply`, `down` and `plan`'s replay,
//!   written once over the driver traits of `sluice-db`: a transactional path
//!   and a statement-by-statement path that return the same typed outcome
//!   ([`record::MigrationRecord`] or [`runner::Stop`]), with an observer hook
//!   that `plan` uses to watch the locks each statement takes.
//! - [`approvals`] is the approvals file and the approvals gate (signature
//!   verification is the caller's).
//! - [`plan`] proves what `apply` would do on a scratch database (replay,
//!   observed locks, sizes, the rollback guide of [`rollback`]), through the
//!   same run loop, behind the [`plan::Host`] trait the CLI implements.
//! - [`secrets`] remembers the passwords of resolved URLs so that every text
//!   leaving the process can be scrubbed of them.
//! - [`verify_current`] is the start-up guard for applications: it fails when
//!   the database is behind (or ahead of) the code, and never migrates. An
//!   application that calls it links this crate and the drivers, not the CLI.

pub mod approvals;
pub mod current;
pub mod data_loss;
pub mod plan;
pub mod record;
pub mod rollback;
pub mod runner;
pub mod secrets;
pub mod size_risk;
pub mod state;

pub use current::{verify_current, verify_current_with, NotCurrent, VerifyOptions};

/// A word as a POSIX shell needs it in a suggested command (`prod eu` →
/// `'prod eu'`), so the command can be pasted as printed.
pub fn shell_word(s: &str) -> String {
    shlex::try_quote(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| format!("'{}'", s.replace('\0', "")))
}
