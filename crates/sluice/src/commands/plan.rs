//! `sluice plan --env E [--to V] [--scratch-url URL] [--no-replay]`: what
//! `apply` would do now, proven on a scratch database (see `crate::plan`).
//! Exit 0 would apply (or nothing to do), 1 blocked, 2 error. `sluice apply
//! --dry-run` is the same command.

use crate::cli::{Format, Outcome};
use crate::plan::{self, PlanOptions, PlanReport};
use crate::project::Project;
use crate::session::Session;
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::fmt::Write as _;

/// Options for `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan pending migrations up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Server for the scratch database (overrides the environment's scratch_url).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
    /// Skip the scratch replay (no observed locks, no proof that migrations apply).
    #[arg(long)]
    pub no_replay: bool,
}

/// Runs `plan`.
pub fn run(project: &Project, a: &PlanArgs) -> Result<Outcome> {
    let session = Session::start(project, "plan")?;
    let catalog = project.catalog()?;
    let to = crate::commands::apply::target_version(&catalog, &a.to)?;
    let opts = PlanOptions {
        to,
        scratch_url: a.scratch_url.clone(),
        no_replay: a.no_replay,
    };
    execute(&session, &catalog, &opts)
}

/// Plans, prints, records evidence; shared with `apply --dry-run`.
pub fn execute(
    session: &Session<'_>,
    catalog: &sluice_core::Catalog,
    opts: &PlanOptions,
) -> Result<Outcome> {
    let project = session.project;
    catalog.read_texts()?;
    let report = plan::plan(session, catalog, opts)?;
    let outcome = if report.blocked() {
        crate::evidence::RunOutcome::Blocked
    } else if report.pending.is_empty() {
        crate::evidence::RunOutcome::Noop
    } else {
        crate::evidence::RunOutcome::WouldApply
    };
    let details = json!({
        "applied": report.applied,
        "pending": report.pending,
        "risk": report.risk,
        "gates": report.gates,
        "replay": report.replay,
        "locks": report.locks,
        "sizes": report.sizes,
        "rollback": report.rollback,
    });
    session.finish(
        outcome,
        vec![],
        report.blocking.clone(),
        details.clone(),
        None,
    );
    match project.global.format {
        Format::Json => crate::output::print_json(&session.document(
            outcome,
            &[],
            &report.blocking,
            None,
            details,
        )),
        Format::Markdown => print!("{}", crate::secrets::scrub(&markdown(session, &report))),
        _ => {
            if !project.global.quiet {
                print!("{}", crate::secrets::scrub(&text(session, &report)));
            }
            if report.blocked() {
                crate::output::print_findings(project, &report.blocking);
                eprintln!(
                    "plan: apply on `{}` would be blocked ({} finding{}); nothing was changed",
                    session.env.name,
                    report.blocking.len(),
                    if report.blocking.len() == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(if report.blocked() {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
}

fn yes(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "not checked",
    }
}

fn lock_summary(l: &plan::StatementLocks) -> String {
    if l.observed {
        if l.locks.is_empty() {
            return "no relation locks".into();
        }
        l.locks
            .iter()
            .map(|x| {
                let mut s = format!("{} on {}", x.mode, x.relation);
                match (x.created, x.acquired) {
                    (true, _) => s.push_str(" (created here)"),
                    (false, false) => s.push_str(" (already held)"),
                    _ => {}
                }
                s
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else if l.expected.is_empty() {
        "not observed".into()
    } else {
        format!(
            "not observed; expected {}",
            l.expected
                .iter()
                .map(|x| format!("{} on {}", x.mode, x.relation))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn rows(r: Option<i64>) -> String {
    match r {
        Some(n) => format!("~{n} rows"),
        None => "rows unknown (never analysed)".into(),
    }
}

fn text(session: &Session<'_>, r: &PlanReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "plan for `{}` ({}): {} pending, {} applied{}",
        session.env.name,
        session.env.redacted_url(),
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
            format!("blocked: apply on `{}` would be refused", session.env.name)
        } else if r.pending.is_empty() {
            format!("nothing to apply: `{}` is up to date", session.env.name)
        } else {
            format!(
                "would apply {} migration{} to `{}`",
                r.pending.len(),
                if r.pending.len() == 1 { "" } else { "s" },
                session.env.name
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
                    "    {}[{}] line {}: {}",
                    d.severity.as_str(),
                    d.rule,
                    d.line,
                    d.message
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
        if r.locks.iter().any(|l| l.observed) {
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

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(session: &Session<'_>, r: &PlanReport) -> String {
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
        session.env.name,
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
