//! Alembic revisions (`versions/*.py`), read in place.
//!
//! sluice does not run Python. It reads what a revision declares at top level:
//! `revision = "…"`, `down_revision = "…" | None | ("a", "b")`, the module
//! docstring (whose `KEY: value` lines are the metadata header), and the bodies
//! of `def upgrade()` and `def downgrade()`, whose `op.*` calls the analysis
//! classifies. Applying stays Alembic's job.

use crate::error::CoreError;
use crate::header::Header;
use crate::migration::{Migration, Section};
use crate::version::Version;
use std::path::PathBuf;

/// What a revision declares about the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionInfo {
    /// Its id.
    pub revision: String,
    /// 1-based line of `revision = …`.
    pub revision_line: usize,
    /// Its parents (`down_revision`; several for a merge, none for the root).
    pub down_revisions: Vec<String>,
    /// 1-based line of `down_revision = …`.
    pub down_line: usize,
}

fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\'']) {
        let q = rest.as_bytes()[i] as char;
        let after = &rest[i + 1..];
        match after.find(q) {
            Some(j) => {
                out.push(after[..j].to_string());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// The value of a top-level assignment `name = …` (or `name: T = …`), with its
/// line; a parenthesised or bracketed value may span lines.
fn assignment(text: &str, name: &str) -> Option<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix(':') {
            Some(annotated) => match annotated.find('=') {
                Some(eq) => &annotated[eq..],
                None => continue,
            },
            None => rest,
        };
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        if value.starts_with('=') {
            continue;
        }
        let mut value = value.trim().to_string();
        let mut j = i;
        let opens = |v: &str| v.matches(['(', '[']).count() > v.matches([')', ']']).count();
        while opens(&value) && j + 1 < lines.len() {
            j += 1;
            value.push(' ');
            value.push_str(lines[j].trim());
        }
        return Some((value, i + 1));
    }
    None
}

/// Byte range and first line of the module docstring, if any.
fn docstring(text: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            offset += line.len();
            continue;
        }
        let t = t.trim_start_matches(['r', 'R', 'u', 'U']);
        let quote = if t.starts_with("\"\"\"") {
            "\"\"\""
        } else if t.starts_with("'''") {
            "'''"
        } else {
            return None;
        };
        let start = offset + line.find(quote)? + 3;
        let end = start + text[start..].find(quote)?;
        return Some((start..end, i + 1));
    }
    None
}

/// The body of a top-level `def name(...)`: from the line after its signature
/// to the next top-level statement.
fn function_body(text: &str, name: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let mut offset = 0;
    let mut start: Option<(usize, usize)> = None;
    let mut signature_open = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let top_level = !line.starts_with([' ', '\t'])
            && !line.trim().is_empty()
            && !line.trim_start().starts_with('#');
        match start {
            None => {
                if signature_open || line.starts_with(&format!("def {name}(")) {
                    signature_open = !line.trim_end().ends_with(':');
                    if !signature_open {
                        start = Some((offset + line.len(), i + 2));
                    }
                }
            }
            Some((s, l)) if top_level => return Some((s..offset, l)),
            Some(_) => {}
        }
        offset += line.len();
    }
    start.map(|(s, l)| (s..text.len(), l))
}

/// Whether a function body does nothing (`pass`, a docstring, comments).
fn is_empty_body(body: &str) -> bool {
    body.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t == "pass" || t.starts_with('#') || t.starts_with("\"\"\"") || t == "..."
    })
}

/// Parses an Alembic revision file.
pub fn parse_revision(
    path: PathBuf,
    display_path: String,
    bytes: &[u8],
) -> Result<(Migration, RevisionInfo), CoreError> {
    let (checksum, text) = crate::migration::decode(&path, bytes)?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (rev_value, revision_line) = assignment(&text, "revision").ok_or_else(|| {
        CoreError::Other(format!(
            "{display_path}: no top-level `revision = \"...\"`; is this an Alembic revision?"
        ))
    })?;
    let revision = quoted_strings(&rev_value)
        .into_iter()
        .next()
        .ok_or_else(|| {
            CoreError::Other(format!(
                "{display_path}:{revision_line}: `revision` is not a string literal"
            ))
        })?;
    let (down_revisions, down_line) = match assignment(&text, "down_revision") {
        Some((v, l)) => (quoted_strings(&v), l),
        None => (vec![], revision_line),
    };
    let header = match docstring(&text) {
        Some((range, first_line)) => Header::parse_docstring(&text[range], first_line),
        None => Header::default(),
    };
    let (up_range, up_line) =
        function_body(&text, "upgrade").unwrap_or((text.len()..text.len(), 1));
    let down = function_body(&text, "downgrade").filter(|(r, _)| !is_empty_body(&text[r.clone()]));
    // `0002_add_users.py` for revision `0002` is named `add_users`.
    let stem = file_name.trim_end_matches(".py");
    let name = stem
        .strip_prefix(&format!("{revision}_"))
        .filter(|n| !n.is_empty())
        .unwrap_or(stem)
        .to_string();
    let down_marker_line = down.as_ref().map(|(_, l)| l.saturating_sub(1));
    let migration = Migration::unread(
        Version::revision(&revision),
        name,
        file_name,
        path,
        display_path,
        checksum,
        header,
        Section {
            range: up_range,
            first_line: up_line,
            no_transaction: false,
            alone_if_single: false,
        },
        down.map(|(range, first_line)| Section {
            range,
            first_line,
            no_transaction: false,
            alone_if_single: false,
        }),
        down_marker_line,
    )
    .with_text(text);
    let mut migration = migration;
    migration.body = crate::layout::BodyKind::AlembicOps;
    Ok((
        migration,
        RevisionInfo {
            revision,
            revision_line,
            down_revisions,
            down_line,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REV: &str = "# licence\n\n\"\"\"\nAdd index.\n\nRevision ID: b2\nRevises: a1\nMIGRATION_ID: b2\nRISK_LEVEL: Low\n\"\"\"\n\nfrom alembic import op\n\nrevision = \"b2\"\ndown_revision: str | None = (\n    \"a1\",\n    \"a0\",\n)\nbranch_labels = None\n\n\ndef upgrade():\n    op.drop_table(\"t\")  # CI:DESTRUCTIVE_OK ADR-1\n\n\ndef downgrade():\n    pass\n";

    #[test]
    fn reads_graph_header_and_bodies() {
        let (m, info) = parse_revision("b2.py".into(), "b2.py".into(), REV.as_bytes()).unwrap();
        assert_eq!(info.revision, "b2");
        assert_eq!(info.down_revisions, ["a1", "a0"]);
        assert_eq!(info.down_line, 15);
        assert_eq!(m.header.value("RISK_LEVEL"), Some("Low"));
        assert_eq!(m.header.get("MIGRATION_ID").unwrap().line, 8);
        assert!(m.up_sql().contains("op.drop_table"));
        assert_eq!(m.up.first_line, 23);
        assert!(m.down.is_none(), "a `pass` downgrade is no downgrade");
    }
}
