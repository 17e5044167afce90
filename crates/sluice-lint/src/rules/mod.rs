//! One file per rule. Each exposes `check(ctx, out)` and documents what it does,
//! why, an example, and what to write instead.

mod duplicate_version;
mod filename_contract;
mod header_invalid;
mod header_missing;
mod ledger_mismatch;
mod ledger_missing;
mod ledger_orphan;
mod ledger_tampered;

use crate::Diagnostic;
use sluice_core::{Catalog, Ledger};

/// What the contract rules look at.
pub struct Context<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The ledger, when the file exists.
    pub ledger: Option<&'a Ledger>,
    /// The ledger's text (for line numbers), when it exists.
    pub ledger_text: Option<&'a str>,
    /// The ledger's path relative to the project root.
    pub ledger_display: &'a str,
    /// Header fields every migration must carry.
    pub require_header: &'a [String],
}

/// A contract rule.
type Rule = fn(&Context<'_>, &mut Vec<Diagnostic>);

const CONTRACT_RULES: &[Rule] = &[
    filename_contract::check,
    duplicate_version::check,
    ledger_missing::check,
    ledger_mismatch::check,
    ledger_orphan::check,
    ledger_tampered::check,
    header_missing::check,
    header_invalid::check,
];

/// Runs every directory/file contract rule, sorted by path, line and rule.
pub fn lint_contract(ctx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in CONTRACT_RULES {
        rule(ctx, &mut out);
    }
    out.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule).cmp(&(&b.path, b.line, b.column, b.rule))
    });
    out
}

/// 1-based line of the ledger entry for `file`.
fn ledger_line(ctx: &Context<'_>, file: &str) -> usize {
    ctx.ledger_text
        .map(|t| sluice_core::ledger::line_of(t, &format!("\"{file}\"")))
        .unwrap_or(1)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A real directory per test: write files, build the catalog, lint.
    use super::*;
    use regex::Regex;
    use sluice_core::catalog::CatalogOptions;
    use sluice_core::config::DEFAULT_REQUIRED_HEADER;
    use std::path::Path;

    pub const GOOD_A: &str = "-- MIGRATION_ID: 1000000000001\n-- TITLE: Create a\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section\nCREATE TABLE a (id int);\n-- sluice:down\nDROP TABLE a;\n";

    pub fn good(version: &str) -> String {
        GOOD_A.replace("1000000000001", version)
    }

    pub fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, body) in files {
            std::fs::write(dir.join(name), body).unwrap();
        }
    }

    /// Writes the ledger for what is in `dir` now.
    pub fn hash(dir: &Path) {
        let cat = catalog(dir);
        Ledger::build(
            cat.migrations
                .iter()
                .map(|m| (m.file_name.as_str(), m.checksum)),
        )
        .save(&dir.join("checksums.json"))
        .unwrap();
    }

    pub fn catalog(dir: &Path) -> Catalog {
        let re = Regex::new(sluice_core::config::DEFAULT_FILENAME).unwrap();
        let ignore = [dir.join("checksums.json")];
        Catalog::load(&CatalogOptions {
            dir,
            root: dir,
            filename: &re,
            ignore: &ignore,
        })
        .unwrap()
    }

    /// Lints `dir` and returns the diagnostics of `rule` only.
    pub fn lint(dir: &Path, rule: &str) -> Vec<Diagnostic> {
        let cat = catalog(dir);
        let path = dir.join("checksums.json");
        let text = std::fs::read_to_string(&path).ok();
        let ledger = text
            .as_ref()
            .map(|t| serde_json::from_str::<Ledger>(t).unwrap());
        let req: Vec<String> = DEFAULT_REQUIRED_HEADER
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ctx = Context {
            catalog: &cat,
            ledger: ledger.as_ref(),
            ledger_text: text.as_deref(),
            ledger_display: "checksums.json",
            require_header: &req,
        };
        lint_contract(&ctx)
            .into_iter()
            .filter(|d| d.rule == rule)
            .collect()
    }
}
