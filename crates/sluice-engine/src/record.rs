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
    pub direction: RecordDirection,
    /// Whether it ran in one transaction.
    pub transactional: bool,
    /// `applied`, `reverted`, `failed`, `dirty`, `refused`.
    pub result: RecordResult,
    /// Statements in the section.
    pub statements_total: usize,
    /// Statements that completed.
    pub statements_applied: usize,
    /// Wall time.
    pub duration_ms: u128,
    /// The error, if it failed.
    pub error: Option<String>,
}

/// Which section a record is about (serialised `up` / `down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordDirection {
    /// The up section.
    Up,
    /// The down section.
    Down,
}

/// What became of one migration in a run (serialised in lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordResult {
    /// Its up section ran and committed.
    Applied,
    /// Its down section ran and committed.
    Reverted,
    /// It failed and was rolled back: nothing of it remains.
    Failed,
    /// It stopped part-way outside a transaction.
    Dirty,
    /// It was never sent (a gate refused it).
    Refused,
}

impl RecordResult {
    /// The name as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordResult::Applied => "applied",
            RecordResult::Reverted => "reverted",
            RecordResult::Failed => "failed",
            RecordResult::Dirty => "dirty",
            RecordResult::Refused => "refused",
        }
    }
}
