//! `mysql-table-copy` (warn, High): on MySQL or MariaDB, an `ALTER TABLE`
//! (or index change) on a table this migration did not create that InnoDB
//! can run neither `INSTANT` nor `INPLACE` without blocking writes: it copies
//! the table (`ALGORITHM=COPY`) or holds `LOCK=SHARED`/`EXCLUSIVE`. The
//! message names the algorithm and lock level the server will use and the
//! operation that decides them.
//!
//! The algorithm of each operation (MySQL 8.0.29+, MariaDB 10.6+):
//! `ADD`/`DROP`/`RENAME COLUMN`, defaults and table renames are INSTANT;
//! indexes, primary keys and dropping keys are INPLACE with concurrent
//! writes; FULLTEXT/SPATIAL indexes and `AUTO_INCREMENT` columns are INPLACE
//! with `LOCK=SHARED`; `MODIFY`/`CHANGE` of a column's definition, `ADD
//! FOREIGN KEY` (with `foreign_key_checks` on), `ADD CHECK`, `DROP PRIMARY
//! KEY` alone and STORED generated columns COPY the table. `ALGORITHM=` and
//! `LOCK=` clauses are honoured: `ALGORITHM=INPLACE` or `INSTANT` (and
//! `LOCK=NONE`) make the server refuse the statement instead of copying, so
//! they silence the rule; `ALGORITHM=COPY` and `LOCK=SHARED|EXCLUSIVE`
//! raise it. `plan` replays each `ALTER TABLE` on a scratch database of the
//! target's own server and reports the algorithm the server accepts.
//!
//! **Why.** A copy rebuilds every row while writes to the table wait (with
//! `LOCK=EXCLUSIVE`, reads too): on a large table that is an outage as long
//! as the copy.
//!
//! **Example.** `ALTER TABLE orders MODIFY amount DECIMAL(12,2) NOT NULL;`
//!
//! **Instead.** Add a new column (INSTANT), backfill it in batches, switch
//! reads and writes, then drop the old one; or run the change with an
//! online schema-change tool (gh-ost, pt-online-schema-change). When only
//! the name, the default or a `VARCHAR` length within the same length byte
//! changes, say so with `, ALGORITHM=INPLACE, LOCK=NONE`: the server then
//! refuses rather than copies if it cannot.

use super::define::*;
use super::prelude::*;
use sluice_sql::facts::{Algorithm, DdlLock};

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "mysql-table-copy",
    severity: Severity::Warn,
    risk: Some(RiskLevel::High),
    group: Group::Statement,
    dialects: Dialects::Mysql,
    summary: "an ALTER TABLE that copies the table or blocks writes (MySQL/MariaDB)",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let Some(d) = &s.facts.online_ddl else {
        return;
    };
    if s.created.table(&d.table) || (d.algorithm < Algorithm::Copy && d.lock == DdlLock::None) {
        return;
    }
    let blocks = match d.lock {
        DdlLock::Exclusive => "blocks reads and writes",
        _ => "blocks writes",
    };
    let what = if d.algorithm == Algorithm::Copy {
        format!("copies `{}` row by row", d.table)
    } else {
        format!("rebuilds `{}`", d.table)
    };
    let why = match (d.algorithm_clause, d.lock_clause) {
        (Some(Algorithm::Copy), _) => "ALGORITHM=COPY".to_string(),
        (_, Some(l)) if l >= DdlLock::Shared => format!("LOCK={}", l.as_str()),
        _ => d.decided_by.clone(),
    };
    out.push(s.finding(
        crate::RuleId::MysqlTableCopy,
        format!(
            "runs ALGORITHM={} with LOCK={} ({why}): MySQL {what} and {blocks} until it finishes",
            d.algorithm.as_str(),
            d.lock.as_str(),
        ),
        "add a new column and backfill it, or use gh-ost / pt-online-schema-change; if the server can do it online, append `, ALGORITHM=INPLACE, LOCK=NONE` so it refuses instead of copying",
    ));
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_copies_and_blocking_locks_of_existing_tables() {
        let d = mysql_err(
            "mysql-table-copy",
            "ALTER TABLE orders MODIFY amount DECIMAL(12,2) NOT NULL;",
        );
        assert!(d.message.contains("ALGORITHM=COPY with LOCK=SHARED"), "{}", d.message);
        assert!(d.message.contains("MODIFY `amount`"), "{}", d.message);
        mysql_err(
            "mysql-table-copy",
            "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);",
        );
        let d = mysql_err(
            "mysql-table-copy",
            "ALTER TABLE orders ADD COLUMN note TEXT, ALGORITHM=COPY;",
        );
        assert!(d.message.contains("(ALGORITHM=COPY)"), "{}", d.message);
        let d = mysql_err(
            "mysql-table-copy",
            "ALTER TABLE orders ADD INDEX o_u (user_id), LOCK=EXCLUSIVE;",
        );
        assert!(d.message.contains("blocks reads and writes"), "{}", d.message);
        mysql_err(
            "mysql-table-copy",
            "ALTER TABLE posts ADD FULLTEXT INDEX ft (body);",
        );
        for ok in [
            "ALTER TABLE orders ADD COLUMN note TEXT NULL;",
            "ALTER TABLE orders DROP COLUMN note;",
            "ALTER TABLE orders ADD INDEX o_u (user_id);",
            "CREATE INDEX o_u ON orders (user_id);",
            "ALTER TABLE orders RENAME COLUMN a TO b;",
            // Honoured: the server refuses rather than copies.
            "ALTER TABLE orders MODIFY amount DECIMAL(12,2), ALGORITHM=INPLACE, LOCK=NONE;",
            // A table created earlier in the migration has no rows to copy.
            "CREATE TABLE t (id INT PRIMARY KEY);\nALTER TABLE t MODIFY id BIGINT;",
        ] {
            mysql_ok("mysql-table-copy", ok);
        }
        // Postgres never sees it.
        lint_ok("mysql-table-copy", "ALTER TABLE orders ALTER COLUMN a TYPE bigint;");
    }
}
