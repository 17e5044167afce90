//! One place that turns a project's configuration into the lint policy, and a
//! migration into its diagnostics and computed risk. `check` reports them; the
//! approvals gate needs the same risk, so both call here.

use crate::project::Project;
use anyhow::Result;
use sluice_core::Migration;
use sluice_lint::analysis::Analysis;
use sluice_lint::{MigrationLint, Policy};

/// Whether every environment considered sets `lock_timeout`: the selected one
/// with `--env`, else every environment in sluice.toml. Production-like
/// environments have one by default (`DEFAULT_PRODUCTION_LOCK_TIMEOUT`).
fn lock_timeout_everywhere(project: &Project) -> bool {
    let envs = &project.config.file.environments;
    let sets = |name: &str, e: &sluice_core::config::EnvironmentSection| {
        e.lock_timeout.is_some()
            || e.production
                .unwrap_or_else(|| sluice_core::config::is_production_name(name))
    };
    match &project.global.env {
        Some(name) => envs.get(name).is_some_and(|e| sets(name, e)),
        None => !envs.is_empty() && envs.iter().all(|(n, e)| sets(n, e)),
    }
}

/// Whether every environment considered sets `statement_timeout`.
fn statement_timeout_everywhere(project: &Project) -> bool {
    let envs = &project.config.file.environments;
    match &project.global.env {
        Some(name) => envs
            .get(name)
            .is_some_and(|e| e.statement_timeout.is_some()),
        None => !envs.is_empty() && envs.values().all(|e| e.statement_timeout.is_some()),
    }
}

/// `[domains.<name>]`, compiled.
fn domains(project: &Project) -> Result<Vec<sluice_lint::rules::domain_undeclared::Domain>> {
    project
        .config
        .file
        .domains
        .iter()
        .map(|(name, d)| {
            let reference = match &d.reference {
                Some(r) => Some(regex::Regex::new(r).map_err(|e| {
                    anyhow::anyhow!(
                        "invalid configuration: [domains.{name}] reference is not a valid pattern: {e}"
                    )
                })?),
                None => None,
            };
            Ok(sluice_lint::rules::domain_undeclared::Domain {
                name: name.clone(),
                header: d.header.clone(),
                objects: sluice_lint::rules::domain_undeclared::Domain::objects_of(&d.objects),
                reference,
            })
        })
        .collect()
}

/// The lint policy of a project.
pub fn policy(project: &Project) -> Result<Policy<'_>> {
    let section = &project.config.file.policy;
    Ok(Policy {
        dialect: project.config.dialect,
        policy: section,
        bypass: project.config.bypass.clone(),
        lock_timeout_everywhere: lock_timeout_everywhere(project),
        statement_timeout_everywhere: statement_timeout_everywhere(project),
        risk_overrides: project.risk_overrides.clone(),
        domains: domains(project)?,
    })
}

/// The lint policy for a run against one resolved environment (`plan`): the
/// migration runs with that environment's `lock_timeout`, so
/// `missing-lock-timeout` judges that one alone.
pub fn policy_for<'p>(project: &'p Project, env: &sluice_core::Environment) -> Result<Policy<'p>> {
    let mut p = policy(project)?;
    p.lock_timeout_everywhere = env.lock_timeout.is_some();
    p.statement_timeout_everywhere = env.statement_timeout.is_some();
    Ok(p)
}

/// `[risk] large_table_rows`: lifts each lint's risk where its migration
/// (`analyses`, in the lints' order) locks a table that holds at least that
/// many rows on `db` against writes. One size query; none when the key is
/// not set.
pub fn lift_for_size(
    project: &Project,
    db: &mut dyn sluice_db::Database,
    analyses: &[Analysis],
    lints: &mut [MigrationLint],
) -> Result<()> {
    if let Some(large) =
        sluice_engine::size_risk::LargeTables::read(db, project.large_table_rows, analyses)?
    {
        for (a, l) in analyses.iter().zip(lints) {
            l.risk = large.lift(a, l.risk).0;
        }
    }
    Ok(())
}

/// Splits and parses one migration in the project's layout and dialect.
pub fn analyze(project: &Project, m: &Migration) -> Analysis {
    sluice_lint::analysis::analyze_body(m, project.config.dialect)
}

/// Analyses and lints one migration on its own, without its history (a
/// migration that is not in the catalog yet, such as one `adopt` writes).
pub fn lint(project: &Project, policy: &Policy<'_>, m: &Migration) -> MigrationLint {
    sluice_lint::lint_migration(m, &analyze(project, m), policy)
}

/// The hash of each migration's history (the migrations before it, in
/// order): `before[i]` for `migrations[i]`.
fn history_hashes(migrations: &[Migration]) -> Vec<String> {
    let mut out = Vec::with_capacity(migrations.len());
    let mut chain = String::new();
    for m in migrations {
        out.push(chain.clone());
        chain = sluice_core::Checksum::of(
            format!("{chain}|{}|{}", m.checksum.to_hex(), m.display_path).as_bytes(),
        )
        .to_hex();
    }
    out
}

/// Lints the catalog's migrations in apply order, each against the schema
/// model of the history before it (see `sluice_lint::history`), and returns
/// the lints of those `wanted` selects. Every migration folds into the model
/// whether wanted or not.
///
/// Unchanged migrations come from the analysis cache. The others are parsed
/// on all cores, then judged on all cores too: the history is cut into one
/// run of migrations per core, the model at the start of each run is folded
/// from the effects before it (cheap), and each core judges its run in
/// order.
pub fn lint_history<'m>(
    project: &Project,
    policy: &Policy<'_>,
    migrations: &'m [Migration],
    wanted: &dyn Fn(&Migration) -> bool,
) -> Result<Vec<(&'m Migration, MigrationLint)>> {
    use crate::lint_cache::{Cached, LintCache};
    use sluice_lint::history::{Effects, Model};
    let all_wanted = migrations.iter().all(wanted);
    let mut cache = LintCache::load(project, policy, all_wanted);
    let before = history_hashes(migrations);
    let n = migrations.len();
    let mut lints: Vec<Option<MigrationLint>> = (0..n).map(|_| None).collect();
    // What must be parsed and judged: a miss, and a wanted migration judged
    // after another history (or one whose effects are not cached).
    let mut judge = vec![false; n];
    for (i, m) in migrations.iter().enumerate() {
        match cache.get(m, &before[i]) {
            Cached::Lint(l) => lints[i] = Some(l),
            Cached::Stale if !wanted(m) => {}
            Cached::Stale | Cached::Miss => judge[i] = true,
        }
    }
    // The model before the last judged migration needs the effects of every
    // migration before it: one whose effects are not cached is judged too.
    if let Some(last) = judge.iter().rposition(|&j| j) {
        for i in 0..last {
            if !judge[i] && cache.effects(&migrations[i]).is_none() {
                judge[i] = true;
            }
        }
    }
    let which: Vec<usize> = (0..n).filter(|&i| judge[i]).collect();
    // Reading the text is the only fallible step; do it first, in order.
    for &i in &which {
        migrations[i].load_text()?;
    }
    // The effects the cache has, for the migrations not judged before the
    // last judged one (the model before each judged one needs them).
    let last = which.last().copied();
    let mut effects: Vec<Option<Effects>> = (0..n).map(|_| None).collect();
    if let Some(last) = last {
        for i in (0..last).filter(|&i| !judge[i]) {
            effects[i] = cache.effects(&migrations[i]);
        }
    }
    for (i, lint) in judge_all(project, policy, migrations, &which, &mut effects) {
        cache.put(&migrations[i], &before[i], &lint, effects[i].as_ref());
        lints[i] = Some(lint);
    }
    let mut out: Vec<(&Migration, MigrationLint)> = migrations
        .iter()
        .zip(lints)
        .filter(|(m, _)| wanted(m))
        .filter_map(|(m, l)| l.map(|l| (m, l)))
        .collect();
    // An index a later migration adds resolves an earlier unindexed
    // foreign key: that needs the model at the end of the history.
    if out.iter().any(|(_, l)| !l.unindexed.is_empty()) {
        let mut end = Model::empty();
        for (i, slot) in effects.iter_mut().enumerate() {
            let e = match slot.take() {
                Some(e) => e,
                None => cache.effects(&migrations[i]).unwrap_or(Effects {
                    actions: vec![],
                    opaque: true,
                }),
            };
            end.apply_effects(&e);
        }
        sluice_lint::history::resolve_later_indexes(&end, out.iter_mut().map(|(_, l)| l));
    }
    cache.save(all_wanted);
    Ok(out)
}

/// The lints of `pending`, in their order, each judged against the history
/// before it in the catalog (a migration not in the catalog is judged
/// alone), with the `[rules]` severities applied.
pub fn lint_pending(
    project: &Project,
    policy: &Policy<'_>,
    pending: &[&Migration],
) -> Result<Vec<MigrationLint>> {
    let catalog = project.catalog()?;
    let key = |m: &Migration| (m.version.to_string(), m.checksum.to_hex());
    let wanted: std::collections::HashSet<_> = pending.iter().map(|m| key(m)).collect();
    let mut lints: std::collections::HashMap<_, _> =
        lint_history(project, policy, &catalog.migrations, &|m| {
            wanted.contains(&key(m))
        })?
        .into_iter()
        .map(|(m, l)| (key(m), l))
        .collect();
    Ok(pending
        .iter()
        .map(|m| {
            let mut l = lints
                .remove(&key(m))
                .unwrap_or_else(|| lint(project, policy, m));
            l.diagnostics =
                sluice_lint::registry::apply_overrides(l.diagnostics, &project.rule_overrides);
            l
        })
        .collect())
}

/// Effects the model cannot follow.
fn opaque() -> sluice_lint::history::Effects {
    sluice_lint::history::Effects {
        actions: vec![],
        opaque: true,
    }
}

/// Parses and judges `migrations[i]` for each `i` of `which`, each against
/// the model of the history before it.
///
/// Few statements read the model ([`sluice_lint::history::reads_model`]):
/// a migration without any is judged right after it is parsed, on all
/// cores, exactly as against any model, and its analysis dropped by the
/// thread that made it (holding every analysis until the model is known
/// made parsing itself twice as slow). The others are judged in apply
/// order once every effect is known. `effects[i]` holds, on entry, the
/// cached effects of each migration not judged before the last judged one,
/// and on return every judged one's (the lints' own `effects` are left
/// empty).
fn judge_all(
    project: &Project,
    policy: &Policy<'_>,
    migrations: &[Migration],
    which: &[usize],
    effects: &mut [Option<sluice_lint::history::Effects>],
) -> Vec<(usize, MigrationLint)> {
    use sluice_lint::history::Model;
    enum Judged {
        Done(MigrationLint),
        Later(Analysis),
    }
    crate::progress::WORK.begin(which.len());
    let one = |i: usize| {
        let m = &migrations[i];
        let a = analyze(project, m);
        crate::progress::WORK.inc();
        if sluice_lint::history::reads_model(&a) {
            let e =
                sluice_lint::history::effects(&a, m.body != sluice_core::layout::BodyKind::Opaque);
            (i, e, Judged::Later(a))
        } else {
            let mut lint = sluice_lint::lint_migration_in(m, &a, policy, &mut Model::unknown());
            (i, std::mem::take(&mut lint.effects), Judged::Done(lint))
        }
    };
    let threads = std::thread::available_parallelism()
        .map(|x| x.get())
        .unwrap_or(1)
        .min(which.len().max(1));
    let parsed: Vec<_> = if which.len() < 4 || threads == 1 {
        which.iter().map(|&i| one(i)).collect()
    } else {
        // Largest file first, from one queue, so one large file does not
        // leave the other cores idle at the end.
        let mut queue = which.to_vec();
        queue.sort_by_key(|&i| std::cmp::Reverse(migrations[i].text().len()));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (queue, next, one) = (&queue, &next, &one);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(move || {
                        let mut out = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&i) = queue.get(k) else { break };
                            out.push(one(i));
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("analysis thread panicked"))
                .collect()
        })
    };
    let mut out = Vec::with_capacity(which.len());
    let mut later: std::collections::BTreeMap<usize, Analysis> = Default::default();
    for (i, e, j) in parsed {
        effects[i] = Some(e);
        match j {
            Judged::Done(lint) => out.push((i, lint)),
            Judged::Later(a) => {
                later.insert(i, a);
            }
        }
    }
    // The rest in apply order, folding the effects between them.
    let mut model = Model::empty();
    let mut pos = 0;
    for (i, a) in later {
        for e in &effects[pos..i] {
            model.apply_effects(e.as_ref().unwrap_or(&opaque()));
        }
        let mut lint = sluice_lint::lint_migration_in(&migrations[i], &a, policy, &mut model);
        lint.effects = Default::default();
        out.push((i, lint));
        pos = i + 1;
    }
    out
}
