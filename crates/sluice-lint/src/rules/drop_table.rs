//! `drop-table` (error, High, destructive): `DROP TABLE` of a table that this
//! migration did not create.
//!
//! **Why.** The table and every row in it are gone the moment the migration
//! commits, and the code still running against it starts failing. There is no
//! down migration for data.
//!
//! **Example.** `DROP TABLE legacy_events;`
//!
//! **Instead.** Stop using the table in code first, deploy, keep a backup, then
//! drop it with a bypass that cites the decision on the same line:
//! `DROP TABLE legacy_events;  -- CI:DESTRUCTIVE_OK ADR-015 unused since v42`.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "drop-table",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "DROP TABLE",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        if let Action::DropTable { table } = a {
            if !s.created.certainly(table) {
                out.push(s.finding(
                    crate::RuleId::DropTable,
                    format!("DROP TABLE {table} destroys the table and all its rows"),
                    "stop using the table first; then keep it, or drop it with `-- CI:DESTRUCTIVE_OK <ADR> <why>` on the same line",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_existing_tables_only() {
        let d = lint_err("drop-table", "DROP TABLE IF EXISTS app.legacy;");
        assert_eq!((d.line, d.column), (7, 1));
        assert!(d.message.contains("app.legacy"));
        lint_ok("drop-table", "CREATE TABLE tmp (id int);\nDROP TABLE tmp;");
    }

    #[test]
    fn bypass_needs_a_reference() {
        lint_ok(
            "drop-table",
            "DROP TABLE legacy;  -- CI:DESTRUCTIVE_OK See ADR-015 for deprecation timeline",
        );
        lint_err(
            "bypass-invalid",
            "DROP TABLE legacy;  -- CI:DESTRUCTIVE_OK because I said so",
        );
        lint_ok(
            "drop-table",
            "DROP TABLE legacy;  -- CI:DESTRUCTIVE_OK because I said so",
        );
    }

    #[test]
    fn a_drop_inside_a_function_body_is_not_a_statement() {
        lint_ok("drop-table", "CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE users; END $$;");
    }

    /// A down section that drops what the up section creates reverses the
    /// migration: not destructive. Dropping anything else in it still is.
    #[test]
    fn a_down_section_reversing_the_up_section_is_not_destructive() {
        let d = lint_sql("CREATE TABLE a (id int);\nCREATE INDEX a_id ON a (id);\n-- sluice:down\nDROP INDEX a_id;\nDROP TABLE a;");
        assert!(
            d.iter().all(|d| d.rule != "drop-table" && d.rule != "drop-index"),
            "{d:#?}"
        );
        lint_err(
            "drop-table",
            "CREATE TABLE a (id int);\n-- sluice:down\nDROP TABLE a;\nDROP TABLE users;",
        );
    }
}
