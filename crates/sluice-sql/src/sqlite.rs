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
