//! `ledger-orphan`: the ledger lists a migration whose file is gone.
//!
//! Why: deleting a merged migration means new databases never get what old ones
//! have; renaming one changes its version and runs it twice. Instead: restore the
//! file. To undo a change, write a new migration that reverses it.

use super::define::*;
use super::{ledger_line, Context};
use crate::Diagnostic;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "ledger-orphan",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "the ledger lists a migration whose file is gone",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ledger) = ctx.ledger else { return };
    let files: std::collections::HashSet<&str> = ctx
        .catalog
        .migrations
        .iter()
        .map(|m| m.file_name.as_str())
        .collect();
    for e in &ledger.migrations {
        if !files.contains(e.file.as_str()) {
            out.push(Diagnostic::new(
                crate::RuleId::LedgerOrphan,
                ctx.ledger_display,
                ledger_line(ctx, &e.file),
                1,
                format!("the ledger lists `{}` but the file is gone (deleted or renamed)", e.file),
                "restore the file from version control; to undo its change, add a new migration that reverses it",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn deleted_file_is_reported_at_its_ledger_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("1000000000001_a.sql", &good("1000000000001")),
                ("1000000000002_b.sql", &good("1000000000002")),
            ],
        );
        hash(d.path());
        std::fs::remove_file(d.path().join("1000000000002_b.sql")).unwrap();
        let diags = lint(d.path(), "ledger-orphan");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].line > 1);
        assert!(diags[0].message.contains("1000000000002_b.sql"));
    }
}
