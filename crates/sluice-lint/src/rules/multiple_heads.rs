//! `multiple-heads` (error, alembic layout): the revision graph has more than one
//! head (two branches each added a revision on the same parent and neither was
//! merged), or a gap (a `down_revision` names a revision that is not in the
//! directory).
//!
//! **Why.** `alembic upgrade head` refuses to run with several heads, and a gap
//! means a revision was deleted or never committed: databases upgraded through it
//! and new ones diverge.
//!
//! **Example.** `b2.py` and `c3.py` both with `down_revision = "a1"`.
//!
//! **Instead.** Rebase one branch (`down_revision` = the other head), or add a
//! merge revision (`alembic merge heads`); restore a missing revision from version
//! control.

use super::define::*;
use super::Context;
use crate::Diagnostic;
use sluice_core::CatalogIssue;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "multiple-heads",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "(alembic) the revision graph has more than one head, or a gap",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(findings(ctx.catalog));
}

/// The graph's heads and gaps as findings (`check`, and the gate that
/// refuses to apply an ambiguous graph).
pub fn findings(catalog: &sluice_core::Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for issue in &catalog.issues {
        match issue {
            CatalogIssue::MultipleHeads { heads } => {
                let ids: Vec<&str> = heads.iter().map(|h| h.0.as_str()).collect();
                for (rev, path, line) in heads {
                    out.push(Diagnostic::new(
                        crate::RuleId::MultipleHeads,
                        path,
                        *line,
                        1,
                        format!("revision {rev} is one of {} heads ({})", heads.len(), ids.join(", ")),
                        "point one branch's down_revision at the other head, or add a merge revision (`alembic merge heads`)",
                    ));
                }
            }
            CatalogIssue::RevisionGap { revision, parent, display_path, line } => out.push(Diagnostic::new(
                crate::RuleId::MultipleHeads,
                display_path,
                *line,
                1,
                format!("revision {revision} names down_revision {parent}, which is not in the directory (a gap in the graph)"),
                "restore the missing revision from version control, or fix down_revision",
            )),
            _ => {}
        }
    }
    out
}
