//! `ledger-mismatch`: a migration's content differs from its ledger checksum.
//!
//! Why: migrations are immutable after merge. An edited migration has already
//! run, in its old form, on every database that applied it; the new form will run
//! only on new ones, and the environments silently diverge. CRLF/LF and a UTF-8
//! BOM are normalised away and never count as an edit. Instead: restore the file
//! and write a new migration for the change. If the edit is intended (the
//! migration has never left your branch), run `sluice hash`.

use super::define::*;
use super::{ledger_line, Context};
use crate::Diagnostic;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "ledger-mismatch",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a migration's content differs from its ledger checksum",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ledger) = ctx.ledger else { return };
    let by_file = ledger.by_file();
    for m in &ctx.catalog.migrations {
        if let Some(e) = by_file.get(m.file_name.as_str()) {
            if e.checksum != m.checksum.to_hex() {
                out.push(Diagnostic::new(
                    crate::RuleId::LedgerMismatch,
                    &m.display_path,
                    1,
                    1,
                    format!(
                        "migration {} was changed after it was recorded in the ledger (checksum {} in {} line {}, {} now)",
                        m.version,
                        short(&e.checksum),
                        ctx.ledger_display,
                        ledger_line(ctx, &m.file_name),
                        short(&m.checksum.to_hex())
                    ),
                    "migrations are immutable after merge: restore the file and add a new migration; if this migration has never been merged or applied anywhere, run `sluice hash`",
                ));
            }
        }
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn one_byte_edit_fires_and_crlf_does_not() {
        let d = tempfile::tempdir().unwrap();
        let g = good("1000000000001");
        write(d.path(), &[("1000000000001_a.sql", &g)]);
        hash(d.path());
        write(
            d.path(),
            &[("1000000000001_a.sql", &g.replace('\n', "\r\n"))],
        );
        assert!(lint(d.path(), "ledger-mismatch").is_empty());
        write(
            d.path(),
            &[("1000000000001_a.sql", &g.replace("id int", "id inT"))],
        );
        assert_eq!(lint(d.path(), "ledger-mismatch").len(), 1);
    }
}
