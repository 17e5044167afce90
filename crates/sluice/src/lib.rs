//! sluice: database migrations as enforced policy.
//!
//! This crate is the `sluice` binary and its command modules. The pipeline lives
//! in the library crates: `sluice-core` (catalog, ledger, config), `sluice-sql`
//! (statement splitting), `sluice-lint` (rules), `sluice-db` (drivers, lock,
//! history), `sluice-report` (output formats).
//!
//! - [`cli`] parses arguments and maps every outcome to an exit code in one place
//!   (0 ok, 1 findings or blocked, 2 error).
//! - `project` resolves configuration, environment and catalog once per command.
//! - `state` joins the catalog with a database's history into per-migration
//!   states and the gates that depend on them.
//! - `runner` is the run loop for `apply` and `down`, written once over the
//!   driver traits.
//! - `evidence` writes `.artifacts/deploy/<sha>/migration.json`.
//!
//! For applications, [`verify_current`] is the start-up guard: it fails when the
//! database is behind (or ahead of) the code, and never migrates.

mod approvals;
pub mod cli;
mod commands;
mod current;
mod evidence;
mod gate;
mod interrupt;
mod lint_cache;
mod output;
mod plan;
mod project;
mod risk;
mod rollback;
mod runner;
mod secrets;
mod session;
mod state;

pub use current::{verify_current, verify_current_with, NotCurrent, VerifyOptions};
