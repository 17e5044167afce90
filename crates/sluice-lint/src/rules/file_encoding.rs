//! `file-encoding` (error): a migration file that is not valid UTF-8. The
//! finding names the line of the first invalid byte; every other file is
//! still checked, and `apply`, `plan` and `down` refuse to run until it is
//! fixed (the file is not part of the catalog, so running without it would
//! skip a migration).
//!
//! **Why.** A file saved in another encoding (Latin-1, Windows-1252, UTF-16)
//! runs differently depending on the client encoding of whoever applies it,
//! and its checksum does not say what text it holds.
//!
//! **Example.** A migration with `INSERT INTO cities VALUES ('Zürich');` saved
//! as Latin-1.
//!
//! **Instead.** Save it as UTF-8 (`iconv -f latin1 -t utf-8`) and run `sluice
//! hash` if it was not merged yet.

use super::define::*;
use super::Context;
use crate::Diagnostic;
use sluice_core::CatalogIssue;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "file-encoding",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a migration file that is not valid UTF-8",
    check: Check::Contract(check),
};

/// The finding for one issue, when it is about encoding (also used by the
/// apply gates).
pub fn finding(issue: &CatalogIssue) -> Option<Diagnostic> {
    let CatalogIssue::NotUtf8 {
        display_path,
        line,
        offset,
    } = issue
    else {
        return None;
    };
    Some(Diagnostic::new(
        crate::RuleId::FileEncoding,
        display_path,
        *line,
        1,
        format!("`{display_path}` is not valid UTF-8 (invalid byte at offset {offset}): it is left out of the migrations until it is"),
        "save it as UTF-8 (for example `iconv -f latin1 -t utf-8`), then run the command again",
    ))
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    out.extend(ctx.catalog.issues.iter().filter_map(finding));
}
