//! `drop-object` (error, Medium, destructive): `DROP TYPE`, `SEQUENCE`, `VIEW`,
//! `MATERIALIZED VIEW`, `FUNCTION`, `PROCEDURE`, `TRIGGER`, `EXTENSION`,
//! `DOMAIN` (and other object kinds) of an object this migration did not create.
//!
//! **Why.** Code and other objects depend on them; a dropped function or view
//! fails every caller, and CASCADE takes dependants with it.
//!
//! **Example.** `DROP VIEW active_users;`
//!
//! **Instead.** Remove the callers first, then drop with
//! `-- CI:DESTRUCTIVE_OK <ADR> <why>`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-object",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP TYPE / SEQUENCE / VIEW / FUNCTION / ...",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropObject { kind, object } = a {
            if !s.created.object(object) {
                out.push(s.finding(
                    crate::RuleId::DropObject,
                    format!("DROP {kind} {object} breaks whatever still depends on it"),
                    "remove its users first, then drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>` on the same line",
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
        lint_err("drop-object", "DROP VIEW IF EXISTS active_users;");
        lint_err("drop-object", "DROP FUNCTION touch(int);");
        lint_err("drop-object", "DROP TRIGGER t ON users;");
        lint_ok(
            "drop-object",
            "CREATE TYPE mood AS ENUM ('a');\nDROP TYPE mood;",
        );
    }
}
