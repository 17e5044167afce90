//! Size estimates of the relations pending statements lock.

use super::*;
use sluice_sql::facts::Algorithm;

/// Size estimates for the relations pending statements lock.
pub(super) fn sizes(
    target: &mut dyn Database,
    pending: &[&Migration],
    analyses: &[Analysis],
) -> Result<Vec<SizeEstimate>> {
    let mut uses: BTreeMap<String, (ObjectName, Vec<SizeUse>)> = BTreeMap::new();
    for (m, analysis) in pending.iter().zip(analyses) {
        for s in analysis.statements.iter().filter(|s| !s.down) {
            let Ok(f) = &s.facts else { continue };
            for (rel, mode) in &f.locks {
                let w = f
                    .actions
                    .iter()
                    .filter(|a| a.table().is_some_and(|t| t.same_as(rel)))
                    .map(work)
                    .max()
                    .unwrap_or(Work::Lock);
                // MySQL/MariaDB: the online-DDL algorithm says what happens.
                let (w, mode) = match &f.online_ddl {
                    Some(d) if d.table.same_as(rel) => (
                        match d.algorithm {
                            Algorithm::Copy => Work::Rewrite,
                            Algorithm::Inplace => Work::Scan,
                            Algorithm::Instant => Work::Lock,
                        },
                        d.label(),
                    ),
                    _ => (w, mode.as_str()),
                };
                let key = regclass_name(rel);
                uses.entry(key)
                    .or_insert_with(|| (rel.clone(), vec![]))
                    .1
                    .push(SizeUse {
                        version: m.version.to_string(),
                        line: s.stmt.line,
                        work: w,
                        mode,
                    });
            }
        }
    }
    let names: Vec<String> = uses.keys().cloned().collect();
    let found = inspect::relation_sizes(target, &names)
        .map_err(|e| anyhow!("reading size estimates on the target: {e}"))?;
    let mut out: Vec<SizeEstimate> = found
        .into_iter()
        .filter_map(|r| {
            let (_, statements) = uses.remove(&r.asked)?;
            Some(SizeEstimate {
                relation: display_relation(&r.schema, &r.name),
                rows: r.rows,
                bytes: r.bytes,
                size: inspect::pretty_bytes(r.bytes),
                statements,
            })
        })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.relation.cmp(&b.relation)));
    Ok(out)
}

pub(super) use crate::size_risk::regclass_name;
