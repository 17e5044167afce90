//! One file per rule. Each documents what it does, why it matters, an example,
//! and what to write instead (its `//!` block is the rule's documentation page,
//! rendered into `docs/rules/<id>.md`).
//!
//! Contract rules take a [`Context`] (the directory); statement rules take one
//! statement ([`crate::engine::Stmt`]); migration rules see a whole migration
//! ([`crate::engine::MigrationView`]). Each file exports its definition
//! (`RULE`: id, severity, risk, group, dialects, summary, how it runs), and the
//! `registry!` table below lists them: adding a rule is one file plus one line.

pub(crate) mod new_columns;

use crate::engine::{MigrationRule, StatementRule};
use crate::registry::{Check, RuleInfo};
use crate::Diagnostic;
use sluice_core::{Catalog, Ledger};
use std::sync::LazyLock;

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
    /// `[policy] migration_id`: `revision`, `any` or a pattern.
    pub migration_id: &'a str,
}

/// Generates, from one table, the rule modules, the [`RuleId`] enum (one
/// variant per rule, in table order), [`RULES`] and [`RULE_SOURCES`]. Adding a
/// rule is its file (exporting `RULE`, its [`Def`](crate::registry::Def)) plus
/// one line here; a gate no file checks is a `Def` in `gates.rs` plus one line.
macro_rules! registry {
    (files { $($v:ident: $m:ident,)* } gates { $($gv:ident: $gc:ident,)* }) => {
        $(pub mod $m;)*
        pub mod gates;

        /// A rule's id, as a type: a typo does not compile.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId {
            $(
                #[doc = concat!("The rule in [`", stringify!($m), "`].")]
                $v,
            )*
            $(
                #[doc = concat!("The gate [`gates::", stringify!($gc), "`].")]
                $gv,
            )*
        }

        /// Every rule sluice knows, in table order (`RULES[id as usize]` is
        /// `id`'s entry).
        pub static RULES: &[RuleInfo] = &[
            $(RuleInfo::new(RuleId::$v, $m::RULE),)*
            $(RuleInfo::new(RuleId::$gv, gates::$gc),)*
        ];

        /// Rule documentation pages: (id, the rule file's text).
        pub const RULE_SOURCES: &[(&str, &str)] = &[
            $(($m::RULE.id, include_str!(concat!(stringify!($m), ".rs"))),)*
        ];
    };
}

registry! {
    files {
        FilenameContract: filename_contract,
        FileEncoding: file_encoding,
        DuplicateVersion: duplicate_version,
        LedgerMissing: ledger_missing,
        LedgerMismatch: ledger_mismatch,
        LedgerOrphan: ledger_orphan,
        LedgerTampered: ledger_tampered,
        HeaderMissing: header_missing,
        HeaderInvalid: header_invalid,
        RiskUnderstated: risk_understated,
        ForwardOnlyUndocumented: forward_only_undocumented,
        IrreversibleUndocumented: irreversible_undocumented,
        MultipleHeads: multiple_heads,
        DirectiveUnknown: directive_unknown,
        StartupMigration: startup_migration,
        DowngradeInAutomation: downgrade_in_automation,
        SyntaxError: syntax_error,
        DropTable: drop_table,
        DropColumn: drop_column,
        DropSchema: drop_schema,
        DropDatabase: drop_database,
        Truncate: truncate,
        DropConstraint: drop_constraint,
        DropIndex: drop_index,
        DropObject: drop_object,
        DeleteWithoutWhere: delete_without_where,
        ColumnTypeChange: column_type_change,
        RlsWeakened: rls_weakened,
        BypassInvalid: bypass_invalid,
        RenameTable: rename_table,
        RenameColumn: rename_column,
        NonAdditive: non_additive,
        IndexNotConcurrent: index_not_concurrent,
        DropIndexNotConcurrent: drop_index_not_concurrent,
        ConstraintNotValid: constraint_not_valid,
        UniqueConstraintLock: unique_constraint_lock,
        SetNotNullScan: set_not_null_scan,
        NotNullWithoutDefault: not_null_without_default,
        VolatileDefaultRewrite: volatile_default_rewrite,
        TableRewrite: table_rewrite,
        ConcurrentlyInTransaction: concurrently_in_transaction,
        TransactionNesting: transaction_nesting,
        MissingLockTimeout: missing_lock_timeout,
        MissingStatementTimeout: missing_statement_timeout,
        RlsMissing: rls_missing,
        OutOfScope: out_of_scope,
        MixedPurpose: mixed_purpose,
        FkWithoutIndex: fk_without_index,
        IdentifierNaming: identifier_naming,
        DropNotNull: drop_not_null,
        DropDefault: drop_default,
        RenameObject: rename_object,
        EnumValueOrder: enum_value_order,
        NonRobustStatement: non_robust_statement,
        PreferBigint: prefer_bigint,
        PreferIdentity: prefer_identity,
        PreferTimestamptz: prefer_timestamptz,
        PreferText: prefer_text,
        MysqlTableCopy: mysql_table_copy,
        MysqlDdlInTransaction: mysql_ddl_in_transaction,
        SuppressionInvalid: suppression_invalid,
        SuppressionUnused: suppression_unused,
        DomainUndeclared: domain_undeclared,
        DomainReferenceMissing: domain_reference_missing,
        DataLossUnplanned: data_loss_unplanned,
    }
    gates {
        ApprovalMissing: APPROVAL_MISSING,
        ApprovalStale: APPROVAL_STALE,
        ApprovalUnverified: APPROVAL_UNVERIFIED,
        DowngradeForbidden: DOWNGRADE_FORBIDDEN,
        ResetForbidden: RESET_FORBIDDEN,
        DirtyState: DIRTY_STATE,
        AppliedModified: APPLIED_MODIFIED,
        AppliedMissing: APPLIED_MISSING,
        OutOfOrder: OUT_OF_ORDER,
        DriftDetected: DRIFT_DETECTED,
        MigrationModified: MIGRATION_MODIFIED,
        ModelChangeWithoutMigration: MODEL_CHANGE_WITHOUT_MIGRATION,
        GuardWaiverInvalid: GUARD_WAIVER_INVALID,
        ReplayFailed: REPLAY_FAILED,
        ReplayNotIdempotent: REPLAY_NOT_IDEMPOTENT,
        RollbackMismatch: ROLLBACK_MISMATCH,
    }
}

/// A contract rule.
pub type ContractRule = fn(&Context<'_>, &mut Vec<Diagnostic>);

/// The registry's rules that `check` selects, in table order.
fn select<T: Copy + Send + Sync + 'static>(pick: fn(Check) -> Option<T>) -> Vec<T> {
    RULES.iter().filter_map(|r| pick(r.check)).collect()
}

/// Statement rules, in table order.
pub(crate) fn statement_rules() -> &'static [StatementRule] {
    static ALL: LazyLock<Vec<StatementRule>> = LazyLock::new(|| {
        select(|c| match c {
            Check::Statement(f) => Some(f),
            _ => None,
        })
    });
    &ALL
}

/// Migration rules (they see the whole migration and its computed risk).
pub(crate) fn migration_rules() -> &'static [MigrationRule] {
    static ALL: LazyLock<Vec<MigrationRule>> = LazyLock::new(|| {
        select(|c| match c {
            Check::Migration(f) => Some(f),
            _ => None,
        })
    });
    &ALL
}

/// Contract rules.
fn contract_rules() -> &'static [ContractRule] {
    static ALL: LazyLock<Vec<ContractRule>> = LazyLock::new(|| {
        select(|c| match c {
            Check::Contract(f) => Some(f),
            _ => None,
        })
    });
    &ALL
}

/// Runs every directory/file contract rule, sorted by path, line and rule.
pub fn lint_contract(ctx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in contract_rules() {
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

/// What a rule file imports to define its `RULE`.
pub(crate) mod define {
    pub(crate) use crate::registry::{Check, Def, Dialects, Group};
    pub(crate) use crate::Severity;
    pub(crate) use sluice_core::header::RiskLevel;
}

/// What statement rules import.
#[allow(unused_imports)]
pub(crate) mod prelude {
    pub(crate) use crate::engine::{locks_existing, Finding, MigrationView, Policy, Stmt};
    pub(crate) use sluice_core::config::Dialect;
    pub(crate) use sluice_core::header::RiskLevel;
    pub(crate) use sluice_sql::facts::{
        Action, ConstraintKind, DefaultKind, Facts, LockMode, ObjectName,
    };
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
            statement_timeout_everywhere: lock_timeout_everywhere,
            risk_overrides: Default::default(),
            domains: Default::default(),
        };
        let a = crate::analysis::analyze(&m, dialect);
        crate::engine::lint_migration(&m, &a, &p).diagnostics
    }

    /// Lints SQL as the up section of a migration with a valid High-risk
    /// header, on MySQL.
    pub fn lint_mysql(sql: &str) -> Vec<Diagnostic> {
        lint_full(&format!("{HEADER}{sql}\n"), Dialect::Mysql, |_| {}, true)
    }

    /// Asserts `rule` fires on `sql` on MySQL; returns its first diagnostic.
    #[track_caller]
    pub fn mysql_err(rule: &str, sql: &str) -> Diagnostic {
        let d = lint_mysql(sql);
        d.iter()
            .find(|d| d.rule == rule)
            .cloned()
            .unwrap_or_else(|| panic!("{rule} did not fire on MySQL:\n{sql}\ngot: {d:#?}"))
    }

    /// Asserts `rule` does not fire on `sql` on MySQL.
    #[track_caller]
    pub fn mysql_ok(rule: &str, sql: &str) {
        let d = lint_mysql(sql);
        assert!(
            !d.iter().any(|d| d.rule == rule),
            "{rule} fired on MySQL:\n{sql}\ngot: {d:#?}"
        );
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

    /// Applies the fix of `rule`'s first finding on `sql` and returns the
    /// edited SQL; panics when the finding has no edit.
    #[track_caller]
    pub fn fixed(rule: &str, sql: &str) -> String {
        let text = format!("{HEADER}{sql}\n");
        let d = lint_full(&text, Dialect::Postgres, |_| {}, false)
            .into_iter()
            .find(|d| d.rule == rule)
            .unwrap_or_else(|| panic!("{rule} did not fire on:\n{sql}"));
        let fix = d.fix.unwrap_or_else(|| panic!("{rule} offers no fix"));
        let (range, with) = fix
            .edit
            .unwrap_or_else(|| panic!("{rule}'s fix has no edit"));
        let mut out = text;
        out.replace_range(range, &with);
        out[HEADER.len()..].trim_end().to_string()
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
            migration_id: "revision",
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
