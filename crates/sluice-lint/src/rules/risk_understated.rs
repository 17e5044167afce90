//! `risk-understated` (error): the header's `RISK_LEVEL` is lower than the risk
//! sluice computes for the migration (the highest risk of its statements; see
//! the Risk section of the rule catalogue).
//!
//! **Why.** Approvals are required per risk level: an understated risk skips the
//! review the team agreed a change like this needs.
//!
//! **Example.** `-- RISK_LEVEL: Low` on a migration that drops a column.
//!
//! **Instead.** Declare the computed risk (the message says which statements set
//! it), or make the change less risky.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "risk-understated",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "declared RISK_LEVEL is lower than the computed risk",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let Some(field) = v.migration.header.get("RISK_LEVEL") else {
        return;
    };
    let Some(declared) = RiskLevel::parse(&field.value) else {
        return;
    };
    if declared < v.risk {
        out.push(v.at_line(
            field.line,
            field.value_column,
            crate::RuleId::RiskUnderstated,
            format!(
                "RISK_LEVEL is {} but the computed risk is {} ({})",
                declared.as_str(),
                v.risk.as_str(),
                v.risk_reasons.join("; ")
            ),
            format!(
                "declare `-- RISK_LEVEL: {}`, which sets the approvals it needs",
                v.risk.as_str()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use sluice_core::config::Dialect;

    fn run(risk: &str, sql: &str) -> Vec<String> {
        let text = HEADER.replace("RISK_LEVEL: High", &format!("RISK_LEVEL: {risk}")) + sql + "\n";
        lint_full(&text, Dialect::Postgres, |_| {}, true)
            .into_iter()
            .filter(|d| d.rule == "risk-understated")
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn compares_declared_and_computed() {
        let m = run(
            "Low",
            "ALTER TABLE users DROP COLUMN c; -- CI:DESTRUCTIVE_OK ADR-9 unused",
        );
        assert_eq!(m.len(), 1, "a bypass does not lower the risk");
        assert!(
            m[0].contains("computed risk is High") && m[0].contains("line 7"),
            "{m:?}"
        );
        assert_eq!(run("Medium", "CREATE INDEX i ON users (a);").len(), 0);
        assert_eq!(run("Low", "CREATE INDEX i ON users (a);").len(), 1);
        assert_eq!(run("Low", "CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\nALTER TABLE users ADD COLUMN bio text;").len(), 0);
        assert_eq!(
            run("Low", "ALTER TABLE users ALTER COLUMN a SET DEFAULT 0;").len(),
            1,
            "non-additive and blocks writes"
        );
    }
}
