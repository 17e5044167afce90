//! The metadata header of a migration: the leading block of `-- KEY: value`
//! comment lines, plus `-- sluice:<directive>` lines.
//!
//! ```sql
//! -- MIGRATION_ID: 1732190000000
//! -- TITLE: Add idempotency key
//! -- RISK_LEVEL: Low
//! -- sluice:no-transaction
//! ALTER TABLE ...
//! ```
//!
//! The header ends at the first line that is neither blank nor a `--` comment.
//! Keys are upper-case (`[A-Z][A-Z0-9_]*`); keys sluice does not know (such as
//! `TOUCHES_USERS`) are kept, because teams add their own.

/// One `-- KEY: value` line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeaderField {
    /// The key, such as `RISK_LEVEL`.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column where the value starts.
    pub value_column: usize,
}

/// One `-- sluice:<name> <rest>` line in a header block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectiveLine {
    /// The directive's name, such as `no-transaction`.
    pub name: String,
    /// The rest of the line, trimmed.
    pub rest: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// The directives sluice understands in a header block.
pub const KNOWN_DIRECTIVES: &[&str] = &["no-transaction", "allow"];

/// A parsed header block.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    /// Fields in file order (duplicates kept, so they can be reported).
    pub fields: Vec<HeaderField>,
    /// Directive lines in file order.
    pub directives: Vec<DirectiveLine>,
}

impl Header {
    /// The first field with this key.
    pub fn get(&self, key: &str) -> Option<&HeaderField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The value of the first field with this key.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|f| f.value.as_str())
    }

    /// Whether a directive with this name is present.
    pub fn has_directive(&self, name: &str) -> bool {
        self.directives.iter().any(|d| d.name == name)
    }

    /// Parses the header block at the start of `text`; `first_line` is the 1-based
    /// line number of `text`'s first line in its file.
    pub fn parse(text: &str, first_line: usize) -> Header {
        let mut header = Header::default();
        for (i, raw) in text.lines().enumerate() {
            let line_no = first_line + i;
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let Some(comment) = line.strip_prefix("--") else {
                break;
            };
            let indent = raw.len() - raw.trim_start().len();
            let body = comment.trim_start();
            let body_col = indent + 2 + (comment.len() - body.len()) + 1;
            if let Some(directive) = body.strip_prefix("sluice:") {
                let name_len = directive
                    .find(|c: char| c.is_whitespace())
                    .unwrap_or(directive.len());
                header.directives.push(DirectiveLine {
                    name: directive[..name_len].to_string(),
                    rest: directive[name_len..].trim().to_string(),
                    line: line_no,
                });
                continue;
            }
            if let Some((key, value)) = split_field(body) {
                let value_trimmed = value.trim_start();
                header.fields.push(HeaderField {
                    key: key.to_string(),
                    value: value_trimmed.trim_end().to_string(),
                    line: line_no,
                    value_column: body_col + (body.len() - value_trimmed.len()),
                });
            }
        }
        header
    }

    /// Length in bytes of the header block at the start of `text`: the leading
    /// blank and `--` lines [`Header::parse`] reads (it parses the same from
    /// `&text[..len]` as from `text`).
    pub fn block_len(text: &str) -> usize {
        let mut len = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with("--") {
                break;
            }
            len += line.len();
        }
        len
    }
}

impl Header {
    /// Parses `KEY: value` lines of a Python docstring (Alembic revisions);
    /// `first_line` is the docstring's first line in the file.
    pub fn parse_docstring(text: &str, first_line: usize) -> Header {
        let mut header = Header::default();
        for (i, raw) in text.lines().enumerate() {
            let body = raw.trim_start();
            if let Some((key, value)) = split_field(body) {
                let value_trimmed = value.trim_start();
                header.fields.push(HeaderField {
                    key: key.to_string(),
                    value: value_trimmed.trim_end().to_string(),
                    line: first_line + i,
                    value_column: raw.len() - value_trimmed.len() + 1,
                });
            }
        }
        header
    }
}

fn split_field(body: &str) -> Option<(&str, &str)> {
    let colon = body.find(':')?;
    let key = body[..colon].trim_end();
    let mut chars = key.chars();
    let first = chars.next()?;
    if !first.is_ascii_uppercase()
        || !chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    Some((key, &body[colon + 1..]))
}

/// Declared or computed risk of a migration.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum RiskLevel {
    /// Additive, no blocking locks.
    Low,
    /// Takes blocking locks or breaks running code.
    Medium,
    /// Destroys data or rewrites a table.
    High,
}

impl RiskLevel {
    /// Parses `Low` / `Medium` / `High` (any case).
    pub fn parse(s: &str) -> Option<RiskLevel> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Some(RiskLevel::Low),
            "medium" => Some(RiskLevel::Medium),
            "high" => Some(RiskLevel::High),
            _ => None,
        }
    }

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }
}

/// Parses a `Yes`/`No` header value (any case; `true`/`false` accepted).
pub fn parse_yes_no(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_directives_until_first_statement() {
        let text = "-- MIGRATION_ID: 1732190000000\n-- TITLE:  Add key  \n\n-- just a note\n--sluice:no-transaction\nALTER TABLE t ADD c int;\n-- RISK_LEVEL: High\n";
        let h = Header::parse(text, 1);
        assert_eq!(h.value("MIGRATION_ID"), Some("1732190000000"));
        assert_eq!(h.value("TITLE"), Some("Add key"));
        assert_eq!(h.get("TITLE").unwrap().line, 2);
        assert_eq!(h.get("TITLE").unwrap().value_column, 12);
        assert!(h.has_directive("no-transaction"));
        assert_eq!(h.value("RISK_LEVEL"), None, "after the first statement");
    }

    #[test]
    fn lower_case_words_are_not_fields() {
        let h = Header::parse("-- note: hello\n-- Title: x\n", 1);
        assert!(h.fields.is_empty());
    }

    #[test]
    fn risk_levels() {
        assert_eq!(RiskLevel::parse("medium"), Some(RiskLevel::Medium));
        assert_eq!(RiskLevel::parse("Extreme"), None);
        assert!(RiskLevel::Low < RiskLevel::High);
    }
}
