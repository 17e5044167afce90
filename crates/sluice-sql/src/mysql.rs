//! MySQL statements checked against a MySQL grammar (sqlparser's MySQL
//! dialect): a statement the grammar rejects is a syntax error, with the
//! parser's line and column. Client directives and statement forms the
//! grammar does not cover (routines and triggers with bodies, `DELIMITER`)
//! are not judged: sluice never calls something MySQL accepts an error it
//! cannot show.

use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// A syntax error in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What the parser said (with its line and column in the statement).
    pub message: String,
}

/// Leading words of statements sqlparser's MySQL grammar does not cover:
/// left unjudged.
const UNJUDGED: &[&str] = &[
    "CREATE PROCEDURE",
    "CREATE FUNCTION",
    "CREATE TRIGGER",
    "CREATE EVENT",
    "CREATE DEFINER",
    "CREATE OR REPLACE PROCEDURE",
    "CREATE OR REPLACE FUNCTION",
    "CREATE OR REPLACE TRIGGER",
    "ALTER EVENT",
    "ALTER PROCEDURE",
    "ALTER FUNCTION",
    "DELIMITER",
    "CALL",
    "HANDLER",
    "XA",
    "GRANT",
    "REVOKE",
];

/// Checks one statement. Ok when the grammar accepts it or does not cover
/// its form.
pub fn check(sql: &str) -> Result<(), SyntaxError> {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let head = words.join(" ");
    if UNJUDGED.iter().any(|u| head.starts_with(u)) {
        return Ok(());
    }
    match Parser::parse_sql(&MySqlDialect {}, sql) {
        Ok(_) => Ok(()),
        Err(e) => Err(SyntaxError {
            message: e
                .to_string()
                .trim_start_matches("sql parser error: ")
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mysql_and_rejects_typos() {
        for ok in [
            "CREATE TABLE `t` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, n VARCHAR(10)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            "ALTER TABLE t ADD COLUMN x INT NOT NULL DEFAULT 0, ADD INDEX t_x (x)",
            "CREATE INDEX t_n ON t (n)",
            "INSERT INTO t (n) VALUES ('it''s'), ('a\\'b')",
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let e = check("CREATE TABLEE t (id INT)").unwrap_err();
        assert!(e.message.contains("TABLEE"), "{}", e.message);
    }
}
