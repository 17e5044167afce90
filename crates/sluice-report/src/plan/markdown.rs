//! `plan --format markdown`: the plan for a pull request.

use super::*;
use std::fmt::Write;

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The plan as Markdown for a pull request.
pub fn markdown(env: &str, r: &PlanReport) -> String {
    let mut o = String::new();
    let verdict = if r.blocked() {
        "**blocked**"
    } else if r.pending.is_empty() {
        "up to date"
    } else {
        "would apply"
    };
    let _ = writeln!(
        o,
        "# Plan for `{}`\n\n{verdict}: {} pending, {} applied{}\n",
        env,
        r.pending.len(),
        r.applied,
        r.risk
            .map(|x| format!(", risk **{x}**"))
            .unwrap_or_default()
    );
    if !r.blocking.is_empty() {
        let _ = writeln!(o, "## Blocking\n");
        for d in &r.blocking {
            let _ = writeln!(
                o,
                "- `{}` {}:{}: {}",
                d.rule,
                d.path,
                d.line,
                md_cell(&d.message)
            );
        }
        let _ = writeln!(o);
    }
    if !r.pending.is_empty() {
        let _ = writeln!(
            o,
            "## Pending\n\n| version | name | risk | approvals | statements | findings |\n|---|---|---|---|---|---|"
        );
        for p in &r.pending {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}/{} | {} | {} |",
                p.version,
                md_cell(&p.name),
                p.computed_risk,
                p.approvals.present.len(),
                p.approvals.needed,
                p.statements,
                p.findings.len()
            );
        }
        let _ = writeln!(o);
        for p in &r.pending {
            for f in &p.if_it_fails {
                let _ = writeln!(
                    o,
                    "- {}: if {} at line {} fails, these stay applied (DDL commits itself): {}",
                    p.version,
                    md_cell(&f.kind),
                    f.line,
                    md_cell(&f.remain.join("; "))
                );
            }
        }
        if r.pending.iter().any(|p| !p.if_it_fails.is_empty()) {
            let _ = writeln!(o);
        }
    }
    markdown_replay(&mut o, r);
    markdown_locks_sizes_rollback(&mut o, r);
    o
}

/// `plan --format markdown`: what the scratch replay proved.
fn markdown_replay(o: &mut String, r: &PlanReport) {
    let rp = &r.replay;
    let _ = writeln!(o, "## Replay\n");
    if let Some(why) = &rp.skipped {
        let _ = writeln!(o, "Skipped: {why}\n");
    } else if rp.performed {
        let _ = writeln!(
            o,
            "| check | result |\n|---|---|\n| applied migrations replay from empty | {} |\n| pending migrations apply | {} |\n| second apply is a no-op | {} |\n| status clean | {} |",
            rp.replayed_applied,
            yes(rp.applies),
            yes(rp.second_apply_noop),
            yes(rp.status_clean)
        );
        for d in &rp.down_checks {
            let ok = d.down_ran && d.restores_previous_schema && d.reapply_same_schema;
            let _ = writeln!(
                o,
                "| up → down → up {} | {} |",
                d.version,
                if ok { "same schema" } else { "MISMATCH" }
            );
        }
        if let Some(f) = &rp.failure {
            let _ = writeln!(
                o,
                "\nFailed ({}) at `{}:{}`: {}",
                f.phase,
                f.path,
                f.line,
                md_cell(&f.error)
            );
        }
        for n in &rp.notes {
            let _ = writeln!(o, "\n_{n}_");
        }
        let _ = writeln!(o);
    }
}

/// `plan --format markdown`: observed locks, sizes and the rollback guide.
fn markdown_locks_sizes_rollback(o: &mut String, r: &PlanReport) {
    if !r.locks.is_empty() {
        let _ = writeln!(
            o,
            "## Locks\n\n| version | line | statement | locks |\n|---|---|---|---|"
        );
        for l in &r.locks {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | {} |",
                l.version,
                l.line,
                md_cell(&l.sql),
                md_cell(&lock_summary(l))
            );
        }
        let _ = writeln!(o);
    }
    if !r.sizes.is_empty() {
        let _ = writeln!(
            o,
            "## Sizes on the target\n\n| relation | rows | size | statements |\n|---|---|---|---|"
        );
        for s in &r.sizes {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                s.relation,
                s.rows
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "unknown".into()),
                s.size,
                s.statements
                    .iter()
                    .map(|u| format!("{}:{} {}", u.version, u.line, u.work))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(o);
    }
    if !r.rollback.is_empty() {
        let _ = writeln!(o, "## Rollback guide\n");
        for g in r.rollback.iter().rev() {
            let _ = writeln!(o, "### {}_{} ({})\n", g.version, g.name, g.kind);
            if let Some(sql) = &g.sql {
                let _ = writeln!(o, "```sql\n{sql}\n```\n");
            }
            for i in &g.irreversible {
                let _ = writeln!(
                    o,
                    "- line {} `{}`: {}",
                    i.line,
                    md_cell(&i.statement),
                    i.reason
                );
            }
            if let Some(s) = &g.strategy {
                let _ = writeln!(o, "- ROLLBACK_STRATEGY: {}", md_cell(s));
            }
            let _ = writeln!(o);
        }
    }
}
