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
use std::collections::HashMap;

/// The `data-loss-unplanned` findings of `pending` (with their analyses, in
/// apply order) on the environment `env` that `target` is connected to.
/// One `SELECT EXISTS` per table a losing statement names, and none when
/// every such migration states its strategy.
pub fn gate(
    target: &mut dyn Database,
    env: &str,
    pending: &[&Migration],
    analyses: &[Analysis],
    policy: &Policy<'_>,
) -> Result<Vec<Diagnostic>> {
    let mut created = Vec::new();
    let mut rows: HashMap<String, Option<bool>> = HashMap::new();
    let mut out = Vec::new();
    for (m, analysis) in pending.iter().zip(analyses) {
        let losses = rule::losses(analysis, &mut created);
        if losses.is_empty() {
            continue;
        }
        let Err(why) = rule::planned(m, policy) else {
            continue;
        };
        for loss in &losses {
            let key = loss.table.to_string();
            let has = match rows.get(&key) {
                Some(h) => *h,
                None => {
                    let h = target.has_rows(&loss.table).map_err(|e| {
                        anyhow!(
                            "asking `{env}` whether {} has rows (for {} in {}): {e}",
                            loss.table,
                            loss.what,
                            m.display_path
                        )
                    })?;
                    rows.insert(key, h);
                    h
                }
            };
            if has == Some(true) {
                out.push(rule::finding(m, loss, env, &why, policy));
            }
        }
    }
    Ok(out)
}
