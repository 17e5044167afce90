//! `ledger-missing`: the ledger (`checksums.json`) is absent, or a migration is
//! not in it.
//!
//! Why: the ledger is what makes "immutable after merge" checkable; a migration
//! outside it can be edited without anyone noticing. Example: a new file added by
//! hand. Instead: run `sluice hash` after writing the migration, and commit the
//! ledger with it (`sluice new` does this for you).

use super::define::*;
use super::Context;
use crate::Diagnostic;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "ledger-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "the ledger is absent, or a migration is not in it",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ledger) = ctx.ledger else {
        out.push(Diagnostic::new(
            crate::RuleId::LedgerMissing,
            ctx.ledger_display,
            1,
            1,
            format!("the ledger `{}` does not exist", ctx.ledger_display),
            "run `sluice hash` to create it from the migrations as they are now, review it, and commit it",
        ));
        return;
    };
    let by_file = ledger.by_file();
    for m in &ctx.catalog.migrations {
        if !by_file.contains_key(m.file_name.as_str()) {
            out.push(Diagnostic::new(
                crate::RuleId::LedgerMissing,
                &m.display_path,
                1,
                1,
                format!(
                    "migration {} is not in the ledger `{}`",
                    m.version, ctx.ledger_display
                ),
                "run `sluice hash` to add it, and commit the ledger together with the migration",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn absent_ledger_and_unlisted_file() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &[("1000000000001_a.sql", &good("1000000000001"))]);
        assert_eq!(lint(d.path(), "ledger-missing")[0].path, "checksums.json");
        hash(d.path());
        assert!(lint(d.path(), "ledger-missing").is_empty());
        write(d.path(), &[("1000000000002_b.sql", &good("1000000000002"))]);
        let diags = lint(d.path(), "ledger-missing");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].path, "1000000000002_b.sql");
    }
}
