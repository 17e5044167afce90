//! `sluice_history` and `sluice_audit` on Postgres, in the schema the
//! environment names (`history_schema`): sluice's own [`History`].

use crate::history::{
    audit_from_text, audit_values, row_from_text, row_values, AUDIT_COLUMNS, HISTORY_COLUMNS,
};
use crate::{quote_ident, quote_literal, AuditEvent, DbError, Executor, History, HistoryRow};

/// sluice's history tables in one Postgres schema.
#[derive(Debug, Clone)]
pub struct SluiceHistory {
    /// The schema holding them.
    pub schema: String,
}

impl SluiceHistory {
    fn table(&self, name: &str) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(name))
    }
}

impl History for SluiceHistory {
    fn name(&self) -> &str {
        "sluice_history"
    }

    fn exists(&self, ex: &mut dyn Executor) -> Result<bool, DbError> {
        let sql = format!(
            "SELECT to_regclass({}) IS NOT NULL",
            quote_literal(&self.table("sluice_history"))
        );
        Ok(ex
            .query_rows(&sql)?
            .first()
            .and_then(|r| r[0].clone())
            .as_deref()
            == Some("t"))
    }

    fn ensure(&self, ex: &mut dyn Executor) -> Result<(), DbError> {
        let schema = quote_ident(&self.schema);
        let history = self.table("sluice_history");
        let audit = self.table("sluice_audit");
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {history} (
                version text PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                status text NOT NULL CHECK (status IN ('applied','failed','dirty','adopted','baseline')),
                applied_at timestamptz NOT NULL,
                applied_by text NOT NULL,
                environment text NOT NULL,
                approvals jsonb NOT NULL DEFAULT '[]',
                statements_total integer NOT NULL,
                statements_applied integer NOT NULL,
                execution_ms bigint NOT NULL,
                tool_version text NOT NULL,
                run_id text NOT NULL,
                error text
            );
            CREATE TABLE IF NOT EXISTS {audit} (
                id bigserial PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                event text NOT NULL,
                version text,
                checksum text,
                environment text NOT NULL,
                actor text NOT NULL,
                run_id text NOT NULL,
                outcome text NOT NULL,
                reason text,
                details jsonb NOT NULL DEFAULT '{{}}',
                tool_version text NOT NULL
            );"
        );
        ex.run_alone(&sql)
    }

    fn load(&self, ex: &mut dyn Executor) -> Result<Vec<HistoryRow>, DbError> {
        if !self.exists(ex)? {
            return Ok(vec![]);
        }
        let cols = HISTORY_COLUMNS.replace(
            "applied_at",
            "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
        );
        let sql = format!("SELECT {cols} FROM {}", self.table("sluice_history"));
        ex.query_rows(&sql)?
            .iter()
            .map(|c| row_from_text(c))
            .collect()
    }

    fn upsert_sql(&self, row: &HistoryRow) -> String {
        let updates = HISTORY_COLUMNS
            .split(", ")
            .filter(|c| *c != "version")
            .map(|c| format!("{c} = EXCLUDED.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO {} ({HISTORY_COLUMNS}) VALUES {} ON CONFLICT (version) DO UPDATE SET {updates}",
            self.table("sluice_history"),
            row_values(
                row,
                &crate::quote_literal,
                &|s| format!("{s}::timestamptz"),
                &|s| format!("{s}::jsonb"),
                // now() is the transaction's start: the migration's own time.
                &|_| "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint".into(),
            )
        )
    }

    fn delete_sql(&self, version: &str) -> String {
        format!(
            "DELETE FROM {} WHERE version = {}",
            self.table("sluice_history"),
            quote_literal(version)
        )
    }

    fn audit_sql(&self, ev: &AuditEvent) -> String {
        format!(
            "INSERT INTO {} ({AUDIT_COLUMNS}) VALUES {}",
            self.table("sluice_audit"),
            audit_values(ev, &crate::quote_literal, &|s| format!("{s}::jsonb"))
        )
    }

    fn load_audit(&self, ex: &mut dyn Executor) -> Result<Vec<AuditEvent>, DbError> {
        if !self.exists(ex)? {
            return Ok(vec![]);
        }
        let cols = AUDIT_COLUMNS.replace("details", "details::text");
        let sql = format!(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), {cols} FROM {} ORDER BY id",
            self.table("sluice_audit")
        );
        Ok(ex
            .query_rows(&sql)?
            .iter()
            .map(|c| audit_from_text(c))
            .collect())
    }
}
