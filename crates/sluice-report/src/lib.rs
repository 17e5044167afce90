//! Emitters: one per output format, one file each.
//!
//! - [`text`]: rustc-style diagnostics with the source line and the span
//!   underlined, then a summary.
//! - [`json`]: one JSON object with `schema_version`, `diagnostics` and `summary`
//!   (the public shape documented in `docs/json.md`).
//! - [`sarif`]: SARIF 2.1.0 for code scanning.
//! - [`github`]: GitHub Actions workflow annotations.
//! - [`markdown`]: a findings table for pull-request comments, and the
//!   evidence pack.
//! - [`plan`]: the plan (`sluice plan`) as a typed document, with its text and
//!   Markdown renderers.
//! - [`verify`]: `sluice verify`'s findings as a typed document, with its text
//!   and Markdown renderers.
//! - [`pack`]: the evidence pack (`sluice report`) as a typed document, which
//!   `--format json` serialises and each format's renderer reads.
//!
//! Emitters never read the database or the config; they get diagnostics and a
//! way to fetch a file's text by its project-relative path.

pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod pack;
pub mod plan;
pub mod sarif;
pub mod text;
pub mod verify;

use sluice_lint::{Diagnostic, Severity};

/// Version of every JSON document sluice prints. Bumped on any incompatible
/// change to a documented shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Counts for a summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Error-severity findings.
    pub errors: usize,
    /// Warning-severity findings.
    pub warnings: usize,
    /// Migrations (files) checked.
    pub files: usize,
}

impl Summary {
    /// Counts `diags` over `files` checked files.
    pub fn of(diags: &[Diagnostic], files: usize) -> Summary {
        Summary {
            errors: diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count(),
            warnings: diags
                .iter()
                .filter(|d| d.severity == Severity::Warn)
                .count(),
            files,
        }
    }
}
