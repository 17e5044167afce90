//! Real migrations written by other teams, through the analysis and every rule.

use sluice_core::config::{Dialect, PolicySection};
use sluice_core::{Migration, Version};
use sluice_lint::analysis::analyze;
use sluice_lint::history::Model;
use sluice_lint::{lint_migration_in, Diagnostic, Policy};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(name);
    assert!(
        p.is_dir(),
        "corpus {} is missing (shared/ must sit beside the repository)",
        p.display()
    );
    p
}

/// supabase/auth's migrations are Go templates; the namespace renders as `auth`.
fn supabase_migrations() -> Vec<Migration> {
    let dir = corpus("supabase-auth/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p)
                .unwrap()
                .replace("{{ index .Options \"Namespace\" }}", "auth")
                .replace("{{index .Options \"Namespace\" }}", "auth");
            let version = name.split('_').next().unwrap().to_string();
            Migration::parse_native(
                Version::parse(&version).unwrap(),
                name.trim_end_matches(".up.sql").to_string(),
                name.clone(),
                p.clone(),
                format!("supabase-auth/migrations/{name}"),
                text.as_bytes(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn supabase_auth_has_no_syntax_errors_and_sensible_findings() {
    let migrations = supabase_migrations();
    assert_eq!(migrations.len(), 70);
    // Upstream has no sluice headers; judge the SQL only.
    let policy_section = PolicySection {
        require_header: vec![],
        ..Default::default()
    };
    let policy = Policy {
        dialect: Dialect::Postgres,
        policy: &policy_section,
        bypass: regex::Regex::new(&policy_section.bypass_reference).unwrap(),
        lock_timeout_everywhere: true,
        statement_timeout_everywhere: true,
        risk_overrides: Default::default(),
        domains: Default::default(),
    };
    let mut all: Vec<Diagnostic> = Vec::new();
    let mut statements = 0;
    // In order, each against the history before it.
    let mut model = Model::empty();
    for m in &migrations {
        let a = analyze(m, Dialect::Postgres);
        statements += a.statements.len();
        all.extend(lint_migration_in(m, &a, &policy, &mut model).diagnostics);
    }
    let syntax: Vec<_> = all.iter().filter(|d| d.rule == "syntax-error").collect();
    assert!(
        syntax.is_empty(),
        "syntax errors in valid migrations: {syntax:#?}"
    );
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &all {
        *by_rule.entry(d.rule).or_default() += 1;
    }
    println!(
        "supabase-auth: {} migrations, {statements} statements, findings by rule: {by_rule:?}",
        migrations.len()
    );
    for d in &all {
        println!("  {}:{}: {}: {}", d.path, d.line, d.rule, d.message);
    }
    assert!(statements > 200, "{statements}");
    // The history model follows the whole history (every statement parses),
    // and `CREATE TABLE IF NOT EXISTS` of a table an earlier migration
    // created creates nothing: a later index on it is judged on an existing
    // table.
    assert!(model.complete());
    assert!(
        model
            .table(&sluice_sql::facts::ObjectName {
                schema: Some("auth".into()),
                name: "users".into()
            })
            .is_some_and(|t| t.columns.iter().any(|c| c == "email")),
        "auth.users in the model"
    );
}

#[test]
fn airflow_alembic_history_is_one_chain_without_syntax_errors() {
    use sluice_core::catalog::{Catalog, CatalogOptions};
    use sluice_core::config::{Layout, DEFAULT_ALEMBIC_FILENAME};
    use sluice_core::CatalogIssue;
    let dir = corpus("airflow-alembic/versions");
    let re = regex::Regex::new(DEFAULT_ALEMBIC_FILENAME).unwrap();
    let catalog = Catalog::load(&CatalogOptions {
        dir: &dir,
        root: &dir,
        filename: &re,
        ignore: &[],
        layout: Layout::Alembic,
        cache: None,
    })
    .unwrap();
    assert!(
        catalog.migrations.len() >= 124,
        "{}",
        catalog.migrations.len()
    );
    let graph_issues: Vec<_> = catalog
        .issues
        .iter()
        .filter(|i| {
            matches!(
                i,
                CatalogIssue::MultipleHeads { .. }
                    | CatalogIssue::RevisionGap { .. }
                    | CatalogIssue::DuplicateVersion { .. }
            )
        })
        .collect();
    assert!(graph_issues.is_empty(), "{graph_issues:#?}");
    // The squashed root comes first.
    assert!(
        catalog.migrations[0].file_name.starts_with("0000_"),
        "{}",
        catalog.migrations[0].file_name
    );
    let policy_section = PolicySection {
        require_header: vec![],
        ..Default::default()
    };
    let policy = Policy {
        dialect: Dialect::Postgres,
        policy: &policy_section,
        bypass: regex::Regex::new(&policy_section.bypass_reference).unwrap(),
        lock_timeout_everywhere: true,
        statement_timeout_everywhere: true,
        risk_overrides: Default::default(),
        domains: Default::default(),
    };
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut calls = 0;
    let mut all = Vec::new();
    let mut model = Model::empty();
    for m in &catalog.migrations {
        let a = sluice_lint::alembic::analyze(m, Dialect::Postgres);
        calls += a.statements.len();
        for d in lint_migration_in(m, &a, &policy, &mut model).diagnostics {
            *by_rule.entry(d.rule).or_default() += 1;
            all.push(d);
        }
    }
    println!(
        "airflow-alembic: {} revisions, {calls} op calls, findings by rule: {by_rule:?}",
        catalog.migrations.len()
    );
    let syntax: Vec<_> = all
        .iter()
        .filter(|d| d.rule == "syntax-error")
        .map(|d| format!("{}:{}: {}", d.path, d.line, d.message))
        .collect();
    assert!(syntax.is_empty(), "{}", syntax.join("\n"));
    assert!(calls > 300, "{calls}");
}
