//! `directive-unknown` (error): a line in the layout's directive syntax that
//! sluice does not understand (`-- +goose ENVSUB ON`, `-- migrate:up
//! foo:bar`).
//!
//! **Why.** A directive changes how the other tool runs a migration (outside
//! a transaction, with variables substituted, …). Ignoring one silently would
//! run the migration differently from how it ran everywhere else.
//!
//! **Example.** `-- +goose ENVSUB ON` in a goose migration.
//!
//! **Instead.** Remove the directive, or write the migration so that it does
//! not need it (and open an issue: sluice should understand what your tool
//! does).

use super::define::*;
use super::{Context, Diagnostic};
use sluice_core::catalog::CatalogIssue;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "directive-unknown",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a directive of the layout's tool that sluice does not understand",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.catalog.issues {
        if let CatalogIssue::UnknownDirective {
            display_path,
            line,
            directive,
        } = issue
        {
            out.push(Diagnostic::new(
                crate::RuleId::DirectiveUnknown,
                display_path,
                *line,
                1,
                format!("sluice does not understand the directive `{directive}`: it would run this migration differently from its own tool"),
                "remove the directive or write the migration without it; sluice never ignores a directive silently",
            ));
        }
    }
}
