//! The core model of sluice: what a migration is, how it is identified and
//! checksummed, how a source tree holds migrations ([`layout`]: one
//! `MigrationLayout` per format), how the ledger pins the directory, how
//! configuration is resolved, and how secrets are redacted ([`redact`]).
//!
//! The parts fit together in pipeline order:
//!
//! - [`config`] reads `sluice.toml` (a serde file struct with defaults) and resolves
//!   it with flags and environment variables into one [`config::Config`]; an
//!   [`config::Environment`] is one resolved `[environments.NAME]` table.
//! - [`catalog`] reads a migrations directory into [`migration::Migration`]s, each
//!   with its [`version::Version`], [`checksum::Checksum`], [`header::Header`] and
//!   up/down sections. Files that break the directory contract are reported as
//!   [`catalog::CatalogIssue`]s, not errors, so `check` can report them all.
//! - [`tree`] is where a layout reads files from: the working directory, or a
//!   git commit (`guard` reads head without extracting it).
//! - [`ledger`] is `checksums.json`: per-file checksums plus a chained hash that
//!   makes edits, insertions, reorders and deletions visible.
//! - [`redact`], [`duration`], [`clock`] and [`interpolate`] are the small pieces
//!   every other crate needs to agree on.
//!
//! Nothing here touches a database.

pub mod alembic;
pub mod cache;
pub mod catalog;
pub mod checksum;
pub mod clock;
pub mod config;
pub mod duration;
pub mod error;
pub mod header;
pub mod interpolate;
pub mod layout;
pub mod ledger;
pub mod migration;
pub mod redact;
pub mod tree;
pub mod version;

pub use catalog::{Catalog, CatalogIssue};
pub use checksum::Checksum;
pub use config::{Config, Environment};
pub use error::CoreError;
pub use ledger::Ledger;
pub use migration::Migration;
pub use version::Version;

/// The version of the sluice tool, recorded in history rows and evidence.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
