//! Rules and diagnostics.
//!
//! - [`registry`] is the one table of every rule id sluice knows, with its default
//!   severity, risk and group (as ruff's `codes.rs` does); the [`RuleId`] enum is
//!   generated from it, so rules name themselves by type. Configuration
//!   overrides are validated against it, so a misspelled id in `[rules]` is an
//!   error.
//! - [`Diagnostic`] is plain data: rule, severity, location, message, help, and
//!   the byte span it is about and an optional fix.
//! - [`analysis`] splits a migration into statements and parses them into facts.
//! - [`engine`] runs the statement and migration rules, applies destructive
//!   bypasses and `sluice:allow` suppressions, and computes the migration's risk.
//! - [`rules`] holds one file per rule; [`lint_contract`] runs the directory
//!   contract rules over a [`Context`].

pub mod alembic;
pub mod analysis;
pub mod deploy;
pub mod diagnostic;
pub mod docs;
pub mod engine;
pub mod history;
pub mod registry;
pub mod rules;

pub use diagnostic::{Diagnostic, Severity};
pub use engine::{lint_migration, lint_migration_in, MigrationLint, Policy};
pub use registry::{RuleId, RuleInfo, RULES};
pub use rules::{lint_contract, Context, RULE_SOURCES};
