//! Layouts of one file per migration whose up and down parts are marked by
//! comment lines: dbmate (`-- migrate:up` / `-- migrate:down`) and goose
//! (`-- +goose Up` / `-- +goose Down`).
//!
//! - **dbmate** runs each part in one transaction unless its marker says
//!   `transaction:false` (`-- migrate:up transaction:false`).
//! - **goose** runs each part in one transaction unless the file says
//!   `-- +goose NO TRANSACTION`. `-- +goose StatementBegin` /
//!   `-- +goose StatementEnd` delimit a statement that holds semicolons; the
//!   splitter already keeps quoted and dollar-quoted bodies whole, so they are
//!   accepted as comments.
//!
//! Any other line in the tool's directive syntax (`-- migrate:…`,
//! `-- +goose …`), or an option sluice does not know, is a
//! `directive-unknown` finding at its line, never silently ignored.

use super::MigrationLayout;
use crate::catalog::{display_path, split_file_name, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::header::Header;
use crate::migration::{decode, has_sql, Migration, Section};
use crate::tree::{Entry, SourceTree};

/// dbmate's layout.
pub struct Dbmate;

/// goose's layout (SQL migrations).
pub struct Goose;

/// The contract of both: `<version>_<name>.sql`.
pub const MARKED_FILENAME: &str = r"^(?P<version>\d+)_(?P<name>.+)\.sql$";

impl MigrationLayout for Dbmate {
    fn name(&self) -> &'static str {
        "dbmate"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let tx = if new.no_transaction {
            " transaction:false"
        } else {
            ""
        };
        let mut text = format!("{}-- migrate:up{tx}\n{}", new.header, new.up);
        if let Some(d) = &new.down {
            text.push_str(&format!("\n-- migrate:down{tx}\n{d}"));
        }
        vec![(format!("{}_{}.sql", new.version, new.name), text)]
    }

    fn default_filename(&self) -> &'static str {
        MARKED_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        scan_marked(opts, tree, entries, Tool::Dbmate)
    }
}

impl MigrationLayout for Goose {
    fn name(&self) -> &'static str {
        "goose"
    }

    fn author(&self, new: &super::NewMigration) -> Vec<(String, String)> {
        let mut text = new.header.clone();
        if new.no_transaction {
            text.push_str("-- +goose NO TRANSACTION\n");
        }
        text.push_str(&format!("-- +goose Up\n{}", new.up));
        if let Some(d) = &new.down {
            text.push_str(&format!("\n-- +goose Down\n{d}"));
        }
        vec![(format!("{}_{}.sql", new.version, new.name), text)]
    }

    fn default_filename(&self) -> &'static str {
        MARKED_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        scan_marked(opts, tree, entries, Tool::Goose)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Dbmate,
    Goose,
}

fn scan_marked(
    opts: &CatalogOptions<'_>,
    tree: &dyn SourceTree,
    entries: Vec<Entry>,
    tool: Tool,
) -> Result<Catalog, CoreError> {
    let mut catalog = Catalog::default();
    for e in entries.into_iter().filter(|e| !e.is_dir) {
        let display = display_path(opts.root, &e.path);
        let Some((version, name)) = split_file_name(opts.filename, &e.name) else {
            catalog
                .issues
                .push(CatalogIssue::filename_contract(opts, display));
            continue;
        };
        let bytes = tree.read_listed(&e.path)?;
        let (checksum, text) = decode(&e.path, &bytes)?;
        let parsed = parse(tool, &text);
        for (line, directive) in &parsed.unknown {
            catalog.issues.push(CatalogIssue::UnknownDirective {
                display_path: display.clone(),
                line: *line,
                directive: directive.clone(),
            });
        }
        let Some(up) = parsed.up else {
            catalog.issues.push(CatalogIssue::MissingBody {
                display_path: display,
                missing: match tool {
                    Tool::Dbmate => "a `-- migrate:up` line".into(),
                    Tool::Goose => "a `-- +goose Up` line".into(),
                },
            });
            continue;
        };
        let down = parsed.down.filter(|s| has_sql(&text[s.range.clone()]));
        let m = Migration::unread(
            version,
            name,
            e.name.clone(),
            e.path.clone(),
            display,
            checksum,
            Header::parse(&text, 1),
            up,
            down,
            parsed.down_line,
        );
        catalog.migrations.push(m.with_text(text));
    }
    catalog.order_by_version();
    Ok(catalog)
}

/// A marked file's parts.
struct Parsed {
    up: Option<Section>,
    down: Option<Section>,
    down_line: Option<usize>,
    /// (line, text) of directives sluice does not understand.
    unknown: Vec<(usize, String)>,
}

/// Splits a marked file into its up and down sections.
fn parse(tool: Tool, text: &str) -> Parsed {
    let mut out = Parsed {
        up: None,
        down: None,
        down_line: None,
        unknown: Vec::new(),
    };
    let goose_no_tx = tool == Tool::Goose
        && text
            .lines()
            .any(|l| l.trim().eq_ignore_ascii_case("-- +goose NO TRANSACTION"));
    // (is up, start byte, first line, no transaction)
    let mut open: Option<(bool, usize, usize, bool)> = None;
    let close = |open: &mut Option<(bool, usize, usize, bool)>, end: usize, out: &mut Parsed| {
        if let Some((up, start, first_line, no_transaction)) = open.take() {
            let s = Section {
                range: start..end,
                first_line,
                no_transaction,
                alone_if_single: false,
            };
            if up {
                out.up = Some(s);
            } else {
                out.down = Some(s);
            }
        }
    };
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let next = offset + line.len();
        match directive(tool, line.trim()) {
            Some(Marker::Up(no_tx)) => {
                close(&mut open, offset, &mut out);
                open = Some((true, next, n + 1, no_tx || goose_no_tx));
            }
            Some(Marker::Down(no_tx)) => {
                close(&mut open, offset, &mut out);
                out.down_line = Some(n);
                open = Some((false, next, n + 1, no_tx || goose_no_tx));
            }
            Some(Marker::Known) => {}
            Some(Marker::Unknown) => out.unknown.push((n, line.trim().to_string())),
            None => {}
        }
        offset = next;
    }
    close(&mut open, text.len(), &mut out);
    out
}

enum Marker {
    /// Starts the up part; true: outside a transaction.
    Up(bool),
    /// Starts the down part.
    Down(bool),
    /// A directive sluice honours where it stands (or that needs nothing).
    Known,
    /// In the tool's syntax, but not understood.
    Unknown,
}

/// What a trimmed line is, in `tool`'s directive syntax.
fn directive(tool: Tool, line: &str) -> Option<Marker> {
    match tool {
        Tool::Dbmate => {
            let rest = line.strip_prefix("-- migrate:")?;
            let mut words = rest.split_whitespace();
            let which = words.next().unwrap_or("");
            let mut no_tx = false;
            for opt in words {
                match opt {
                    "transaction:false" => no_tx = true,
                    "transaction:true" => {}
                    _ => return Some(Marker::Unknown),
                }
            }
            Some(match which {
                "up" => Marker::Up(no_tx),
                "down" => Marker::Down(no_tx),
                _ => Marker::Unknown,
            })
        }
        Tool::Goose => {
            let rest = line.strip_prefix("-- +goose")?.trim();
            Some(match rest.to_ascii_lowercase().as_str() {
                "up" => Marker::Up(false),
                "down" => Marker::Down(false),
                "no transaction" | "statementbegin" | "statementend" => Marker::Known,
                _ => Marker::Unknown,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbmate_parts_and_transaction_false() {
        let t = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n";
        let p = parse(Tool::Dbmate, t);
        let up = p.up.unwrap();
        assert!(up.no_transaction);
        assert_eq!(
            &t[up.range.clone()],
            "CREATE INDEX CONCURRENTLY i ON t (a);\n\n"
        );
        assert_eq!(up.first_line, 2);
        let down = p.down.unwrap();
        assert!(!down.no_transaction);
        assert_eq!(&t[down.range], "DROP INDEX i;\n");
        assert_eq!(p.down_line, Some(4));
        assert!(p.unknown.is_empty());
    }

    #[test]
    fn goose_no_transaction_applies_to_both_parts_and_unknown_directives_are_kept() {
        let t = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n-- +goose ENVSUB ON\n-- +goose Down\nDROP FUNCTION f();\n";
        let p = parse(Tool::Goose, t);
        assert!(p.up.as_ref().unwrap().no_transaction);
        assert!(p.down.as_ref().unwrap().no_transaction);
        assert_eq!(p.unknown, [(6, "-- +goose ENVSUB ON".to_string())]);
        let d = parse(Tool::Dbmate, "-- migrate:up transaction:maybe\nSELECT 1;\n");
        assert_eq!(d.unknown.len(), 1);
    }
}
