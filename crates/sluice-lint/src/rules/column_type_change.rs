//! `column-type-change` (error, High, destructive): `ALTER COLUMN ... TYPE` on a
//! table this migration did not create; on MySQL and MariaDB, `MODIFY` or
//! `CHANGE` of a column's definition (which restates its type).
//!
//! **Why.** Most type changes rewrite the whole table under an ACCESS EXCLUSIVE
//! lock, and a narrowing change (`bigint` → `int`, `text` → `varchar(20)`) fails
//! or truncates on existing data. On MySQL and MariaDB a narrowing change
//! truncates or zeroes values silently outside strict mode, and the change
//! copies the table (see `mysql-table-copy`).
//!
//! **Example.** `ALTER TABLE events ALTER COLUMN id TYPE bigint;`
//!
//! **Instead.** Add a new column, backfill in batches, switch reads and writes,
//! then drop the old column; or bypass with `-- CI:DESTRUCTIVE_OK <ADR> <why>`
//! for a change known to be metadata-only (e.g. `varchar(n)` → `text`).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "column-type-change",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "ALTER COLUMN ... TYPE",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::AlterColumnType { table, column } = a {
            if !s.created.certainly(table) {
                out.push(s.finding_for(a, 
                    crate::RuleId::ColumnTypeChange,
                    if p.dialect.is_mysql() {
                        format!("redefining {table}.{column} can change its type: a narrower type truncates or rejects existing values")
                    } else {
                        format!("changing the type of {table}.{column} can rewrite the table under an ACCESS EXCLUSIVE lock and lose data")
                    },
                    "add a new column, backfill, switch over, then drop the old one; bypass only for metadata-only changes",
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
        lint_err(
            "column-type-change",
            "ALTER TABLE events ALTER COLUMN id TYPE bigint;",
        );
        lint_ok(
            "column-type-change",
            "CREATE TABLE e (id int);\nALTER TABLE e ALTER COLUMN id TYPE bigint;",
        );
    }
}
