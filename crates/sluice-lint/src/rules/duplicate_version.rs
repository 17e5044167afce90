//! `duplicate-version`: two migrations share a version.
//!
//! Why: the order between them is undefined, and a history table keyed by version
//! records only one. It happens when two branches pick the same timestamp, or a
//! file is copied. Example: `1732190000000_a.sql` and `1732190000000_b.sql`.
//! Instead: give the newer one a fresh version (`sluice new` picks one).

use super::define::*;
use super::Context;
use crate::Diagnostic;
use sluice_core::CatalogIssue;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "duplicate-version",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "two migrations share a version",
    check: Check::Contract(check),
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for issue in &ctx.catalog.issues {
        if let CatalogIssue::DuplicateVersion {
            version,
            display_paths,
        } = issue
        {
            for (i, path) in display_paths.iter().enumerate().skip(1) {
                out.push(Diagnostic::new(
                    crate::RuleId::DuplicateVersion,
                    path,
                    1,
                    1,
                    format!(
                        "version {version} is used by {} files: {}",
                        display_paths.len(),
                        display_paths.join(", ")
                    ),
                    format!(
                        "give `{path}` a new version newer than every other migration (e.g. recreate it with `sluice new`); `{}` keeps {version}",
                        display_paths[..i].join(", ")
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_once_per_extra_file() {
        let d = tempfile::tempdir().unwrap();
        let g = good("1000000000001");
        write(
            d.path(),
            &[
                ("1000000000001_a.sql", &g),
                ("1000000000001_b.sql", &g),
                ("1000000000002_c.sql", &good("1000000000002")),
            ],
        );
        hash(d.path());
        let diags = lint(d.path(), "duplicate-version");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].path, "1000000000001_b.sql");
    }
}
