//! `syntax-error` (error): a statement does not parse in the configured dialect.
//! Raised by the engine; analysis continues with the next statement.
//!
//! PostgreSQL migrations are parsed with the real Postgres grammar
//! (libpg_query, PostgreSQL 18's, which accepts some syntax older servers
//! reject). psql meta-commands (`\set`, `\connect`) and psql variables are not
//! SQL and are reported here too: the server cannot run them. An unterminated
//! quote, comment or dollar quote is reported where it opens. SQLite and MySQL
//! migrations are classified, not parsed, and never raise it.
//!
//! **Why.** It fails when applied, possibly halfway through a no-transaction
//! migration.
//!
//! **Example.** `CREATE TABEL users (id int);`
//!
//! **Instead.** Fix the statement; `sluice check` points at the token.

use super::define::*;
/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "syntax-error",
    severity: Severity::Error,
    risk: None,
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "a statement does not parse in the configured dialect",
    check: Check::Raised,
};

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn points_at_the_token_and_continues() {
        let d = lint_sql("CREATE TABLE a (id int);\nCREATE TABEL users (id int);\nDROP TABLE b;");
        let e = d
            .iter()
            .find(|d| d.rule == "syntax-error")
            .expect("syntax error");
        assert_eq!((e.line, e.column), (8, 8));
        assert!(e.message.contains("TABEL"));
        assert!(
            d.iter().any(|d| d.rule == "drop-table"),
            "analysis continued"
        );
    }

    #[test]
    fn unterminated_quote_and_meta_commands() {
        let d = lint_err("syntax-error", "SELECT 1;\nSELECT 'oops;\n");
        assert_eq!(d.line, 8);
        lint_err("syntax-error", "\\set ON_ERROR_STOP on\nSELECT 1;");
    }
}
