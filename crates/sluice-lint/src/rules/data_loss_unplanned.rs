//! `data-loss-unplanned` (error): a statement that loses data (DROP TABLE,
//! DROP COLUMN, TRUNCATE, a column type change, DELETE or UPDATE without
//! WHERE) on a table that holds rows on the target, in a migration whose
//! header states no data strategy. Raised by `plan` and `apply`, which ask
//! the target whether the table has rows (`SELECT EXISTS (SELECT 1 FROM t)`:
//! read from the relation, never from planner estimates); `check` has no
//! target and never raises it.
//!
//! The strategy is the header field `[policy] data_loss_strategy` names
//! (default `DATA_STRATEGY`; empty turns the gate off); its value must cite
//! a reference matching `[policy] bypass_reference`, as a destructive bypass
//! does. A table created earlier in the pending migrations, or absent on the
//! target, is empty there; a type change cannot be told from a widening
//! without the column's types, so every type change of a non-empty table
//! needs the strategy.
//!
//! **Why.** The playbooks' stop condition: a change that would drop data in a
//! non-empty table without an explicit data-migration plan stops the
//! deploy. The bypass comment says the drop is intended; the strategy says
//! where the data went (archived, backfilled elsewhere, or not needed, and
//! who decided).
//!
//! **Example.** `DROP TABLE legacy_orders;  -- CI:DESTRUCTIVE_OK ADR-015`
//! when `legacy_orders` holds rows on production and the header has no
//! `DATA_STRATEGY`.
//!
//! **Instead.** Copy the data out first (an earlier migration or a job), then
//! add `-- DATA_STRATEGY: archived to legacy_orders_2024 by OPS-88; ADR-015`
//! to the header.

use super::define::*;
use crate::analysis::Analysis;
use crate::{Diagnostic, Policy};
use sluice_core::Migration;
use sluice_sql::facts::{Action, ObjectName};

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "data-loss-unplanned",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "data lost from a non-empty table without a data strategy",
    check: Check::Raised,
};

/// A statement of an up section that loses the rows (or values) of a table
/// that exists before the migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// 1-based line of the statement.
    pub line: usize,
    /// 1-based column of the statement.
    pub column: usize,
    /// The table whose data it loses.
    pub table: ObjectName,
    /// What it does, for people (`DROP TABLE legacy_orders`).
    pub what: String,
}

/// The statements of `analysis`'s up section that lose data of tables the
/// migration did not create (tables in `created` were created by earlier
/// pending migrations: they are skipped too, and this migration's own
/// creations are added to it).
pub fn losses(analysis: &Analysis, created: &mut Vec<ObjectName>) -> Vec<Loss> {
    let mut out = Vec::new();
    for s in analysis.statements.iter().filter(|s| !s.down) {
        let Ok(f) = &s.facts else { continue };
        for a in &f.actions {
            if let Action::CreateTable { table, .. } = a {
                created.push(table.clone());
                continue;
            }
            let what = match a {
                Action::DropTable { table } => format!("DROP TABLE {table}"),
                Action::Truncate { table } => format!("TRUNCATE {table}"),
                Action::DropColumn { table, column } => format!("DROP COLUMN {table}.{column}"),
                Action::AlterColumnType { table, column } => {
                    format!("a type change of {table}.{column}")
                }
                Action::Delete {
                    table,
                    has_where: false,
                } => format!("DELETE without WHERE from {table}"),
                Action::Update {
                    table,
                    has_where: false,
                } => format!("UPDATE without WHERE of {table}"),
                _ => continue,
            };
            let table = a.table().expect("each of these names its table");
            if created.iter().any(|c| c.same_as(table)) {
                continue;
            }
            out.push(Loss {
                line: s.stmt.line,
                column: s.stmt.column,
                table: table.clone(),
                what,
            });
        }
    }
    out
}

/// Whether the migration's header states its data strategy: the field
/// `[policy] data_loss_strategy` names, citing a reference that matches
/// `bypass_reference`. Err says what is missing. Ok when the gate is off.
pub fn planned(m: &Migration, p: &Policy<'_>) -> Result<(), String> {
    let field = p.policy.data_loss_strategy.trim();
    if field.is_empty() {
        return Ok(());
    }
    match m.header.value(field).map(str::trim) {
        None | Some("") => Err(format!("the header has no {field}")),
        Some(v) if !p.bypass.is_match(v) => Err(format!(
            "its {field} cites no reference matching `{}`",
            p.bypass.as_str()
        )),
        Some(_) => Ok(()),
    }
}

/// The finding for `loss` in `m` on environment `env`.
pub fn finding(m: &Migration, loss: &Loss, env: &str, why: &str, p: &Policy<'_>) -> Diagnostic {
    let field = p.policy.data_loss_strategy.trim();
    Diagnostic::new(
        crate::RuleId::DataLossUnplanned,
        &m.display_path,
        loss.line,
        loss.column,
        format!(
            "{} loses data: {} holds rows on `{env}`, and {why}",
            loss.what, loss.table
        ),
        format!(
            "keep the data first (copy it out in an earlier migration or a job), then add `-- {field}: <where the data goes, or why it may go> <reference such as ADR-015>` to the header and run `sluice hash`"
        ),
    )
}
