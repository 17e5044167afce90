//! SQL for sluice: statement splitting with spans per dialect (below), facts
//! about each statement ([`facts`], on the real Postgres grammar in [`pg`] and a
//! classifier in [`generic`]), and Postgres's own keyword list with
//! `quote_ident` semantics ([`keywords`]).
//!
//! A migration is a list of statements, and sluice needs them one by one: to run a
//! `-- sluice:no-transaction` migration statement by statement (Postgres refuses
//! `CREATE INDEX CONCURRENTLY` in a multi-statement simple query), to record
//! progress after each, and to point diagnostics at the right line. Splitting on
//! `;` is wrong as soon as a string, a comment, a dollar-quoted function body, a
//! `DO` block, a SQL-standard `BEGIN ATOMIC` body or a SQLite trigger holds one, so
//! [`split`] is a small lexer that knows each dialect's quoting:
//!
//! | construct | dialects |
//! |---|---|
//! | `'…'` with `''`; `E'…'` with backslash escapes | all; `E''` Postgres; backslashes always in MySQL |
//! | `"…"` identifiers with `""` | all (a string with backslashes in MySQL) |
//! | `` `…` `` identifiers | SQLite, MySQL |
//! | `[…]` identifiers | SQLite |
//! | `-- …`, `/* … */` (nested in Postgres), `# …` | all; `#` MySQL |
//! | `$tag$ … $tag$` | Postgres |
//! | `BEGIN ATOMIC … END` | Postgres |
//! | `CREATE TRIGGER … BEGIN … END` | SQLite, MySQL (and procedures in MySQL) |
//! | `DELIMITER //` client directive | MySQL |
//!
//! Each [`Statement`] starts at its first real token (never at a leading comment)
//! and carries its 1-based line and column. Input that cannot be split (an
//! unterminated quote, comment or dollar quote) is a [`SplitError`] with the line
//! and column where the unterminated construct starts.

pub mod facts;
pub mod generic;
pub mod keywords;
pub mod mysql;
pub mod pg;
pub mod sqlite;

use sluice_core::config::Dialect;
use std::ops::Range;

/// One statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte range in the text that was split, from the first token up to (not
    /// including) the terminating `;` or delimiter.
    pub range: Range<usize>,
    /// 1-based line of the first token.
    pub line: usize,
    /// 1-based column (in characters) of the first token.
    pub column: usize,
    /// 1-based line of the terminator (or of the last token when there is none):
    /// a comment on any line from `line` to `end_line` is "on the same line".
    pub end_line: usize,
    /// A psql meta-command (`\set`, `\connect`, ...) rather than SQL.
    pub meta_command: bool,
}

/// A `--` (or MySQL `#`) comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte range of the comment's text, after the `--` or `#`.
    pub range: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// Whether a statement token precedes it on its line (a trailing comment).
    pub trailing: bool,
}

/// Statements and comments of a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Statements in order.
    pub statements: Vec<Statement>,
    /// Line comments in order.
    pub comments: Vec<Comment>,
}

impl Statement {
    /// The statement's SQL.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.range.clone()]
    }
}

/// Why a text could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct SplitError {
    /// What is unterminated, and how to fix it.
    pub message: String,
    /// 1-based line where the construct starts.
    pub line: usize,
    /// 1-based column where the construct starts.
    pub column: usize,
    /// Byte offset where the construct starts.
    pub offset: usize,
}

/// Splits `text[range]` into statements; lines and columns count from the start
/// of `text`, so the result points into the whole file.
pub fn split_section(
    text: &str,
    range: Range<usize>,
    dialect: Dialect,
) -> Result<Vec<Statement>, SplitError> {
    Splitter::new(text, range, dialect)
        .run()
        .map(|s| s.statements)
}

/// Like [`split_section`], also returning the line comments.
pub fn split_section_with_comments(
    text: &str,
    range: Range<usize>,
    dialect: Dialect,
) -> Result<Split, SplitError> {
    Splitter::new(text, range, dialect).run()
}

/// Splits a whole text into statements.
pub fn split(text: &str, dialect: Dialect) -> Result<Vec<Statement>, SplitError> {
    split_section(text, 0..text.len(), dialect)
}

/// 1-based (line, column) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, text[line_start..offset].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Splitter<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    end: usize,
    dialect: Dialect,
    delimiter: String,
    /// Incremental line counting: positions only move forward, so counting from
    /// the last answer keeps splitting linear in the text's size.
    cursor: (usize, usize, usize),
    comments: Vec<Comment>,
    /// Line of the last statement token seen, to tell trailing comments.
    last_token_line: usize,
    /// Where to resume after a `COPY ... FROM STDIN` data block.
    copy_resume: Option<usize>,
}

#[derive(Default)]
struct StatementState {
    start: Option<usize>,
    /// The first words, upper-cased, to recognise trigger/routine bodies.
    head: Vec<String>,
    prev_word: String,
    depth: usize,
    /// Parenthesis depth: like psql, a `;` inside parentheses does not end a
    /// statement (`CREATE RULE ... DO INSTEAD (a; b)`).
    parens: usize,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, range: Range<usize>, dialect: Dialect) -> Self {
        Splitter {
            text,
            b: text.as_bytes(),
            pos: range.start,
            end: range.end.min(text.len()),
            dialect: dialect.family(),
            delimiter: ";".into(),
            cursor: (0, 1, 0),
            comments: Vec::new(),
            last_token_line: 0,
            copy_resume: None,
        }
    }

    /// 1-based (line, column) of `offset`, counting forward from the last call.
    fn locate(&mut self, offset: usize) -> (usize, usize) {
        let (mut at, mut line, mut line_start) = self.cursor;
        if offset < at {
            let (l, c) = line_col(self.text, offset);
            return (l, c);
        }
        for (i, b) in self.b[at..offset].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = at + i + 1;
            }
        }
        at = offset;
        self.cursor = (at, line, line_start);
        let start = floor_char_boundary(self.text, line_start);
        let end = floor_char_boundary(self.text, offset);
        (line, self.text[start..end].chars().count() + 1)
    }

    fn err(&self, offset: usize, message: String) -> SplitError {
        let (line, column) = line_col(self.text, offset);
        SplitError {
            message,
            line,
            column,
            offset,
        }
    }

    fn peek(&self, i: usize) -> Option<u8> {
        (self.pos + i < self.end).then(|| self.b[self.pos + i])
    }

    fn run(mut self) -> Result<Split, SplitError> {
        let mut out = Vec::new();
        let mut st = StatementState::default();
        while self.pos < self.end {
            let c = self.b[self.pos];
            // Terminator (only outside bodies).
            if st.depth == 0
                && (st.parens == 0 || self.delimiter != ";")
                && self.b[self.pos..self.end].starts_with(self.delimiter.as_bytes())
            {
                self.finish(&mut out, &mut st, self.pos);
                self.pos += self.delimiter.len();
                if let Some(resume) = self.copy_resume.take() {
                    self.pos = resume;
                }
                continue;
            }
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(2, st.start.is_some()),
                b'#' if self.dialect == Dialect::Mysql => self.line_comment(1, st.start.is_some()),
                b'\\' if self.dialect == Dialect::Postgres && self.peek(1) == Some(b';') => {
                    // psql's `\;` separates statements without sending them.
                    let here = self.pos;
                    self.finish(&mut out, &mut st, here);
                    self.pos += 2;
                }
                b'\\'
                    if self.dialect == Dialect::Postgres
                        && self.peek(1).is_some_and(|c| !c.is_ascii_whitespace()) =>
                {
                    // psql: a backslash command ends the query buffer (`\g`,
                    // `\gset`) and runs to the end of its line.
                    let here = self.pos;
                    self.finish(&mut out, &mut st, here);
                    self.meta_command(&mut out);
                }
                b'(' => {
                    st.start.get_or_insert(self.pos);
                    st.parens += 1;
                    self.pos += 1;
                }
                b')' => {
                    st.start.get_or_insert(self.pos);
                    st.parens = st.parens.saturating_sub(1);
                    self.pos += 1;
                }
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment()?,
                b'\'' => {
                    st.start.get_or_insert(self.pos);
                    let backslash = self.dialect == Dialect::Mysql || self.is_escape_string();
                    self.skip_quoted(b'\'', backslash, "quoted string")?;
                }
                b'"' => {
                    st.start.get_or_insert(self.pos);
                    let mysql = self.dialect == Dialect::Mysql;
                    self.skip_quoted(b'"', mysql, "quoted identifier")?;
                }
                b'`' if self.dialect != Dialect::Postgres => {
                    st.start.get_or_insert(self.pos);
                    self.skip_quoted(b'`', false, "backquoted identifier")?;
                }
                b'[' if self.dialect == Dialect::Sqlite => {
                    st.start.get_or_insert(self.pos);
                    let start = self.pos;
                    match self.b[self.pos + 1..self.end]
                        .iter()
                        .position(|&x| x == b']')
                    {
                        Some(i) => self.pos += i + 2,
                        None => {
                            return Err(
                                self.err(start, "unterminated [bracketed] identifier".into())
                            )
                        }
                    }
                }
                b'$' if self.dialect == Dialect::Postgres && self.dollar_tag().is_some() => {
                    st.start.get_or_insert(self.pos);
                    self.skip_dollar_quoted()?;
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let start = self.pos;
                    while self.pos < self.end {
                        let x = self.b[self.pos];
                        if x.is_ascii_alphanumeric() || x == b'_' || x == b'$' || x >= 0x80 {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                    let word = self.text[start..self.pos].to_ascii_uppercase();
                    if st.start.is_none() && self.dialect == Dialect::Mysql && word == "DELIMITER" {
                        self.read_delimiter(start)?;
                        continue;
                    }
                    st.start.get_or_insert(start);
                    self.track_blocks(&mut st, word);
                }
                _ => {
                    st.start.get_or_insert(self.pos);
                    self.pos += 1;
                }
            }
        }
        let end = self.end;
        self.finish(&mut out, &mut st, end);
        Ok(Split {
            statements: out,
            comments: std::mem::take(&mut self.comments),
        })
    }

    fn track_blocks(&self, st: &mut StatementState, word: String) {
        if st.head.len() < 6 {
            st.head.push(word.clone());
        }
        let routine_with_body = || {
            let h: Vec<&str> = st
                .head
                .iter()
                .map(String::as_str)
                .filter(|w| !matches!(*w, "TEMP" | "TEMPORARY" | "OR" | "REPLACE" | "DEFINER"))
                .collect();
            h.first() == Some(&"CREATE")
                && h.iter()
                    .skip(1)
                    .any(|w| matches!(*w, "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT"))
        };
        match self.dialect {
            Dialect::Postgres => {
                let opens = (word == "ATOMIC" && st.prev_word == "BEGIN")
                    || (st.depth > 0 && word == "CASE");
                if opens {
                    st.depth += 1;
                } else if st.depth > 0 && word == "END" {
                    st.depth -= 1;
                }
            }
            Dialect::Sqlite | Dialect::Mysql | Dialect::Mariadb => {
                let mysql = self.dialect == Dialect::Mysql;
                let opens = (word == "BEGIN"
                    && ((st.depth > 0 && mysql) || (st.depth == 0 && routine_with_body())))
                    || (st.depth > 0 && word == "CASE" && st.prev_word != "END")
                    // `END IF` and friends closed nothing that BEGIN opened: undo.
                    || (st.depth > 0
                        && matches!(word.as_str(), "IF" | "LOOP" | "WHILE" | "REPEAT")
                        && st.prev_word == "END");
                if opens {
                    st.depth += 1;
                } else if st.depth > 0 && word == "END" {
                    st.depth -= 1;
                }
            }
        }
        st.prev_word = word;
    }

    fn finish(&mut self, out: &mut Vec<Statement>, st: &mut StatementState, end: usize) {
        self.copy_resume = None;
        if let Some(start) = st.start {
            let mut e = end;
            while e > start && self.b[e - 1].is_ascii_whitespace() {
                e -= 1;
            }
            let (line, column) = self.locate(start);
            let (end_line, _) = self.locate(end.min(self.end));
            self.last_token_line = end_line;
            let copy_from_stdin = self.dialect == Dialect::Postgres
                && st.head.first().is_some_and(|w| w == "COPY")
                && {
                    let t = self.text[start..e].to_ascii_uppercase();
                    ["FROM STDIN", "FROM PSTDIN", "FROM STDOUT"]
                        .iter()
                        .any(|k| t.contains(k))
                };
            out.push(Statement {
                range: start..e,
                line,
                column,
                end_line,
                meta_command: false,
            });
            if copy_from_stdin {
                self.skip_copy_data(end);
            }
        }
        *st = StatementState::default();
    }

    /// Records a line comment starting at `pos` (`marker` bytes long).
    fn line_comment(&mut self, marker: usize, in_statement: bool) {
        let start = self.pos;
        self.skip_line_comment();
        let mut end = self.pos;
        while end > start + marker && matches!(self.b[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let (line, _) = self.locate(start);
        self.comments.push(Comment {
            range: start + marker..end,
            line,
            trailing: in_statement || self.last_token_line == line,
        });
    }

    /// A psql meta-command at the start of a statement runs to the end of its
    /// line; it is its own "statement" so it never glues onto real SQL.
    fn meta_command(&mut self, out: &mut Vec<Statement>) {
        let start = self.pos;
        self.skip_line_comment();
        let mut e = self.pos;
        while e > start && self.b[e - 1].is_ascii_whitespace() {
            e -= 1;
        }
        let (line, column) = self.locate(start);
        out.push(Statement {
            range: start..e,
            line,
            column,
            end_line: line,
            meta_command: true,
        });
        self.last_token_line = line;
    }

    /// After `COPY ... FROM STDIN;` the data follows, up to a line `\\.`.
    fn skip_copy_data(&mut self, terminator: usize) {
        let after = (terminator + self.delimiter.len()).min(self.end);
        let rest = &self.text[after..self.end];
        let data_start = rest.find('\n').map(|i| after + i + 1).unwrap_or(self.end);
        let mut offset = data_start;
        for line in self.text[data_start..self.end].split_inclusive('\n') {
            offset += line.len();
            if line.trim_end() == "\\." {
                self.copy_resume = Some(offset);
                return;
            }
        }
        self.copy_resume = Some(self.end);
    }

    fn is_escape_string(&self) -> bool {
        self.dialect == Dialect::Postgres
            && self.pos > 0
            && matches!(self.b[self.pos - 1], b'E' | b'e')
            && (self.pos < 2
                || !(self.b[self.pos - 2].is_ascii_alphanumeric() || self.b[self.pos - 2] == b'_'))
    }

    fn skip_line_comment(&mut self) {
        match self.b[self.pos..self.end].iter().position(|&x| x == b'\n') {
            Some(i) => self.pos += i + 1,
            None => self.pos = self.end,
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let nests = self.dialect == Dialect::Postgres;
        let mut depth = 0usize;
        while self.pos < self.end {
            if self.peek(0) == Some(b'/') && self.peek(1) == Some(b'*') {
                if depth > 0 && !nests {
                    self.pos += 2;
                    continue;
                }
                depth += 1;
                self.pos += 2;
            } else if self.peek(0) == Some(b'*') && self.peek(1) == Some(b'/') {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    return Ok(());
                }
            } else {
                self.pos += 1;
            }
        }
        Err(self.err(
            start,
            "unterminated /* block comment; close it with */".into(),
        ))
    }

    fn skip_quoted(&mut self, q: u8, backslash: bool, what: &str) -> Result<(), SplitError> {
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.end {
            let c = self.b[self.pos];
            if backslash && c == b'\\' {
                self.pos += 2;
                continue;
            }
            if c == q {
                if self.peek(1) == Some(q) {
                    self.pos += 2;
                    continue;
                }
                self.pos += 1;
                return Ok(());
            }
            self.pos += 1;
        }
        self.pos = self.end;
        Err(self.err(
            start,
            format!(
                "unterminated {what}: the {} opened here is never closed",
                q as char
            ),
        ))
    }

    /// The `$tag$` starting at `pos`, if this `$` opens a dollar quote (and is not
    /// a parameter like `$1` or part of an identifier like `a$b`).
    fn dollar_tag(&self) -> Option<usize> {
        if self.pos > 0 {
            let p = self.b[self.pos - 1];
            if p.is_ascii_alphanumeric() || p == b'_' || p >= 0x80 {
                return None;
            }
        }
        let rest = &self.b[self.pos + 1..self.end];
        let mut i = 0;
        while i < rest.len() {
            let c = rest[i];
            if c == b'$' {
                return Some(i + 2);
            }
            let ok = if i == 0 {
                c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
            } else {
                c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
            };
            if !ok {
                return None;
            }
            i += 1;
        }
        None
    }

    fn skip_dollar_quoted(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let len = self.dollar_tag().expect("checked by caller");
        let tag = &self.text[start..start + len];
        let body_start = start + len;
        match self.text[body_start..self.end].find(tag) {
            Some(i) => {
                self.pos = body_start + i + len;
                Ok(())
            }
            None => {
                self.pos = self.end;
                Err(self.err(
                    start,
                    format!("unterminated dollar-quoted string: {tag} opened here is never closed by a matching {tag}"),
                ))
            }
        }
    }

    fn read_delimiter(&mut self, start: usize) -> Result<(), SplitError> {
        let line_end = self.b[self.pos..self.end]
            .iter()
            .position(|&x| x == b'\n')
            .map(|i| self.pos + i)
            .unwrap_or(self.end);
        let d = self.text[self.pos..line_end].trim();
        if d.is_empty() {
            return Err(self.err(
                start,
                "DELIMITER needs a delimiter, such as `DELIMITER //`".into(),
            ));
        }
        self.delimiter = d.to_string();
        self.pos = line_end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, d: Dialect) -> Vec<String> {
        split(sql, d)
            .unwrap()
            .iter()
            .map(|s| s.text(sql).to_string())
            .collect()
    }

    fn pg(sql: &str) -> Vec<String> {
        texts(sql, Dialect::Postgres)
    }

    #[test]
    fn simple_statements_and_spans() {
        let sql =
            "-- header\nCREATE TABLE a (id int);\n\n  /* c */ INSERT INTO a VALUES (1) ;\nSELECT 1";
        let st = split(sql, Dialect::Postgres).unwrap();
        assert_eq!(st.len(), 3);
        assert_eq!(st[0].text(sql), "CREATE TABLE a (id int)");
        assert_eq!((st[0].line, st[0].column), (2, 1));
        assert_eq!(st[1].text(sql), "INSERT INTO a VALUES (1)");
        assert_eq!((st[1].line, st[1].column), (4, 11));
        assert_eq!(st[2].text(sql), "SELECT 1");
    }

    #[test]
    fn quotes_and_comments_hide_semicolons() {
        assert_eq!(
            pg("INSERT INTO t VALUES ('a;b', 'it''s;', \"we;ird\"); -- x; y\nSELECT /* ; /* nested ; */ ; */ 2;"),
            vec![
                "INSERT INTO t VALUES ('a;b', 'it''s;', \"we;ird\")",
                "SELECT /* ; /* nested ; */ ; */ 2"
            ]
        );
        assert_eq!(
            pg(r"SELECT E'a\';b'; SELECT 'c\'; SELECT 3;"),
            vec![r"SELECT E'a\';b'", r"SELECT 'c\'", "SELECT 3"]
        );
    }

    #[test]
    fn dollar_quotes_and_do_blocks() {
        let sql = "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN DROP TABLE x; RETURN 1; END $body$ LANGUAGE plpgsql;\nDO $$ BEGIN PERFORM 1; END $$;\nSELECT $1, a$b$c FROM t;";
        let st = pg(sql);
        assert_eq!(st.len(), 3, "{st:?}");
        assert!(st[0].ends_with("LANGUAGE plpgsql"));
        assert_eq!(st[1], "DO $$ BEGIN PERFORM 1; END $$");
    }

    #[test]
    fn begin_atomic_bodies() {
        let sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END; SELECT 2; END;\nBEGIN;\nSELECT 1;\nCOMMIT;";
        let st = pg(sql);
        assert_eq!(st.len(), 4, "{st:?}");
        assert!(st[0].ends_with("SELECT 2; END"));
        assert_eq!(st[1], "BEGIN");
    }

    #[test]
    fn sqlite_triggers() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; SELECT CASE WHEN 1 THEN 2 END; END;\nCREATE TABLE [x;y] (id);";
        let st = texts(sql, Dialect::Sqlite);
        assert_eq!(st.len(), 2, "{st:?}");
        assert_eq!(st[1], "CREATE TABLE [x;y] (id)");
    }

    #[test]
    fn mysql_delimiters_and_routines() {
        let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; SELECT 'a\\'b;'; END //\nDELIMITER ;\nSELECT `a;b` FROM t; # c;\nSELECT 2;";
        let st = texts(sql, Dialect::Mysql);
        assert_eq!(st.len(), 3, "{st:?}");
        assert!(st[0].starts_with("CREATE PROCEDURE") && st[0].ends_with("END"));
    }

    #[test]
    fn unterminated_constructs_are_located() {
        let e = split(
            "SELECT 1;\nCREATE FUNCTION f() AS $fn$ BEGIN\n",
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 24));
        assert!(e.message.contains("$fn$"), "{}", e.message);
        let e = split("SELECT 'abc;\n", Dialect::Postgres).unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
        let e = split("SELECT 1; /* open\n", Dialect::Postgres).unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn sections_keep_file_lines() {
        let sql = "SELECT 1;\n-- sluice:down\nSELECT 2;\n";
        let start = sql.find("-- sluice").unwrap();
        let st = split_section(sql, start..sql.len(), Dialect::Postgres).unwrap();
        assert_eq!(st[0].line, 3);
        assert_eq!(st[0].text(sql), "SELECT 2");
    }

    #[test]
    fn comments_meta_commands_and_copy_data() {
        let sql = "DROP TABLE a; -- CI:DESTRUCTIVE_OK ADR-1 gone\n-- sluice:allow x reason: y\n\\set ON_ERROR_STOP on\nCOPY t (a) FROM stdin;\n1\n2;3\n\\.\nSELECT 1;\n";
        let s = split_section_with_comments(sql, 0..sql.len(), Dialect::Postgres).unwrap();
        let texts: Vec<&str> = s.statements.iter().map(|x| x.text(sql)).collect();
        assert_eq!(
            texts,
            [
                "DROP TABLE a",
                "\\set ON_ERROR_STOP on",
                "COPY t (a) FROM stdin",
                "SELECT 1"
            ]
        );
        assert!(s.statements[1].meta_command);
        assert_eq!(s.statements[3].line, 8);
        assert_eq!(s.comments.len(), 2);
        assert!(s.comments[0].trailing && !s.comments[1].trailing);
        assert_eq!(
            &sql[s.comments[0].range.clone()],
            " CI:DESTRUCTIVE_OK ADR-1 gone"
        );
        assert_eq!(s.comments[1].line, 2);
    }

    #[test]
    fn psql_rules_parentheses_and_backslash_commands() {
        assert_eq!(
            pg("CREATE RULE r AS ON INSERT TO t DO INSTEAD (DELETE FROM t; DELETE FROM u);\nSELECT 1 \\gset\nSELECT 2 \\; SELECT 3;"),
            vec!["CREATE RULE r AS ON INSERT TO t DO INSTEAD (DELETE FROM t; DELETE FROM u)", "SELECT 1", "\\gset", "SELECT 2", "SELECT 3"]
        );
    }

    #[test]
    fn end_line_is_the_terminator_line() {
        let sql = "ALTER TABLE a\n  DROP COLUMN b\n;\nSELECT 1";
        let st = split(sql, Dialect::Postgres).unwrap();
        assert_eq!((st[0].line, st[0].end_line), (1, 3));
        assert_eq!((st[1].line, st[1].end_line), (4, 4));
    }

    #[test]
    fn only_comments_is_no_statement() {
        assert!(pg("-- nothing\n/* here */\n;;\n").is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_and_spans_are_valid(s in "\\PC{0,200}") {
                for d in [Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql] {
                    if let Ok(st) = split(&s, d) {
                        for x in st {
                            prop_assert!(x.range.start <= x.range.end && x.range.end <= s.len());
                            prop_assert!(s.is_char_boundary(x.range.start) && s.is_char_boundary(x.range.end));
                        }
                    }
                }
            }

            #[test]
            fn joined_simple_statements_split_back(parts in proptest::collection::vec("[a-z0-9 ,'=]{1,30}", 1..8)) {
                let stmts: Vec<String> = parts
                    .iter()
                    .map(|p| format!("SELECT {}", p.replace('\'', "''")).trim().to_string())
                    .collect();
                let sql = stmts.join(";\n");
                let got = pg(&sql);
                prop_assert_eq!(got, stmts);
            }
        }
    }
}
