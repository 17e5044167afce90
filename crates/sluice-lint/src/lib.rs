//! Rules and diagnostics.
//!
//! - [`registry`] is the one table of every rule id sluice knows, with its default
//!   severity, risk and group (as ruff's `codes.rs` does). Configuration overrides
//!   are validated against it, so a misspelled id in `[rules]` is an error.
//! - [`Diagnostic`] is plain data: rule, severity, location, message, help.
//! - [`rules`] holds one file per rule. This version implements the directory and
//!   file-contract rules; [`lint_contract`] runs them all over a [`Context`].

pub mod diagnostic;
pub mod registry;
pub mod rules;

pub use diagnostic::{Diagnostic, Severity};
pub use registry::{RuleInfo, RULES};
pub use rules::{lint_contract, Context};
