//! `drop-database` (error, High, destructive): `DROP DATABASE`.
//!
//! **Why.** A migration should never destroy a database; this is almost always a
//! script run against the wrong target.
//!
//! **Example.** `DROP DATABASE analytics;`
//!
//! **Instead.** Do it by hand, with a ticket, outside migrations.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-database",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP DATABASE",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropDatabase { database } = a {
            out.push(s.finding(
                crate::RuleId::DropDatabase,
                format!("DROP DATABASE {database} destroys a whole database"),
                "databases are not dropped by migrations: do it by hand with a ticket",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err("drop-database", "DROP DATABASE IF EXISTS analytics;");
        lint_ok("drop-database", "CREATE TABLE t (id int);");
    }
}
