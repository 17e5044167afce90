//! `mysql-ddl-in-transaction` (warn, Medium): on MySQL or MariaDB, a
//! migration that expects DDL and data changes to be atomic:
//!
//! - a DDL statement inside `BEGIN`/`START TRANSACTION` … `COMMIT`: the
//!   server commits the open transaction before the DDL statement and
//!   again after it, so a later `ROLLBACK` undoes nothing before it;
//! - a data change (`INSERT`, `UPDATE`, `DELETE`, `REPLACE`) followed by a
//!   DDL statement: the rows are committed when the DDL statement starts,
//!   so if it (or anything after it) fails, they stay changed while the
//!   migration is recorded `dirty`.
//!
//! sluice runs every MySQL migration statement by statement and records
//! its progress after each, whatever the file says (`plan` lists what
//! would remain if a statement failed midway); this rule points at the
//! statements whose author assumed otherwise.
//!
//! **Why.** MySQL has no transactional DDL: each DDL statement commits on
//! its own, so "all or nothing" cannot be written in one migration.
//!
//! **Example.** `START TRANSACTION; UPDATE users SET plan = 'free'; ALTER TABLE users DROP COLUMN legacy_plan; COMMIT;`
//!
//! **Instead.** Put the schema change and the data change in separate
//! migrations (DDL first, then the data change, which then runs in its own
//! transaction), and make each one safe to re-run after `resolve`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "mysql-ddl-in-transaction",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Medium),
    group: Group::Statement,
    dialects: Dialects::Mysql,
    summary: "DDL mixed with data changes or inside a transaction (MySQL/MariaDB commit DDL implicitly)",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let mut open: Option<usize> = None;
    let mut first_dml: Option<usize> = None;
    for (i, s, f) in v.up() {
        let line = s.stmt.line;
        if let Some(Action::Transaction { kind }) = f.actions.first() {
            match kind.as_str() {
                "BEGIN" => open = Some(line),
                _ => open = None,
            }
            continue;
        }
        if f.changes_schema() {
            if let Some(begin) = open {
                out.push(v.at(
                    i,
                    crate::RuleId::MysqlDdlInTransaction,
                    format!(
                        "{} commits the transaction opened at line {begin}: MySQL commits before and after every DDL statement, so nothing before it can be rolled back",
                        f.kind
                    ),
                    "remove BEGIN/COMMIT and split the data change into its own migration",
                ));
            } else if let Some(dml) = first_dml {
                out.push(v.at(
                    i,
                    crate::RuleId::MysqlDdlInTransaction,
                    format!(
                        "{} commits the rows changed from line {dml} on: if it fails, they stay changed (MySQL commits each DDL statement on its own)",
                        f.kind
                    ),
                    "put the data change in a migration of its own, after the schema change",
                ));
                first_dml = None;
            }
        } else if f.changes_rows() && first_dml.is_none() {
            first_dml = Some(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_when_atomicity_is_assumed() {
        let d = mysql_err(
            "mysql-ddl-in-transaction",
            "START TRANSACTION;\nUPDATE users SET plan = 'free' WHERE plan IS NULL;\nALTER TABLE users DROP COLUMN legacy_plan;\nCOMMIT;",
        );
        assert!(d.message.contains("opened at line"), "{}", d.message);
        let d = mysql_err(
            "mysql-ddl-in-transaction",
            "INSERT INTO plans (name) VALUES ('free');\nALTER TABLE users ADD COLUMN plan_id INT NULL;",
        );
        assert!(d.message.contains("rows changed from line"), "{}", d.message);
        for ok in [
            // Seed rows after the DDL: nothing DDL commits behind their back.
            "CREATE TABLE plans (id INT PRIMARY KEY, name VARCHAR(20));\nINSERT INTO plans VALUES (1, 'free');",
            "START TRANSACTION;\nINSERT INTO plans VALUES (1, 'free');\nCOMMIT;",
        ] {
            mysql_ok("mysql-ddl-in-transaction", ok);
        }
        lint_ok(
            "mysql-ddl-in-transaction",
            "INSERT INTO plans (name) VALUES ('free');\nALTER TABLE users ADD COLUMN plan_id int;",
        );
    }
}
