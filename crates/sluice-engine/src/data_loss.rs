//! The data-loss gate (`data-loss-unplanned`): before `apply` runs, and in
//! `plan`, each pending statement that loses data (see
//! [`sluice_lint::rules::data_loss_unplanned`]) is checked against the
//! target: when its table holds rows there (asked of the relation itself,
//! `SELECT EXISTS (SELECT 1 FROM t)`), the migration's header must state its
//! data strategy.

use anyhow::{anyhow, Result};
use sluice_core::Migration;
use sluice_db::Database;
use sluice_lint::analysis::Analysis;
use sluice_lint::rules::data_loss_unplanned as rule;
use sluice_lint::{Diagnostic, Policy};
use sluice_sql::facts::ObjectName;

/// The `data-loss-unplanned` findings of `pending` (with their analyses, in
/// apply order) on the environment `env` that `target` is connected to.
/// One query asks every table a losing statement names whether it has
/// rows, and none runs when every such migration states its strategy.
pub fn gate(
    target: &mut dyn Database,
    env: &str,
    pending: &[&Migration],
    analyses: &[Analysis],
    policy: &Policy<'_>,
) -> Result<Vec<Diagnostic>> {
    let mut created = Vec::new();
    // The losses of migrations without a strategy, with why.
    let mut unplanned = Vec::new();
    for (m, analysis) in pending.iter().zip(analyses) {
        let losses = rule::losses(analysis, &mut created);
        if losses.is_empty() {
            continue;
        }
        if let Err(why) = rule::planned(m, policy) {
            unplanned.push((*m, losses, why));
        }
    }
    let mut tables: Vec<ObjectName> = Vec::new();
    for (_, losses, _) in &unplanned {
        for l in losses {
            if !tables.contains(&l.table) {
                tables.push(l.table.clone());
            }
        }
    }
    let rows = target.tables_with_rows(&tables).map_err(|e| {
        anyhow!("asking `{env}` whether the tables pending migrations empty have rows: {e}")
    })?;
    let has = |t: &ObjectName| {
        tables
            .iter()
            .position(|x| x == t)
            .and_then(|i| rows.get(i).copied().flatten())
            == Some(true)
    };
    Ok(unplanned
        .iter()
        .flat_map(|(m, losses, why)| {
            losses
                .iter()
                .filter(|l| has(&l.table))
                .map(|l| rule::finding(m, l, env, why, policy))
        })
        .collect())
}
