//! Every statement and migration rule's documented example (the `**Example.**`
//! line of its file's `//!` page, the text `docs/rules/<id>.md` shows) is
//! linted and must raise that rule; the rendered text diagnostic is
//! snapshotted, so a change to a rule's message, help, position or underline
//! shows up in review.

use sluice_core::config::{Dialect, PolicySection};
use sluice_lint::registry::Check;
use sluice_lint::{Diagnostic, RULES, RULE_SOURCES};

const HEADER: &str = "-- MIGRATION_ID: 1000000000001\n-- TITLE: example\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: High\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: restore\n";
const FILE: &str = "db/migrations/1000000000001_example.sql";

/// The first backticked text after `**Example.**` in a rule's page.
fn example(src: &str) -> Option<String> {
    let doc: String = src
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim_start())
        .collect::<Vec<_>>()
        .join(" ");
    let rest = &doc[doc.find("**Example.**")? + "**Example.**".len()..];
    let start = rest.find('`')? + 1;
    let end = start + rest[start..].find('`')?;
    Some(rest[start..end].to_string())
}

/// The rules whose example needs context a one-line example cannot carry (a
/// header, a whole file, a policy setting): the file and the policy, spelled
/// out as the rule's page describes them.
fn with_context(id: &str) -> Option<(String, PolicySection)> {
    let mut p = PolicySection::default();
    let header = |risk: &str, rest: &str| {
        format!("-- MIGRATION_ID: 1000000000001\n-- TITLE: example\n-- CHANGE_TYPE: Table\n-- RISK_LEVEL: {risk}\n{rest}")
    };
    let text = match id {
        "risk-understated" => header(
            "Low",
            "-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: restore\nALTER TABLE users DROP COLUMN legacy; -- CI:DESTRUCTIVE_OK ADR-7 unused\n",
        ),
        "forward-only-undocumented" => header("Low", "-- FORWARD_ONLY: Yes\nCREATE TABLE notes (id int);\n"),
        "irreversible-undocumented" => header("Low", "-- FORWARD_ONLY: No\nCREATE TABLE notes (id int);\n"),
        "non-additive" => {
            p.additive_only = true;
            format!("{HEADER}ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
        }
        "non-robust-statement" => format!(
            "-- sluice:no-transaction\n{HEADER}CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);\n"
        ),
        "concurrently-in-transaction" => {
            format!("{HEADER}CREATE INDEX CONCURRENTLY i ON t (a);\n")
        }
        "rls-missing" => {
            p.require_rls_in_schemas = vec!["public".into()];
            format!("{HEADER}CREATE TABLE notes (id bigint PRIMARY KEY);\n")
        }
        "out-of-scope" => {
            p.allowed_tables = vec!["users".into(), "orders".into()];
            format!("{HEADER}CREATE TABLE coupons (id bigint PRIMARY KEY);\n")
        }
        "mixed-purpose" => format!(
            "{HEADER}ALTER TABLE orders ALTER COLUMN total TYPE numeric;\nCREATE TABLE coupons (id bigint PRIMARY KEY);\n"
        ),
        _ => return None,
    };
    Some((text, p))
}

/// Lints `text` as a migration file in `dialect` with `policy` and no
/// environment lock_timeout.
fn lint(text: String, policy: PolicySection, dialect: Dialect) -> (String, Vec<Diagnostic>) {
    let m = sluice_core::Migration::parse_native(
        sluice_core::Version::parse("1000000000001").unwrap(),
        "example".into(),
        "1000000000001_example.sql".into(),
        FILE.into(),
        FILE.into(),
        text.as_bytes(),
    )
    .unwrap();
    let p = sluice_lint::Policy {
        dialect,
        bypass: regex::Regex::new(&policy.bypass_reference).unwrap(),
        policy: &policy,
        lock_timeout_everywhere: false,
        statement_timeout_everywhere: false,
        risk_overrides: Default::default(),
        domains: Default::default(),
    };
    let a = sluice_lint::analysis::analyze(&m, dialect);
    (text, sluice_lint::lint_migration(&m, &a, &p).diagnostics)
}

#[test]
fn every_statement_rule_example_fires_and_renders() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in RULES {
        if !matches!(r.check, Check::Statement(_) | Check::Migration(_)) {
            continue;
        }
        let src = RULE_SOURCES
            .iter()
            .find(|(id, _)| *id == r.id)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{} has no page", r.id));
        let Some(sql) = example(src) else {
            panic!("{}'s page has no **Example.**", r.id);
        };
        let (text, policy) = with_context(r.id)
            .unwrap_or_else(|| (format!("{HEADER}{sql}\n"), PolicySection::default()));
        // A MySQL-only rule's example is MySQL.
        let dialect = if r.dialects == sluice_lint::registry::Dialects::Mysql {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        };
        let (text, diags) = lint(text, policy, dialect);
        let mine: Vec<Diagnostic> = diags.into_iter().filter(|d| d.rule == r.id).collect();
        if mine.is_empty() {
            failures.push(format!("{}: {sql}", r.id));
            continue;
        }
        let summary = sluice_report::Summary::of(&mine, 1);
        let rendered =
            sluice_report::text::render(&mine, summary, &|p| (p == FILE).then(|| text.clone()));
        insta::assert_snapshot!(r.id, rendered);
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "documented examples that do not raise their rule:\n{}",
        failures.join("\n")
    );
    assert!(checked > 20, "{checked}");
}
