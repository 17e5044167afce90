//! One file per rule. Each documents what it does, why it matters, an example,
//! and what to write instead (its `//!` block is the rule's documentation page,
//! rendered into `docs/rules/<id>.md`).
//!
//! Contract rules take a [`Context`] (the directory); statement rules take one
//! statement ([`crate::engine::Stmt`]); migration rules see a whole migration
//! ([`crate::engine::MigrationView`]). Each kind is registered in one table below.

mod bypass_invalid;
mod column_type_change;
mod concurrently_in_transaction;
mod constraint_not_valid;
mod delete_without_where;
mod drop_column;
mod drop_constraint;
mod drop_database;
mod drop_index;
mod drop_index_not_concurrent;
mod drop_object;
mod drop_schema;
mod drop_table;
mod fk_without_index;
mod forward_only_undocumented;
mod identifier_naming;
mod index_not_concurrent;
mod irreversible_undocumented;
mod missing_lock_timeout;
mod mixed_purpose;
mod multiple_heads;
mod non_additive;
mod not_null_without_default;
mod out_of_scope;
mod rename_column;
mod rename_table;
mod risk_understated;
mod rls_missing;
mod rls_weakened;
mod set_not_null_scan;
pub mod startup_migration;
mod suppression_invalid;
mod suppression_unused;
mod syntax_error;
mod table_rewrite;
mod transaction_nesting;
mod truncate;
mod unique_constraint_lock;
mod volatile_default_rewrite;

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

/// Statement rules, in report order.
pub(crate) const STATEMENT_RULES: &[crate::engine::StatementRule] = &[
    drop_table::check,
    drop_column::check,
    drop_schema::check,
    drop_database::check,
    truncate::check,
    drop_constraint::check,
    drop_index::check,
    drop_object::check,
    delete_without_where::check,
    column_type_change::check,
    rls_weakened::check,
    rename_table::check,
    rename_column::check,
    non_additive::check,
    index_not_concurrent::check,
    drop_index_not_concurrent::check,
    constraint_not_valid::check,
    unique_constraint_lock::check,
    set_not_null_scan::check,
    not_null_without_default::check,
    volatile_default_rewrite::check,
    table_rewrite::check,
    concurrently_in_transaction::check,
    transaction_nesting::check,
    missing_lock_timeout::check,
    out_of_scope::check,
    identifier_naming::check,
];

/// Migration rules (they see the whole migration and its computed risk).
pub(crate) const MIGRATION_RULES: &[crate::engine::MigrationRule] = &[
    rls_missing::check,
    mixed_purpose::check,
    fk_without_index::check,
    risk_understated::check,
    forward_only_undocumented::check,
    irreversible_undocumented::check,
];

/// Rule documentation pages: (id, the rule file's text). `syntax-error`,
/// `bypass-invalid` and the suppression rules are raised by the engine; their
/// files hold their documentation and tests.
pub const RULE_SOURCES: &[(&str, &str)] = &[
    ("filename-contract", include_str!("filename_contract.rs")),
    ("duplicate-version", include_str!("duplicate_version.rs")),
    ("ledger-missing", include_str!("ledger_missing.rs")),
    ("ledger-mismatch", include_str!("ledger_mismatch.rs")),
    ("ledger-orphan", include_str!("ledger_orphan.rs")),
    ("ledger-tampered", include_str!("ledger_tampered.rs")),
    ("header-missing", include_str!("header_missing.rs")),
    ("header-invalid", include_str!("header_invalid.rs")),
    ("risk-understated", include_str!("risk_understated.rs")),
    (
        "forward-only-undocumented",
        include_str!("forward_only_undocumented.rs"),
    ),
    (
        "irreversible-undocumented",
        include_str!("irreversible_undocumented.rs"),
    ),
    ("multiple-heads", include_str!("multiple_heads.rs")),
    ("startup-migration", include_str!("startup_migration.rs")),
    ("syntax-error", include_str!("syntax_error.rs")),
    ("drop-table", include_str!("drop_table.rs")),
    ("drop-column", include_str!("drop_column.rs")),
    ("drop-schema", include_str!("drop_schema.rs")),
    ("drop-database", include_str!("drop_database.rs")),
    ("truncate", include_str!("truncate.rs")),
    ("drop-constraint", include_str!("drop_constraint.rs")),
    ("drop-index", include_str!("drop_index.rs")),
    ("drop-object", include_str!("drop_object.rs")),
    (
        "delete-without-where",
        include_str!("delete_without_where.rs"),
    ),
    ("column-type-change", include_str!("column_type_change.rs")),
    ("rls-weakened", include_str!("rls_weakened.rs")),
    ("bypass-invalid", include_str!("bypass_invalid.rs")),
    ("rename-table", include_str!("rename_table.rs")),
    ("rename-column", include_str!("rename_column.rs")),
    ("non-additive", include_str!("non_additive.rs")),
    (
        "index-not-concurrent",
        include_str!("index_not_concurrent.rs"),
    ),
    (
        "drop-index-not-concurrent",
        include_str!("drop_index_not_concurrent.rs"),
    ),
    (
        "constraint-not-valid",
        include_str!("constraint_not_valid.rs"),
    ),
    (
        "unique-constraint-lock",
        include_str!("unique_constraint_lock.rs"),
    ),
    ("set-not-null-scan", include_str!("set_not_null_scan.rs")),
    (
        "not-null-without-default",
        include_str!("not_null_without_default.rs"),
    ),
    (
        "volatile-default-rewrite",
        include_str!("volatile_default_rewrite.rs"),
    ),
    ("table-rewrite", include_str!("table_rewrite.rs")),
    (
        "concurrently-in-transaction",
        include_str!("concurrently_in_transaction.rs"),
    ),
    (
        "transaction-nesting",
        include_str!("transaction_nesting.rs"),
    ),
    (
        "missing-lock-timeout",
        include_str!("missing_lock_timeout.rs"),
    ),
    ("rls-missing", include_str!("rls_missing.rs")),
    ("out-of-scope", include_str!("out_of_scope.rs")),
    ("mixed-purpose", include_str!("mixed_purpose.rs")),
    ("fk-without-index", include_str!("fk_without_index.rs")),
    ("identifier-naming", include_str!("identifier_naming.rs")),
    (
        "suppression-invalid",
        include_str!("suppression_invalid.rs"),
    ),
    ("suppression-unused", include_str!("suppression_unused.rs")),
];

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
    multiple_heads::check,
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

/// `path` relative to `root`, `/`-separated.
pub(crate) fn display(root: &std::path::Path, path: &std::path::Path) -> String {
    sluice_core::catalog::display_path(root, path)
}

/// 1-based line of the ledger entry for `file`.
fn ledger_line(ctx: &Context<'_>, file: &str) -> usize {
    ctx.ledger_text
        .map(|t| sluice_core::ledger::line_of(t, &format!("\"{file}\"")))
        .unwrap_or(1)
}

/// What statement rules import.
#[allow(unused_imports)]
pub(crate) mod prelude {
    pub(crate) use crate::engine::{locks_existing, Finding, MigrationView, Policy, Stmt};
    pub(crate) use sluice_core::config::Dialect;
    pub(crate) use sluice_core::header::RiskLevel;
    pub(crate) use sluice_sql::facts::{Action, ConstraintKind, DefaultKind, LockMode, ObjectName};
}

#[cfg(test)]
pub(crate) mod testing {
    //! A real directory per test: write files, build the catalog, lint.
    use super::*;
    use regex::Regex;
    use sluice_core::catalog::CatalogOptions;
    use sluice_core::config::Dialect;
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
            layout: sluice_core::config::Layout::Sluice,
            cache: None,
        })
        .unwrap()
    }

    /// Lints SQL as the up section of a migration with a valid High-risk header
    /// (Postgres, default policy, lock_timeout configured) and returns every
    /// diagnostic.
    pub fn lint_sql(sql: &str) -> Vec<Diagnostic> {
        lint_full(&format!("{HEADER}{sql}\n"), Dialect::Postgres, |_| {}, true)
    }

    pub const HEADER: &str = "-- MIGRATION_ID: 1000000000001\n-- TITLE: t\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: High\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: restore\n";

    /// Lints a whole file with a policy tweak.
    pub fn lint_full(
        text: &str,
        dialect: Dialect,
        tweak: impl FnOnce(&mut sluice_core::config::PolicySection),
        lock_timeout_everywhere: bool,
    ) -> Vec<Diagnostic> {
        let m = sluice_core::Migration::parse_native(
            sluice_core::Version::parse("1000000000001").unwrap(),
            "t".into(),
            "1000000000001_t.sql".into(),
            "1000000000001_t.sql".into(),
            "1000000000001_t.sql".into(),
            text.as_bytes(),
        )
        .unwrap();
        let mut policy = sluice_core::config::PolicySection::default();
        tweak(&mut policy);
        let p = crate::engine::Policy {
            dialect,
            bypass: regex::Regex::new(&policy.bypass_reference).unwrap(),
            policy: &policy,
            lock_timeout_everywhere,
        };
        let a = crate::analysis::analyze(&m, dialect);
        crate::engine::lint_migration(&m, &a, &p).diagnostics
    }

    /// Asserts `rule` fires on `sql`; returns its first diagnostic.
    #[track_caller]
    pub fn lint_err(rule: &str, sql: &str) -> Diagnostic {
        let d = lint_sql(sql);
        d.iter()
            .find(|d| d.rule == rule)
            .cloned()
            .unwrap_or_else(|| panic!("{rule} did not fire on:\n{sql}\ngot: {d:#?}"))
    }

    /// Asserts `rule` does not fire on `sql`.
    #[track_caller]
    pub fn lint_ok(rule: &str, sql: &str) {
        let d = lint_sql(sql);
        assert!(
            d.iter().all(|d| d.rule != rule),
            "{rule} fired on:\n{sql}\n{d:#?}"
        );
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

#[cfg(test)]
mod dialect_tests {
    use super::testing::*;
    use sluice_core::config::Dialect;

    /// A rule the registry declares Postgres-only says nothing about SQLite,
    /// and still fires on Postgres.
    #[test]
    fn postgres_only_rules_follow_the_registry() {
        let sql = format!("{HEADER}CREATE INDEX i ON t (a);\n");
        let on = |d| {
            lint_full(&sql, d, |_| {}, false)
                .iter()
                .map(|d| d.rule)
                .collect::<Vec<_>>()
        };
        let pg = on(Dialect::Postgres);
        assert!(pg.contains(&"index-not-concurrent"), "{pg:?}");
        assert!(pg.contains(&"missing-lock-timeout"), "{pg:?}");
        let sqlite = on(Dialect::Sqlite);
        assert!(!sqlite.contains(&"index-not-concurrent"), "{sqlite:?}");
        assert!(!sqlite.contains(&"missing-lock-timeout"), "{sqlite:?}");
        let info = crate::RuleId::IndexNotConcurrent.info();
        assert!(!info.applies_to(Dialect::Sqlite) && info.applies_to(Dialect::Postgres));
    }
}
