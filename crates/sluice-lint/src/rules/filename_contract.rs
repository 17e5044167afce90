//! `filename-contract`: a file in the migrations directory does not match the
//! filename pattern (`[migrations] filename`, default `^\d{13}_[a-z0-9_]+\.sql$`).
//!
//! Why: the version in the name orders migrations; a file that does not match is
//! silently skipped by most runners, so a migration someone meant to ship never
//! runs. Example: `add_users.sql`, `1732190000000-add-users.sql`. Instead: create
//! migrations with `sluice new NAME`, which picks the version and the name.

use super::define::*;
use super::Context;
use crate::Diagnostic;
use sluice_core::CatalogIssue;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "filename-contract",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a file in the migrations dir does not match the filename pattern",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.catalog.issues {
        if let CatalogIssue::FilenameContract {
            display_path,
            pattern,
        } = issue
        {
            out.push(Diagnostic::new(
                crate::RuleId::FilenameContract,
                display_path,
                1,
                1,
                format!("`{display_path}` does not match the migration filename pattern `{pattern}`"),
                "rename it to `<13-digit version>_<snake_case_name>.sql` (or create migrations with `sluice new NAME`); move files that are not migrations out of the migrations directory",
            ));
        }
        if let CatalogIssue::MissingBody {
            display_path,
            missing,
        } = issue
        {
            out.push(Diagnostic::new(
                crate::RuleId::FilenameContract,
                display_path,
                1,
                1,
                format!("the migration directory `{display_path}` has no {missing}, so it is not a migration"),
                format!("add {display_path}/{missing} (the forward SQL), or remove the directory"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_bad_names_only() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("1000000000001_a.sql", &good("1000000000001")),
                ("add-users.sql", "SELECT 1;"),
            ],
        );
        hash(d.path());
        let diags = lint(d.path(), "filename-contract");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].path, "add-users.sql");
    }
}
