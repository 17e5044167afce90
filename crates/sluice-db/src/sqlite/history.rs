//! `sluice_history` and `sluice_audit` in a SQLite database: sluice's own
//! [`History`].

use crate::history::{row_values, unqualified, HISTORY_COLUMNS};
use crate::{AuditEvent, DbError, Executor, History, HistoryRow};

/// sluice's history tables in a SQLite database.
#[derive(Debug, Clone, Copy)]
pub struct SluiceHistory;

impl History for SluiceHistory {
    fn name(&self) -> &str {
        "sluice_history"
    }

    fn exists(&self, ex: &mut dyn Executor) -> Result<bool, DbError> {
        let rows = ex.query_rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sluice_history'",
        )?;
        Ok(!rows.is_empty())
    }

    fn ensure(&self, ex: &mut dyn Executor) -> Result<(), DbError> {
        ex.run_alone(
                "CREATE TABLE IF NOT EXISTS sluice_history (
                    version TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('applied','failed','dirty','adopted','baseline')),
                    applied_at TEXT NOT NULL,
                    applied_by TEXT NOT NULL,
                    environment TEXT NOT NULL,
                    approvals TEXT NOT NULL DEFAULT '[]',
                    statements_total INTEGER NOT NULL,
                    statements_applied INTEGER NOT NULL,
                    execution_ms INTEGER NOT NULL,
                    tool_version TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    error TEXT
                )",
        )?;
        ex.run_alone(
            "CREATE TABLE IF NOT EXISTS sluice_audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    event TEXT NOT NULL,
                    version TEXT,
                    checksum TEXT,
                    environment TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    reason TEXT,
                    details TEXT NOT NULL DEFAULT '{}',
                    tool_version TEXT NOT NULL
                )",
        )
    }

    fn load(&self, ex: &mut dyn Executor) -> Result<Vec<HistoryRow>, DbError> {
        unqualified::load(self, ex)
    }

    fn upsert_sql(&self, row: &HistoryRow) -> String {
        format!(
            "INSERT OR REPLACE INTO sluice_history ({HISTORY_COLUMNS}) VALUES {}",
            row_values(row, &crate::quote_literal, &|s| s, &|s| s, &|r| {
                format!(
                    "CAST(ROUND((julianday('now') - julianday({})) * 86400000) AS INTEGER)",
                    crate::quote_literal(&r.applied_at)
                )
            })
        )
    }

    fn delete_sql(&self, version: &str) -> String {
        unqualified::delete_sql(version, &crate::quote_literal)
    }

    fn audit_sql(&self, ev: &AuditEvent) -> String {
        unqualified::audit_sql(ev, &crate::quote_literal)
    }

    fn load_audit(&self, ex: &mut dyn Executor) -> Result<Vec<AuditEvent>, DbError> {
        unqualified::load_audit(self, ex)
    }
}
