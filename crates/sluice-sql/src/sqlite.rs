//! SQLite statements checked by SQLite itself: each is prepared against an
//! empty in-memory database (the same library sluice runs migrations with).
//! Preparing parses the statement, then resolves its names; only a parse
//! failure (`near "TABLEE": syntax error`, an unrecognised token, incomplete
//! input) is a syntax error. "no such table" and the like are not: the
//! tables are in the migration history, not in the empty database.

use std::cell::RefCell;

/// A syntax error in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// SQLite's message.
    pub message: String,
}

thread_local! {
    static EMPTY: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

/// Checks one statement with SQLite's parser.
pub fn check(sql: &str) -> Result<(), SyntaxError> {
    EMPTY.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = rusqlite::Connection::open_in_memory().ok();
        }
        let Some(conn) = cell.as_ref() else {
            return Ok(());
        };
        let message = match conn.prepare(sql) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqlInputError { msg, .. }) => msg,
            Err(rusqlite::Error::SqliteFailure(_, Some(msg))) => msg,
            Err(_) => return Ok(()),
        };
        let syntax = message.contains("syntax error")
            || message.contains("unrecognized token")
            || message.contains("incomplete input");
        if syntax {
            Err(SyntaxError { message })
        } else {
            Ok(())
        }
    })
}

/// The facts of one SQLite statement: SQLite's own parser judges the
/// syntax ([`check`]), the dialect-aware classifier gives the facts, and a
/// `CREATE TABLE`'s column list is read from its syntax tree (the history
/// model needs it to tell whether a table rebuild keeps every column).
pub fn analyze(sql: &str) -> Result<crate::facts::Facts, SyntaxError> {
    check(sql)?;
    let mut f = crate::generic::analyze(sql, sluice_core::config::Dialect::Sqlite);
    for a in &mut f.actions {
        if let crate::facts::Action::CreateTable { columns, .. } = a {
            if columns.is_empty() {
                *columns = table_columns(sql).unwrap_or_default();
            }
        }
    }
    Ok(f)
}

/// The column names of a `CREATE TABLE` (lower-cased: SQLite compares them
/// case-insensitively), when sqlparser's SQLite grammar reads it.
fn table_columns(sql: &str) -> Option<Vec<String>> {
    use sqlparser::ast::Statement;
    let stmts =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::SQLiteDialect {}, sql).ok()?;
    match stmts.first()? {
        Statement::CreateTable(ct) if !ct.columns.is_empty() => Some(
            ct.columns
                .iter()
                .map(|c| c.name.value.to_lowercase())
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn syntax_errors_but_not_unknown_names() {
        let e = check("CREATE TABLEE t (id INTEGER)").unwrap_err();
        assert!(e.message.contains("TABLEE"), "{}", e.message);
        assert!(check("SELECT 'unterminated").is_err());
        for ok in [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "ALTER TABLE missing ADD COLUMN c TEXT",
            "INSERT INTO missing (a) VALUES (1)",
            "CREATE INDEX i ON missing (a)",
            "CREATE TRIGGER tr AFTER INSERT ON missing BEGIN DELETE FROM other; END",
            "PRAGMA foreign_keys = ON",
            "DROP TABLE IF EXISTS missing",
            "UPDATE missing SET a = nosuchfunc(1)",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }
}
