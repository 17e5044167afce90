//! Risk in the team's terms, by size: `[risk] large_table_rows = N` lifts a
//! migration's computed risk one level (Low → Medium → High) when one of its
//! statements takes a lock that blocks writes on a table the target holds at
//! least N rows in (planner estimates: `pg_class.reltuples`, InnoDB's
//! `TABLE_ROWS`; a table never analysed counts as small). The same lift
//! applies wherever the target is at hand: `plan`, `apply`'s approvals and
//! `report --env`; `check`, which has no target, judges without it.

use anyhow::{anyhow, Result};
use sluice_core::header::RiskLevel;
use sluice_db::{inspect, Database};
use sluice_lint::analysis::Analysis;
use sluice_sql::facts::{Action, ObjectName};
use std::collections::HashMap;

/// The tables of at least `threshold` rows on a target, among those pending
/// statements lock.
#[derive(Debug, Clone, Default)]
pub struct LargeTables {
    threshold: i64,
    /// `to_regclass`-style name → estimated rows.
    rows: HashMap<String, i64>,
}

/// A name as `to_regclass` reads it.
pub fn regclass_name(o: &ObjectName) -> String {
    use sluice_schema::ddl::ident;
    match &o.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&o.name)),
        None => ident(&o.name),
    }
}

/// The relations an up section locks against writes that it did not create
/// itself earlier in the section, with the statement's line.
fn write_locked(analysis: &Analysis) -> Vec<(usize, &ObjectName)> {
    let mut created: Vec<&ObjectName> = Vec::new();
    let mut out = Vec::new();
    for s in analysis.statements.iter().filter(|s| !s.down) {
        let Ok(f) = &s.facts else { continue };
        for (rel, mode) in &f.locks {
            if mode.blocks_writes() && !created.iter().any(|c| c.same_as(rel)) {
                out.push((s.stmt.line, rel));
            }
        }
        for a in &f.actions {
            if let Action::CreateTable { table, .. } = a {
                created.push(table);
            }
        }
    }
    out
}

impl LargeTables {
    /// Reads the size estimates of the tables `analyses` lock against
    /// writes, when `threshold` is set (one query).
    pub fn read(
        db: &mut dyn Database,
        threshold: Option<i64>,
        analyses: &[Analysis],
    ) -> Result<Option<LargeTables>> {
        let Some(threshold) = threshold else {
            return Ok(None);
        };
        let mut names: Vec<String> = analyses
            .iter()
            .flat_map(write_locked)
            .map(|(_, rel)| regclass_name(rel))
            .collect();
        names.sort();
        names.dedup();
        let rows = inspect::relation_sizes(db, &names)
            .map_err(|e| anyhow!("reading table sizes for [risk] large_table_rows: {e}"))?
            .into_iter()
            .filter_map(|r| Some((r.asked, r.rows?)))
            .filter(|(_, n)| *n >= threshold)
            .collect();
        Ok(Some(LargeTables { threshold, rows }))
    }

    /// `risk` lifted one level when `analysis` locks a large table against
    /// writes, with why.
    pub fn lift(&self, analysis: &Analysis, risk: RiskLevel) -> (RiskLevel, Option<String>) {
        let hit = write_locked(analysis)
            .into_iter()
            .find_map(|(line, rel)| Some((line, rel, *self.rows.get(&regclass_name(rel))?)));
        match hit {
            Some((line, rel, rows)) => (
                match risk {
                    RiskLevel::Low => RiskLevel::Medium,
                    _ => RiskLevel::High,
                },
                Some(format!(
                    "line {line} locks {rel} (~{rows} rows, at least large_table_rows = {})",
                    self.threshold
                )),
            ),
            None => (risk, None),
        }
    }
}
