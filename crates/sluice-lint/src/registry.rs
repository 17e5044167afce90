//! The rule registry's types: a rule's definition ([`Def`], exported by its
//! file in `rules/`), the registered entry ([`RuleInfo`]), and lookups and
//! `[rules]` overrides over [`RULES`].
//!
//! The list itself is the `registry!` table in `rules/mod.rs`: one line per
//! rule, from which the [`RuleId`] enum and [`RULES`] are generated. Ids are
//! stable and never reused.

use crate::diagnostic::Severity;
use sluice_core::header::RiskLevel;
use std::collections::BTreeMap;

/// Which part of the pipeline raises a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Directory and file contract (no SQL needed).
    Contract,
    /// Statement analysis.
    Statement,
    /// Destructive statements (need a bypass).
    Destructive,
    /// Gates checked at apply time.
    Gate,
}

/// How a rule is run.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Over the directory (files, headers, the ledger).
    Contract(crate::rules::ContractRule),
    /// Over one statement.
    Statement(crate::engine::StatementRule),
    /// Over a whole migration and its computed risk.
    Migration(crate::engine::MigrationRule),
    /// Raised by the engine or a command (syntax errors, bypasses,
    /// suppressions, gates), not run from the registry.
    Raised,
}

/// A rule's definition, as its file in `rules/` exports it (`RULE`).
#[derive(Debug, Clone, Copy)]
pub struct Def {
    /// The stable id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Risk a matching statement carries, when the rule has one.
    pub risk: Option<RiskLevel>,
    /// Group.
    pub group: Group,
    /// The dialects it applies to; the engine drops its findings elsewhere.
    pub dialects: Dialects,
    /// One line: when it fires.
    pub summary: &'static str,
    /// How it runs.
    pub check: Check,
}

/// One registered rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// The rule, as a type.
    pub rule: RuleId,
    /// The stable id.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Risk a matching statement carries, when the rule has one.
    pub risk: Option<RiskLevel>,
    /// Group.
    pub group: Group,
    /// Whether this version raises it (every registered rule does).
    pub implemented: bool,
    /// One line: when it fires.
    pub summary: &'static str,
    /// The dialects it applies to; the engine drops its findings elsewhere.
    pub dialects: Dialects,
    /// How it runs.
    pub check: Check,
}

impl RuleInfo {
    /// The entry for `rule`, defined by `def`.
    pub const fn new(rule: RuleId, def: Def) -> RuleInfo {
        RuleInfo {
            rule,
            id: def.id,
            severity: def.severity,
            risk: def.risk,
            group: def.group,
            implemented: true,
            summary: def.summary,
            dialects: def.dialects,
            check: def.check,
        }
    }
}

/// Which dialects a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialects {
    /// Every dialect.
    All,
    /// PostgreSQL only (its lock levels, CONCURRENTLY, NOT VALID).
    Postgres,
    /// MySQL and MariaDB only (online DDL, implicit commits).
    Mysql,
    /// Every dialect but MySQL and MariaDB.
    NotMysql,
}

impl RuleInfo {
    /// Whether the rule applies to `dialect`.
    pub fn applies_to(&self, dialect: sluice_core::config::Dialect) -> bool {
        match self.dialects {
            Dialects::All => true,
            Dialects::Postgres => dialect == sluice_core::config::Dialect::Postgres,
            Dialects::Mysql => dialect.is_mysql(),
            Dialects::NotMysql => !dialect.is_mysql(),
        }
    }
}

pub use crate::rules::{RuleId, RULES};

/// The registry entry for an id.
pub fn lookup(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

impl RuleId {
    /// The stable id (`drop-column`).
    pub fn as_str(self) -> &'static str {
        self.info().id
    }

    /// Its registry entry.
    pub fn info(self) -> &'static RuleInfo {
        &RULES[self as usize]
    }

    /// The rule with this id.
    pub fn parse(id: &str) -> Option<RuleId> {
        lookup(id).map(|r| r.rule)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity override from `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Force error.
    Error,
    /// Force warning.
    Warn,
    /// Do not report.
    Off,
}

/// Validates `[rules]`: every key must be a registered id and every value
/// `error`, `warn` or `off`. The error names the key and suggests the closest id.
pub fn parse_overrides(
    raw: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, Level>, String> {
    let mut out = BTreeMap::new();
    for (k, v) in raw {
        let Some(info) = lookup(k) else {
            let hint = closest(k)
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            return Err(format!("[rules] names an unknown rule id `{k}`{hint}"));
        };
        let level = match v.as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "off" => Level::Off,
            other => {
                return Err(format!(
                    "[rules] {k} = {other:?}: the value must be \"error\", \"warn\" or \"off\""
                ))
            }
        };
        out.insert(info.id, level);
    }
    Ok(out)
}

/// Applies overrides: changes severities and drops `off` rules.
pub fn apply_overrides(
    diags: Vec<crate::Diagnostic>,
    overrides: &BTreeMap<&'static str, Level>,
) -> Vec<crate::Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            match overrides.get(d.rule) {
                Some(Level::Off) => return None,
                Some(Level::Error) => d.severity = Severity::Error,
                Some(Level::Warn) => d.severity = Severity::Warn,
                None => {}
            }
            Some(d)
        })
        .collect()
}

fn closest(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (edit_distance(id, r.id), r.id))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, id)| id)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_index_the_table() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.rule as usize, i, "{}", r.id);
            assert_eq!(r.rule.as_str(), r.id);
            assert_eq!(RuleId::parse(r.id), Some(r.rule));
            assert_eq!(r.rule.info().id, r.id);
        }
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate {}", r.id);
            assert!(
                r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                r.id
            );
        }
    }

    /// A rule file's `RULE` names the rule its documentation describes (a
    /// copied file whose id was not changed would claim another rule's id).
    #[test]
    fn each_rule_file_defines_the_rule_it_documents() {
        for (id, src) in crate::RULE_SOURCES {
            assert!(src.starts_with(&format!("//! `{id}`")), "{id}");
        }
        assert_eq!(
            crate::RULE_SOURCES.len(),
            RULES
                .iter()
                .filter(|r| !matches!(r.rule.info().check, Check::Raised)
                    || crate::RULE_SOURCES.iter().any(|(i, _)| *i == r.id))
                .count()
        );
    }

    #[test]
    fn overrides_are_validated() {
        let mut raw = BTreeMap::new();
        raw.insert("mixd-purpose".to_string(), "warn".to_string());
        let e = parse_overrides(&raw).unwrap_err();
        assert!(
            e.contains("mixd-purpose") && e.contains("mixed-purpose"),
            "{e}"
        );
        raw.clear();
        raw.insert("header-missing".to_string(), "loud".to_string());
        assert!(parse_overrides(&raw).is_err());
        raw.insert("header-missing".to_string(), "off".to_string());
        assert_eq!(parse_overrides(&raw).unwrap()["header-missing"], Level::Off);
    }
}
