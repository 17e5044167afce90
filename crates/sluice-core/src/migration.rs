//! One migration file, parsed: identity, checksum, header and sections.

use crate::checksum::{normalize, Checksum};
use crate::error::CoreError;
use crate::header::Header;
use crate::layout::BodyKind;
use crate::version::Version;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The line that starts the down section of a native migration.
pub const DOWN_MARKER: &str = "-- sluice:down";

/// A part of a migration's text (the up or the down SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Byte range in [`Migration::text`].
    pub range: Range<usize>,
    /// 1-based line in the file where the section starts.
    pub first_line: usize,
    /// Whether this section must run outside a transaction
    /// (`-- sluice:no-transaction`).
    pub no_transaction: bool,
    /// Whether, when the section is one statement, that statement runs on its
    /// own, outside a transaction (golang-migrate sends a file as one query:
    /// several statements run in one implicit transaction, a single one
    /// alone).
    pub alone_if_single: bool,
}

/// One file of a migration made of several (a directory's `up.sql` and
/// `down.sql`, or `1_a.up.sql` beside `1_a.down.sql`). The migration's text is
/// its parts one after the other, each ending in a newline; a diagnostic at a
/// line of that text is reported at the part's own file and line
/// ([`Migration::locate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its path.
    pub path: PathBuf,
    /// Its path relative to the project root, for output.
    pub display_path: String,
    /// The byte of the migration's text where it starts.
    pub start: usize,
    /// The 1-based line of the migration's text where it starts.
    pub first_line: usize,
}

/// One file of a several-file migration, as a layout read it.
#[derive(Debug, Clone)]
pub struct PartFile {
    /// Which body it holds.
    pub role: Role,
    /// Its path.
    pub path: PathBuf,
    /// Its path relative to the project root.
    pub display_path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its tool runs it outside a transaction.
    pub no_transaction: bool,
    /// Its tool runs it alone when it is one statement (see
    /// [`Section::alone_if_single`]).
    pub alone_if_single: bool,
}

/// Which body a file of a several-file migration holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The forward body.
    Up,
    /// The reverse body.
    Down,
}

/// A migration read from disk.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Its version, from the filename.
    pub version: Version,
    /// Its name, from the filename (without version and extension).
    pub name: String,
    /// The file name, such as `1732190000000_create_users.sql`.
    pub file_name: String,
    /// Absolute (or as-given) path to the file.
    pub path: PathBuf,
    /// Path relative to the project root, with `/` separators, for output.
    pub display_path: String,
    /// Checksum of the normalised content.
    pub checksum: Checksum,
    /// The normalised text (BOM removed, CRLF turned into LF), read on first use
    /// when the catalog came from the stat cache ([`crate::cache`]).
    text: OnceLock<String>,
    /// The metadata header.
    pub header: Header,
    /// The forward SQL.
    pub up: Section,
    /// The reverse SQL, when the file has a non-empty `-- sluice:down` section.
    pub down: Option<Section>,
    /// 1-based line of the `-- sluice:down` marker, when present (even if the
    /// section under it is empty).
    pub down_marker_line: Option<usize>,
    /// The files it is made of, when more than one (empty: it is the one file
    /// at `path`).
    pub parts: Vec<Part>,
    /// What its bodies are: SQL, Alembic operations, or opaque (run by
    /// another program).
    pub body: BodyKind,
    /// Run again whenever its checksum changes (a Flyway `R__` migration),
    /// after every versioned one; never reversed.
    pub repeatable: bool,
    /// In a revision graph (Alembic), what its tool names as the state just
    /// before it: the target that reverses this revision alone (its parent,
    /// `base` for a lone root, or `<revision>@-1` where a plain parent would
    /// also reverse a sibling branch). None in other layouts.
    pub previous: Option<String>,
    /// In a revision graph, the revisions it follows (Alembic's
    /// `down_revision`; several for a merge). Empty elsewhere.
    pub parents: Vec<String>,
}

impl Migration {
    /// Parses a native-layout migration from its raw bytes.
    pub fn parse_native(
        version: Version,
        name: String,
        file_name: String,
        path: PathBuf,
        display_path: String,
        bytes: &[u8],
    ) -> Result<Migration, CoreError> {
        let (checksum, text) = decode(&path, bytes)?;
        let header = Header::parse(&text, 1);
        let file_no_tx = header.has_directive("no-transaction");

        let (up_end, down) = match find_down_marker(&text) {
            Some((marker_start, marker_end, marker_line)) => {
                let down_text = &text[marker_end..];
                let down_header = Header::parse(down_text, marker_line + 1);
                let down_section = Section {
                    range: marker_end..text.len(),
                    first_line: marker_line + 1,
                    no_transaction: file_no_tx || down_header.has_directive("no-transaction"),
                    alone_if_single: false,
                };
                (marker_start, Some((down_section, marker_line)))
            }
            None => (text.len(), None),
        };
        let up = Section {
            range: 0..up_end,
            first_line: 1,
            no_transaction: file_no_tx,
            alone_if_single: false,
        };
        let down_marker_line = down.as_ref().map(|(_, l)| *l);
        let down = down
            .map(|(s, _)| s)
            .filter(|s| has_sql(&text[s.range.clone()]));
        Ok(Migration::unread(
            version,
            name,
            file_name,
            path,
            display_path,
            checksum,
            header,
            up,
            down,
            down_marker_line,
        )
        .with_text(text))
    }

    /// A migration whose parsed parts are known (from the stat cache) but whose
    /// text is read on first use. Everything but the text is as
    /// [`Migration::parse_native`] would compute it.
    #[allow(clippy::too_many_arguments)]
    pub fn unread(
        version: Version,
        name: String,
        file_name: String,
        path: PathBuf,
        display_path: String,
        checksum: Checksum,
        header: Header,
        up: Section,
        down: Option<Section>,
        down_marker_line: Option<usize>,
    ) -> Migration {
        Migration {
            version,
            name,
            file_name,
            path,
            display_path,
            checksum,
            text: OnceLock::new(),
            header,
            up,
            down,
            down_marker_line,
            parts: Vec::new(),
            body: BodyKind::Sql,
            repeatable: false,
            previous: None,
            parents: Vec::new(),
        }
    }

    /// A migration made of several files, the up body first. The text is the
    /// files one after the other; the header is read from the up file; the
    /// checksum covers every file. Each file's `no_transaction` is its layout's
    /// own setting (a `sluice:no-transaction` directive in the up file's
    /// header also sets it).
    pub fn from_parts(
        version: Version,
        name: String,
        dir: (PathBuf, String),
        files: Vec<PartFile>,
        body: BodyKind,
    ) -> Result<Migration, CoreError> {
        let mut text = String::new();
        let mut parts = Vec::new();
        let mut up = None;
        let mut down = None;
        let mut line = 1;
        for PartFile {
            role,
            path,
            display_path: display,
            bytes,
            no_transaction,
            alone_if_single,
        } in files
        {
            let (_, part_text) = decode(&path, &bytes)?;
            let start = text.len();
            text.push_str(&part_text);
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let section = Section {
                range: start..text.len(),
                first_line: line,
                no_transaction,
                alone_if_single,
            };
            parts.push(Part {
                path,
                display_path: display,
                start,
                first_line: line,
            });
            line += text[start..].matches('\n').count();
            match role {
                Role::Up => up = Some(section),
                Role::Down => down = Some(section),
            }
        }
        let mut up =
            up.ok_or_else(|| CoreError::Other(format!("{}: the migration has no up body", dir.1)))?;
        let header = Header::parse(&text[up.range.clone()], 1);
        let header_no_tx = header.has_directive("no-transaction");
        up.no_transaction |= header_no_tx;
        let down = down
            .map(|mut d| {
                d.no_transaction |= header_no_tx;
                d
            })
            .filter(|s| has_sql(&text[s.range.clone()]));
        let file_name = dir
            .0
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut m = Migration::unread(
            version,
            name,
            file_name,
            dir.0,
            dir.1,
            Checksum::of(text.as_bytes()),
            header,
            up,
            down,
            None,
        );
        m.parts = parts;
        m.body = body;
        Ok(m.with_text(text))
    }

    /// Where line `line` of the text is: the file (display path) and its
    /// line there, and `span` (bytes of the text) as bytes of that file.
    pub fn locate(
        &self,
        line: usize,
        span: Option<Range<usize>>,
    ) -> (&str, usize, Option<Range<usize>>) {
        match self.parts.iter().rev().find(|p| p.first_line <= line) {
            None => (&self.display_path, line, span),
            Some(p) => (
                &p.display_path,
                line - p.first_line + 1,
                span.map(|s| s.start.saturating_sub(p.start)..s.end.saturating_sub(p.start)),
            ),
        }
    }

    /// The file that holds the header (the up file).
    pub fn header_path(&self) -> &str {
        self.parts
            .first()
            .map_or(&self.display_path, |p| &p.display_path)
    }

    /// This migration with its text already known (a layout whose parts are
    /// computed from the text, such as alembic's), so it is never read again.
    pub fn with_text(self, text: String) -> Migration {
        self.text.get_or_init(|| text);
        self
    }

    /// The normalised text (BOM removed, CRLF turned into LF). Line numbers are
    /// the file's own.
    ///
    /// # Panics
    /// When the text was not read yet (a stat-cache hit) and the file can no
    /// longer be read or no longer has the checksum it had when the directory was
    /// listed: the file changed while sluice was running. Commands that run SQL
    /// call [`Migration::load_text`] first, which reports that as an error.
    pub fn text(&self) -> &str {
        match self.load_text() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The text, reading the file when it was not read yet. The bytes read must
    /// have the checksum the catalog reported.
    pub fn load_text(&self) -> Result<&str, CoreError> {
        if let Some(t) = self.text.get() {
            return Ok(t);
        }
        let bytes = std::fs::read(&self.path).map_err(|e| CoreError::io(&self.path, e))?;
        let (checksum, text) = decode(&self.path, &bytes)?;
        if checksum != self.checksum {
            return Err(CoreError::Other(format!(
                "{} changed while sluice was running (its checksum is no longer the one read when the directory was listed); run the command again",
                self.display_path
            )));
        }
        Ok(self.text.get_or_init(|| text))
    }

    /// Whether the text has been read (false for a stat-cache hit not used yet).
    pub fn text_loaded(&self) -> bool {
        self.text.get().is_some()
    }

    /// The up SQL.
    pub fn up_sql(&self) -> &str {
        &self.text()[self.up.range.clone()]
    }

    /// The down SQL, when there is one.
    pub fn down_sql(&self) -> Option<&str> {
        self.down.as_ref().map(|s| &self.text()[s.range.clone()])
    }

    /// `FORWARD_ONLY: Yes` in the header.
    pub fn forward_only(&self) -> bool {
        self.header
            .value("FORWARD_ONLY")
            .and_then(crate::header::parse_yes_no)
            .unwrap_or(false)
    }
}

/// Where the down marker line is: (start byte, byte after its newline, 1-based line).
fn find_down_marker(text: &str) -> Option<(usize, usize, usize)> {
    // Most files are scanned on every command: rule out the common case (no
    // marker, or none in the exact spelling) with one substring search before
    // walking lines.
    if !mentions_down_marker(text) {
        return None;
    }
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        if trimmed.eq_ignore_ascii_case(DOWN_MARKER)
            || trimmed
                .strip_prefix("--")
                .map(|r| r.trim().eq_ignore_ascii_case("sluice:down"))
                .unwrap_or(false)
        {
            return Some((offset, offset + line.len(), i + 1));
        }
        offset += line.len();
    }
    None
}

/// Whether `sluice:down` (any case) occurs anywhere: a search anchored on `:`,
/// which `str::find` does with memchr.
fn mentions_down_marker(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(rel) = text[from..].find(':') {
        let p = from + rel;
        if p >= 6
            && b[p - 6..p].eq_ignore_ascii_case(b"sluice")
            && b.get(p + 1..p + 5)
                .is_some_and(|d| d.eq_ignore_ascii_case(b"down"))
        {
            return true;
        }
        from = p + 1;
    }
    false
}

/// Whether `sql` holds anything but whitespace and `--` comment lines. (Block
/// comments are rare in a down section; a section holding only one is treated as
/// SQL and fails loudly at run time rather than silently doing nothing.)
pub fn has_sql(sql: &str) -> bool {
    sql.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("--")
    })
}

/// The checksum and the normalised text of a migration file's bytes. A file
/// that is not UTF-8 is an error naming the line of the first invalid byte.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(Checksum, String), CoreError> {
    let normalized = normalize(bytes);
    let checksum = Checksum::of(&normalized);
    match std::str::from_utf8(&normalized) {
        Ok(t) => Ok((checksum, t.to_string())),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = normalized[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(CoreError::NotUtf8 {
                path: path.to_path_buf(),
                line,
                offset,
            })
        }
    }
}

/// Reads and parses one native migration file.
pub fn read_native(
    tree: &dyn crate::tree::SourceTree,
    path: &Path,
    display_path: String,
    version: Version,
    name: String,
) -> Result<Migration, CoreError> {
    let bytes = tree.read_listed(path)?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Migration::parse_native(
        version,
        name,
        file_name,
        path.to_path_buf(),
        display_path,
        &bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Migration, CoreError> {
        Migration::parse_native(
            Version::parse("1").unwrap(),
            "x".into(),
            "1_x.sql".into(),
            "1_x.sql".into(),
            "1_x.sql".into(),
            text,
        )
    }

    #[test]
    fn splits_up_and_down() {
        let m = parse(b"-- TITLE: T\nCREATE TABLE a (id int);\n-- sluice:down\nDROP TABLE a;\n")
            .unwrap();
        assert_eq!(m.up_sql(), "-- TITLE: T\nCREATE TABLE a (id int);\n");
        assert_eq!(m.down_sql(), Some("DROP TABLE a;\n"));
        assert_eq!(m.down.as_ref().unwrap().first_line, 4);
        assert!(!m.up.no_transaction);
    }

    #[test]
    fn empty_down_section_is_no_down() {
        let m = parse(b"CREATE TABLE a (id int);\n-- sluice:down\n-- nothing yet\n").unwrap();
        assert!(m.down.is_none());
        assert_eq!(m.down_marker_line, Some(2));
    }

    #[test]
    fn no_transaction_directive_applies_to_both_sections() {
        let m = parse(b"-- sluice:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (b);\n-- sluice:down\nDROP INDEX CONCURRENTLY i;\n").unwrap();
        assert!(m.up.no_transaction);
        assert!(m.down.unwrap().no_transaction);
    }

    #[test]
    fn non_utf8_names_the_line() {
        let err = parse(b"SELECT 1;\nSELECT '\xff';\n").unwrap_err();
        match err {
            CoreError::NotUtf8 { line, offset, .. } => {
                assert_eq!(line, 2);
                assert_eq!(offset, 18);
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn crlf_file_keeps_line_numbers() {
        let m = parse(b"\xEF\xBB\xBFSELECT 1;\r\n-- sluice:down\r\nSELECT 2;\r\n").unwrap();
        assert_eq!(m.down_sql(), Some("SELECT 2;\n"));
        assert_eq!(m.down_marker_line, Some(2));
    }
}
