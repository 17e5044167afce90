//! Locks observed while a pending migration runs on the scratch database, through the run loop's observer hook.

use super::replay::{replay_failure, ScratchRun};
use super::*;

/// Per relation: the strongest mode newly taken, the strongest held, its kind.
pub(super) type RelLocks = (Option<LockMode>, Option<LockMode>, &'static str);

pub(super) fn relation_key(h: &HeldLock) -> (String, String) {
    (h.schema.clone(), h.name.clone())
}

/// Applies one pending migration with the run loop `apply` uses, observing
/// after each statement of a transactional migration the locks its session
/// holds (where the driver can observe locks).
pub(super) fn apply_observed(
    run: &mut ScratchRun<'_>,
    step: &Step<'_>,
    analysis: &Analysis,
) -> std::result::Result<Vec<StatementLocks>, ReplayFailure> {
    let m = step.migration;
    let facts = up_facts(analysis);
    let observable = run.db.capabilities().observable_locks;
    let texts = step.texts();
    let n = texts.len();
    let expected = |line: usize| -> Vec<ExpectedLock> {
        facts
            .get(&line)
            .map(|f| match &f.online_ddl {
                // MySQL/MariaDB: the online-DDL algorithm analysis predicts.
                Some(d) => vec![ExpectedLock {
                    relation: d.table.to_string(),
                    mode: d.label(),
                }],
                None => f
                    .locks
                    .iter()
                    .map(|(r, mode)| ExpectedLock {
                        relation: r.to_string(),
                        mode: mode.as_str(),
                    })
                    .collect(),
            })
            .unwrap_or_default()
    };
    let entry = |i: usize, observed: bool, locks: Vec<ObservedLock>, note: Option<String>| {
        let st = &step.statements[i];
        StatementLocks {
            version: m.version.to_string(),
            statement: i + 1,
            line: st.line,
            sql: first_line(texts[i]),
            observed,
            locks,
            expected: expected(st.line),
            note,
        }
    };
    let backend = run.db.backend();
    let unobserved_note = |pg: bool| {
        if pg {
            "runs outside a transaction (sluice:no-transaction): its locks last only while it runs, so they are not observed after it; expected locks are from analysis".to_string()
        } else if backend == sluice_db::Backend::Mysql {
            "MySQL: locks are not observed (each DDL statement commits itself)".to_string()
        } else {
            "SQLite: locks are not observed".to_string()
        }
    };
    let stop_to_failure = |s: Box<runner::Stop>| replay_failure(step, *s, Phase::Pending);

    if step.no_transaction || !observable {
        // Where the server has online DDL (MySQL/MariaDB), ask it which
        // algorithm each ALTER TABLE gets, on a copy of its table as it is
        // before this migration.
        let probes: Vec<_> = (0..n).map(|i| run.db.probe_online_ddl(texts[i])).collect();
        runner::run_step_observed(&mut run.db, &run.info, step, None).map_err(stop_to_failure)?;
        let note = unobserved_note(observable);
        return Ok(probes
            .into_iter()
            .enumerate()
            .map(|(i, probe)| match probe {
                Some(Ok((relation, label))) => entry(
                    i,
                    true,
                    vec![ObservedLock {
                        relation,
                        kind: "table",
                        mode: label.to_string(),
                        acquired: true,
                        created: false,
                    }],
                    Some(format!("the server accepts {label} (probed on a copy of the table as it was before this migration)")),
                ),
                Some(Err(e)) => entry(
                    i,
                    false,
                    vec![],
                    Some(format!("online DDL not probed: {e}")),
                ),
                None => entry(i, false, vec![], Some(note.clone())),
            })
            .collect());
    }

    let hs = run.history_schema.clone();
    let ours = |h: &HeldLock| !(h.schema == hs && h.name.starts_with("sluice_"));
    let existing = inspect::relations(&mut *run.db).map_err(|e| ReplayFailure {
        phase: Phase::Pending,
        version: m.version.to_string(),
        path: m.display_path.clone(),
        line: 1,
        sql: String::new(),
        error: format!("listing the scratch database's relations failed: {e}"),
    })?;
    let mut held: HashSet<(String, String, String)> = HashSet::new();
    let mut out = Vec::new();
    let mut observe =
        |i: usize, db: &mut LockGuard| -> std::result::Result<(), sluice_db::DbError> {
            let st = &step.statements[i];
            let now: Vec<HeldLock> = inspect::held_locks(&mut **db)?
                .into_iter()
                .filter(|h| ours(h))
                .collect();
            let locks = attribute(&now, &held, facts.get(&st.line).copied(), &existing);
            held = now
                .iter()
                .map(|h| (h.schema.clone(), h.name.clone(), h.mode.clone()))
                .collect();
            let note = (i + 1 < n)
                .then(|| "held until the migration commits, after its last statement".to_string());
            out.push(entry(i, true, locks, note));
            Ok(())
        };
    runner::run_step_observed(&mut run.db, &run.info, step, Some(&mut observe))
        .map_err(stop_to_failure)?;
    Ok(out)
}

/// The locks a statement is answerable for, from what its session holds `now`
/// and what it held before it (`held`): per relation, the strongest mode this
/// statement newly took, else (when the statement names the relation) the
/// strongest held.
fn attribute(
    now: &[HeldLock],
    held: &HashSet<(String, String, String)>,
    named: Option<&Facts>,
    existing: &HashSet<(String, String)>,
) -> Vec<ObservedLock> {
    let mut per_rel: BTreeMap<(String, String), RelLocks> = BTreeMap::new();
    for h in now {
        let mode = LockMode::parse(&h.mode);
        let e = per_rel
            .entry(relation_key(h))
            .or_insert((None, None, h.kind));
        if !held.contains(&(h.schema.clone(), h.name.clone(), h.mode.clone())) {
            e.0 = e.0.max(mode);
        }
        e.1 = e.1.max(mode);
    }
    let mut locks = Vec::new();
    for ((schema, name), (new, strongest, kind)) in per_rel {
        let mentioned = named.is_some_and(|f| {
            f.locks
                .iter()
                .any(|(r, _)| names_relation(r, &schema, &name))
        });
        let mode = match (new, mentioned) {
            (Some(m), _) => m,
            (None, true) => match strongest {
                Some(m) => m,
                None => continue,
            },
            (None, false) => continue,
        };
        locks.push(ObservedLock {
            relation: display_relation(&schema, &name),
            kind,
            mode: mode.as_str().to_string(),
            acquired: new.is_some(),
            created: !existing.contains(&(schema.clone(), name.clone())),
        });
    }
    locks
}
