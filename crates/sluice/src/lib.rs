//! sluice: database migrations as enforced policy.
//!
//! This crate is the `sluice` binary and its command modules: each resolves its
//! inputs, calls the engine and renders the result. The pipeline lives in the
//! library crates: `sluice-core` (catalog, ledger, config), `sluice-sql`
//! (statement splitting and facts), `sluice-lint` (rules), `sluice-db`
//! (drivers, lock, history, introspection), `sluice-schema` (the schema model),
//! `sluice-engine` (state, gates, the run loop, `verify_current`),
//! `sluice-report` (output formats).
//!
//! - [`cli`] parses arguments and maps every outcome to an exit code in one place
//!   (0 ok, 1 findings or blocked, 2 error).
//! - `project` resolves configuration, environment and catalog once per command.
//! - `evidence` writes `.artifacts/deploy/<sha>/migration.json`.
//!
//! For applications, [`verify_current`] is the start-up guard: it fails when the
//! database is behind (or ahead of) the code, and never migrates.

mod approvals;
pub mod cli;
mod commands;
mod evidence;
mod gate;
mod interrupt;
mod lint_cache;
mod output;
mod progress;
mod project;
mod risk;
mod session;

pub use sluice_engine::{verify_current, verify_current_with, NotCurrent, VerifyOptions};

// The engine's modules, under the names the commands use.
use sluice_engine::{plan, runner, secrets, state};
