//! `drop-schema` (error, High, destructive): `DROP SCHEMA`.
//!
//! **Why.** Everything in the schema goes with it (with CASCADE, silently).
//!
//! **Example.** `DROP SCHEMA reporting CASCADE;`
//!
//! **Instead.** Drop the objects you mean, one by one, each justified; or bypass
//! with `-- CI:DESTRUCTIVE_OK <ADR> <why>`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-schema",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP SCHEMA",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropSchema { schema } = a {
            if !s.created.object(&ObjectName::bare(schema.clone())) {
                out.push(s.finding(
                    crate::RuleId::DropSchema,
                    format!("DROP SCHEMA {schema} destroys every object in it"),
                    "drop the objects you mean explicitly, or bypass with `-- CI:DESTRUCTIVE_OK <ADR> <why>`",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("drop-schema", "DROP SCHEMA reporting CASCADE;");
        lint_ok(
            "drop-schema",
            "CREATE SCHEMA scratch;\nDROP SCHEMA scratch;",
        );
    }
}
