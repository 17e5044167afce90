//! `plan` as text for people.

use super::*;
use std::fmt::Write;

/// The plan as text for people; `env` and `target` (redacted) name where.
pub fn text(env: &str, target: &str, r: &PlanReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "plan for `{}` ({}): {} pending, {} applied{}",
        env,
        target,
        r.pending.len(),
        r.applied,
        r.risk.map(|x| format!(", risk {x}")).unwrap_or_default()
    );
    text_pending(&mut o, r);
    text_replay(&mut o, r);
    text_locks_sizes_rollback(&mut o, r);
    let _ = writeln!(
        o,
        "\n{}",
        if r.blocked() {
            format!("blocked: apply on `{}` would be refused", env)
        } else if r.pending.is_empty() {
            format!("nothing to apply: `{}` is up to date", env)
        } else {
            format!(
                "would apply {} migration{} to `{}`",
                r.pending.len(),
                if r.pending.len() == 1 { "" } else { "s" },
                env
            )
        }
    );
    o
}

/// The pending migrations with their risk, approvals and findings.
fn text_pending(o: &mut String, r: &PlanReport) {
    if !r.pending.is_empty() {
        let _ = writeln!(o, "\npending");
        for p in &r.pending {
            let _ = writeln!(
                o,
                "  {}_{}  risk {}{}  approvals {}/{}{}  {} statement{}{}",
                p.version,
                p.name,
                p.computed_risk,
                p.declared_risk
                    .as_ref()
                    .map(|d| format!(" (declared {})", d.to_lowercase()))
                    .unwrap_or_default(),
                p.approvals.present.len(),
                p.approvals.needed,
                if p.approvals.present.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", p.approvals.present.join(", "))
                },
                p.statements,
                if p.statements == 1 { "" } else { "s" },
                if p.transactional {
                    ""
                } else {
                    ", no transaction"
                }
            );
            for d in &p.findings {
                let _ = writeln!(
                    o,
                    "    {}[{}] line {}{}: {}",
                    d.severity.as_str(),
                    d.rule,
                    d.line,
                    if d.in_down_section() {
                        " (down section)"
                    } else {
                        ""
                    },
                    d.message
                );
            }
            for f in &p.if_it_fails {
                let _ = writeln!(
                    o,
                    "    if {} at line {} fails, these stay applied (DDL commits itself): {}",
                    f.kind,
                    f.line,
                    f.remain.join("; ")
                );
            }
        }
    }
}

/// What the scratch replay proved.
fn text_replay(o: &mut String, r: &PlanReport) {
    let rp = &r.replay;
    let _ = writeln!(o);
    match (&rp.skipped, rp.performed) {
        (Some(why), _) => {
            let _ = writeln!(o, "replay: skipped ({why})");
        }
        (None, true) => {
            let _ = writeln!(
                o,
                "replay on scratch database {} ({} ms, {})",
                rp.scratch.as_deref().unwrap_or("?"),
                rp.duration_ms,
                if rp.dropped { "dropped" } else { "NOT dropped" }
            );
            let _ = writeln!(
                o,
                "  replayed {} applied migration{} from empty",
                rp.replayed_applied,
                if rp.replayed_applied == 1 { "" } else { "s" }
            );
            let _ = writeln!(
                o,
                "  pending apply: {} ({} of {})",
                yes(rp.applies),
                rp.pending_applied,
                r.pending.len()
            );
            let _ = writeln!(
                o,
                "  second apply is a no-op: {}",
                yes(rp.second_apply_noop)
            );
            let _ = writeln!(o, "  status clean: {}", yes(rp.status_clean));
            for d in &rp.down_checks {
                let _ = writeln!(
                    o,
                    "  up → down → up {}: {}",
                    d.version,
                    if d.down_ran && d.restores_previous_schema && d.reapply_same_schema {
                        "same schema"
                    } else {
                        "MISMATCH"
                    }
                );
                for l in &d.differences {
                    let _ = writeln!(o, "    {l}");
                }
            }
            if let Some(f) = &rp.failure {
                let _ = writeln!(
                    o,
                    "  FAILED ({}) {} at {}:{}: {}\n    {}",
                    f.phase, f.version, f.path, f.line, f.error, f.sql
                );
            }
            for n in &rp.notes {
                let _ = writeln!(o, "  note: {n}");
            }
        }
        (None, false) => {}
    }
}

/// Observed locks, sizes on the target and the rollback guide.
fn text_locks_sizes_rollback(o: &mut String, r: &PlanReport) {
    if !r.locks.is_empty() {
        let _ = writeln!(o, "\nlocks (observed on the scratch database)");
        for l in &r.locks {
            let _ = writeln!(
                o,
                "  {} line {}  {}\n    → {}",
                l.version,
                l.line,
                l.sql,
                lock_summary(l)
            );
        }
        if r.locks.iter().any(|l| l.observed) && r.pending.iter().any(|p| p.transactional) {
            let _ = writeln!(
                o,
                "  locks taken in a transactional migration are held until it commits"
            );
        }
    }
    if !r.sizes.is_empty() {
        let _ = writeln!(o, "\nsizes on the target");
        for s in &r.sizes {
            let uses = s
                .statements
                .iter()
                .map(|u| format!("{} line {} ({}, {})", u.version, u.line, u.work, u.mode))
                .collect::<Vec<_>>()
                .join("; ");
            let _ = writeln!(
                o,
                "  {}: {}, {}  ← {uses}",
                s.relation,
                rows(s.rows),
                s.size
            );
        }
    }
    if !r.rollback.is_empty() {
        let _ = writeln!(o, "\nrollback guide (newest first)");
        for g in r.rollback.iter().rev() {
            let _ = writeln!(o, "  {}_{} ({})", g.version, g.name, g.kind);
            if let Some(sql) = &g.sql {
                for l in sql.lines() {
                    let _ = writeln!(o, "    {l}");
                }
            }
            for i in &g.irreversible {
                let _ = writeln!(o, "    line {} {}: {}", i.line, i.statement, i.reason);
            }
            if let Some(s) = &g.strategy {
                let _ = writeln!(o, "    ROLLBACK_STRATEGY: {s}");
            }
        }
    }
}
