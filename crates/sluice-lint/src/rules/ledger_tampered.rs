//! `ledger-tampered`: the ledger's chained hashes or total do not verify against
//! its own entries.
//!
//! Why: someone edited `checksums.json` by hand (to make an edited migration pass,
//! or to resolve a merge conflict by keeping both sides). The chain is what makes
//! an insertion, a reorder or a deletion visible, so a broken chain cannot be
//! trusted at all. Instead: resolve the conflict by re-versioning your migration
//! and running `sluice hash`; never edit the ledger by hand.

use super::define::*;
use super::{ledger_line, Context};
use crate::Diagnostic;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "ledger-tampered",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "the ledger's chain or total does not verify against its own entries",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ledger) = ctx.ledger else { return };
    if let Err(b) = ledger.verify_chain() {
        let line = b
            .entry
            .map(|i| ledger_line(ctx, &ledger.migrations[i].file))
            .unwrap_or_else(|| {
                ctx.ledger_text
                    .map(|t| sluice_core::ledger::line_of(t, "\"total\""))
                    .unwrap_or(1)
            });
        out.push(Diagnostic::new(
            crate::RuleId::LedgerTampered,
            ctx.ledger_display,
            line,
            1,
            format!("the ledger does not verify: {}", b.reason),
            "do not edit the ledger by hand: restore it from version control, then run `sluice hash` only after reviewing every migration it covers",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn hand_edit_of_a_checksum_is_caught() {
        let d = tempfile::tempdir().unwrap();
        let g = good("1000000000001");
        write(d.path(), &[("1000000000001_a.sql", &g)]);
        hash(d.path());
        assert!(lint(d.path(), "ledger-tampered").is_empty());
        // Edit the migration and "fix" the ledger's checksum by hand.
        let edited = g.replace("id int", "id bigint");
        write(d.path(), &[("1000000000001_a.sql", &edited)]);
        let path = d.path().join("checksums.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let old = sluice_core::Checksum::of_migration(g.as_bytes()).to_hex();
        let new = sluice_core::Checksum::of_migration(edited.as_bytes()).to_hex();
        std::fs::write(&path, text.replace(&old, &new)).unwrap();
        assert!(lint(d.path(), "ledger-mismatch").is_empty());
        assert_eq!(lint(d.path(), "ledger-tampered").len(), 1);
    }
}
