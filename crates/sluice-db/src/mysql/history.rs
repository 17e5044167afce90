//! `sluice_history` and `sluice_audit` in a MySQL or MariaDB database (the
//! connection's database): sluice's own [`History`], with the same columns
//! and meaning as on Postgres. Timestamps are RFC 3339 text (UTC), the JSON
//! columns `LONGTEXT`.

use super::quote_literal;
use crate::history::{row_values, unqualified, HISTORY_COLUMNS};
use crate::{AuditEvent, DbError, Executor, History, HistoryRow};

/// sluice's history tables in a MySQL database.
#[derive(Debug, Clone, Copy)]
pub struct SluiceHistory;

impl History for SluiceHistory {
    fn name(&self) -> &str {
        "sluice_history"
    }

    fn exists(&self, ex: &mut dyn Executor) -> Result<bool, DbError> {
        let rows = ex.query_rows(
            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sluice_history'",
        )?;
        Ok(!rows.is_empty())
    }

    fn ensure(&self, ex: &mut dyn Executor) -> Result<(), DbError> {
        ex.run_alone(
            "CREATE TABLE IF NOT EXISTS sluice_history (
                version VARCHAR(255) NOT NULL PRIMARY KEY,
                name VARCHAR(1024) NOT NULL,
                checksum VARCHAR(128) NOT NULL,
                status VARCHAR(16) NOT NULL CHECK (status IN ('applied','failed','dirty','adopted','baseline')),
                applied_at VARCHAR(40) NOT NULL,
                applied_by VARCHAR(1024) NOT NULL,
                environment VARCHAR(255) NOT NULL,
                approvals LONGTEXT NOT NULL,
                statements_total BIGINT NOT NULL,
                statements_applied BIGINT NOT NULL,
                execution_ms BIGINT NOT NULL,
                tool_version VARCHAR(64) NOT NULL,
                run_id VARCHAR(128) NOT NULL,
                error LONGTEXT
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        )?;
        ex.run_alone(
            "CREATE TABLE IF NOT EXISTS sluice_audit (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                at VARCHAR(40) NOT NULL DEFAULT (CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')),
                event VARCHAR(64) NOT NULL,
                version VARCHAR(255),
                checksum VARCHAR(128),
                environment VARCHAR(255) NOT NULL,
                actor VARCHAR(1024) NOT NULL,
                run_id VARCHAR(128) NOT NULL,
                outcome VARCHAR(32) NOT NULL,
                reason LONGTEXT,
                details LONGTEXT NOT NULL,
                tool_version VARCHAR(64) NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        )
    }

    fn load(&self, ex: &mut dyn Executor) -> Result<Vec<HistoryRow>, DbError> {
        unqualified::load(self, ex)
    }

    fn upsert_sql(&self, row: &HistoryRow) -> String {
        format!(
            "REPLACE INTO sluice_history ({HISTORY_COLUMNS}) VALUES {}",
            row_values(row, &quote_literal, &|s| s, &|s| s, &|r| {
                // Milliseconds since the row's applied_at (UTC).
                format!(
                    "GREATEST(0, CAST(TIMESTAMPDIFF(MICROSECOND, STR_TO_DATE(LEFT({}, 23), '%Y-%m-%dT%H:%i:%s.%f'), UTC_TIMESTAMP(6)) / 1000 AS SIGNED))",
                    quote_literal(&r.applied_at)
                )
            })
        )
    }

    fn delete_sql(&self, version: &str) -> String {
        unqualified::delete_sql(version, &quote_literal)
    }

    fn audit_sql(&self, ev: &AuditEvent) -> String {
        unqualified::audit_sql(ev, &quote_literal)
    }

    fn load_audit(&self, ex: &mut dyn Executor) -> Result<Vec<AuditEvent>, DbError> {
        unqualified::load_audit(self, ex)
    }
}
