//! PostgreSQL's keywords, from the server's own list (libpg_query's copy of
//! `kwlist.h`, the file `pg_get_keywords()` is built from), and identifier
//! quoting with `quote_ident()` semantics.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The server's keyword list, as compiled into libpg_query.
const KWLIST: &str =
    include_str!("../../../vendor/pg_query/libpg_query/src/postgres/include/parser/kwlist.h");

/// A keyword's category (`pg_get_keywords().catcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// `U`: usable as any name.
    Unreserved,
    /// `C`: usable as a column name, not as a function or type name.
    ColName,
    /// `T`: usable as a function or type name, not as a column name.
    TypeFuncName,
    /// `R`: never usable as a name unquoted.
    Reserved,
}

fn table() -> &'static HashMap<&'static str, Category> {
    static T: OnceLock<HashMap<&'static str, Category>> = OnceLock::new();
    T.get_or_init(|| {
        KWLIST
            .lines()
            .filter_map(|l| l.trim().strip_prefix("PG_KEYWORD(\""))
            .filter_map(|rest| {
                let (word, tail) = rest.split_once('"')?;
                let cat = if tail.contains("UNRESERVED_KEYWORD") {
                    Category::Unreserved
                } else if tail.contains("COL_NAME_KEYWORD") {
                    Category::ColName
                } else if tail.contains("TYPE_FUNC_NAME_KEYWORD") {
                    Category::TypeFuncName
                } else if tail.contains("RESERVED_KEYWORD") {
                    Category::Reserved
                } else {
                    return None;
                };
                Some((word, cat))
            })
            .collect()
    })
}

/// The category of `word` when it is a keyword (lower case, as the list has it).
pub fn category(word: &str) -> Option<Category> {
    table().get(word).copied()
}

/// Every keyword with its category.
pub fn all() -> impl Iterator<Item = (&'static str, Category)> {
    table().iter().map(|(w, c)| (*w, *c))
}

/// An identifier as Postgres's `quote_ident()` writes it: bare when it is lower
/// case letters, digits and `_` (not starting with a digit) and not a keyword
/// other than an unreserved one; else double-quoted with `"` doubled.
pub fn quote_ident(s: &str) -> String {
    let safe = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && category(s).is_none_or(|c| c == Category::Unreserved);
    if safe {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_servers() {
        assert!(table().len() > 450, "{}", table().len());
        assert_eq!(category("select"), Some(Category::Reserved));
        assert_eq!(category("abort"), Some(Category::Unreserved));
        assert_eq!(category("between"), Some(Category::ColName));
        assert_eq!(category("left"), Some(Category::TypeFuncName));
        assert_eq!(category("users"), None);
    }

    /// Every keyword, quoted as `quote_ident` would, is accepted by the real
    /// grammar as a column, a table, a type and a function name.
    #[test]
    fn every_keyword_round_trips_through_the_grammar() {
        for (kw, _) in all() {
            let id = quote_ident(kw);
            for sql in [
                format!("CREATE TABLE {id} ({id} int, CONSTRAINT {id} CHECK ({id} > 0))"),
                format!("CREATE INDEX {id} ON t ({id})"),
                format!("ALTER TABLE t RENAME COLUMN {id} TO {id}"),
                format!("CREATE TYPE {id} AS ENUM ('a')"),
                format!("CREATE FUNCTION {id}() RETURNS int LANGUAGE sql AS 'select 1'"),
                format!("CREATE VIEW {id} AS SELECT {id} FROM {id}.{id}"),
            ] {
                pg_query::parse(&sql, pg_query::ParserOptions::DEFAULT)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
        }
        assert_eq!(quote_ident("create"), "\"create\"");
        assert_eq!(quote_ident("window"), "\"window\"");
        assert_eq!(quote_ident("a$b"), "\"a$b\"");
        assert_eq!(quote_ident("Mixed"), "\"Mixed\"");
        assert_eq!(quote_ident("plain_1"), "plain_1");
    }
}
