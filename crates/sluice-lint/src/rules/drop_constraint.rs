//! `drop-constraint` (error, Medium; High for a primary key or unique
//! constraint, destructive): `ALTER TABLE ... DROP CONSTRAINT`.
//!
//! **Why.** The database stops enforcing an invariant the data and the code rely
//! on; dropping a primary key or unique constraint also drops its index. A
//! constraint is judged to be a primary key or unique constraint by Postgres's
//! naming convention (`*_pkey`, `*_key`) or a name ending in `_unique`/`_uniq`.
//!
//! **Example.** `ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;`
//!
//! **Instead.** Replace it first (add the new constraint `NOT VALID`, validate),
//! then drop the old one with `-- CI:DESTRUCTIVE_OK <ADR> <why>`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-constraint",
    severity: Severity::Error,
    risk: Some(RiskLevel::Medium),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP CONSTRAINT",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropConstraint { table, name } = a {
            if s.created.certainly(table) {
                continue;
            }
            let key = ["_pkey", "_key", "_unique", "_uniq"]
                .iter()
                .any(|s| name.ends_with(s));
            let mut f = s.finding_for(a, 
                crate::RuleId::DropConstraint,
                format!(
                    "dropping constraint {name} on {table} stops the database enforcing it{}",
                    if key { " (and drops its unique index)" } else { "" }
                ),
                "add its replacement first, then drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>` on the same line",
            );
            if key {
                f.risk = Some(RiskLevel::High);
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "drop-constraint",
            "ALTER TABLE orders DROP CONSTRAINT orders_pkey;",
        );
        lint_ok("drop-constraint", "CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY);\nALTER TABLE t DROP CONSTRAINT t_pk;");
    }
}
