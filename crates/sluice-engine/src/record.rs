//! What one migration did in a run (the evidence record's per-migration part).

use serde::Serialize;

/// What one migration did in a run.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationRecord {
    /// Version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Checksum of the file.
    pub checksum: String,
    /// `up` or `down`.
    pub direction: &'static str,
    /// Whether it ran in one transaction.
    pub transactional: bool,
    /// `applied`, `reverted`, `failed`, `dirty`.
    pub result: &'static str,
    /// Statements in the section.
    pub statements_total: usize,
    /// Statements that completed.
    pub statements_applied: usize,
    /// Wall time.
    pub duration_ms: u128,
    /// The error, if it failed.
    pub error: Option<String>,
}
