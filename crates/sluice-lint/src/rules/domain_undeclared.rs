//! `domain-undeclared` (error): a migration touches an object of a data
//! domain (`[domains.<name>] objects`: a table, or `table.column`) while
//! its header does not declare that domain (`<header>: Yes`, such as
//! `TOUCHES_PRIVACY: Yes`). Raised by the engine with the statement rules,
//! for each statement that touches a domain object: a change to the object
//! itself (a column added, dropped, renamed or retyped, the table dropped,
//! renamed, truncated) or to its rows (INSERT, UPDATE, DELETE, COPY).
//!
//! **Why.** A playbook's domain flags decide who reviews a change (privacy,
//! billing): a header that says `No` while the migration drops
//! `users.email` routes it past the people who must see it.
//!
//! **Example.** `ALTER TABLE users DROP COLUMN email;` under
//! `-- TOUCHES_PRIVACY: No` with `[domains.privacy] header =
//! "TOUCHES_PRIVACY"`, `objects = ["users.email"]`.
//!
//! **Instead.** Set the header to `Yes` and cite the domain's document
//! (see `domain-reference-missing`).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "domain-undeclared",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a migration touches a data domain its header does not declare",
    check: Check::Raised,
};

/// A data domain of the configuration.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Its name (`privacy`).
    pub name: String,
    /// The header flag (`TOUCHES_PRIVACY`).
    pub header: String,
    /// Its objects: a table, with one column when it is `table.column`.
    pub objects: Vec<(String, Option<String>)>,
    /// What the header block must cite when the flag is Yes.
    pub reference: Option<regex::Regex>,
}

impl Domain {
    /// Parses `objects` entries (`table` or `table.column`, lower-cased as
    /// unquoted identifiers fold).
    pub fn objects_of(entries: &[String]) -> Vec<(String, Option<String>)> {
        entries
            .iter()
            .map(|o| {
                let o = o.trim().to_ascii_lowercase();
                match o.split_once('.') {
                    Some((t, c)) => (t.to_string(), Some(c.to_string())),
                    None => (o, None),
                }
            })
            .collect()
    }

    /// The object of this domain `action` touches, when it touches one.
    fn touched(&self, action: &Action) -> Option<String> {
        let table = action.table()?;
        let column = action.column().map(str::to_ascii_lowercase);
        // Changes to the table as a whole or to its rows touch every column.
        let whole = matches!(
            action,
            Action::DropTable { .. }
                | Action::RenameTable { .. }
                | Action::Truncate { .. }
                | Action::Insert { .. }
                | Action::Update { .. }
                | Action::Delete { .. }
        );
        if column.is_none() && !whole {
            return None;
        }
        let name = table.name.to_ascii_lowercase();
        self.objects.iter().find_map(|(t, c)| {
            if *t != name {
                return None;
            }
            match (c, &column) {
                (None, _) => Some(t.clone()),
                (Some(c), Some(col)) if c == col => Some(format!("{t}.{c}")),
                (Some(c), None) => Some(format!("{t}.{c}")),
                _ => None,
            }
        })
    }
}

/// The domain findings of a migration: `domain-undeclared` at each
/// up-section statement touching a domain its header does not declare Yes,
/// and `domain-reference-missing` at the flag when it says Yes and the
/// header block cites nothing the domain's `reference` matches.
pub fn check(
    m: &sluice_core::Migration,
    analysis: &crate::analysis::Analysis,
    domains: &[Domain],
    out: &mut Vec<Finding>,
) {
    for d in domains {
        let flag = m.header.get(&d.header);
        let yes = flag.is_some_and(|f| sluice_core::header::parse_yes_no(&f.value) == Some(true));
        if !yes {
            for (i, s) in analysis.statements.iter().enumerate().filter(|(_, s)| !s.down) {
                let Ok(f) = &s.facts else { continue };
                if let Some(object) = f.actions.iter().find_map(|a| d.touched(a)) {
                    out.push(Finding {
                        rule: crate::RuleId::DomainUndeclared,
                        line: s.stmt.line,
                        column: s.stmt.column,
                        message: format!(
                            "this statement touches {object}, which is in the {} domain, and the header {}",
                            d.name,
                            match flag {
                                Some(f) => format!("says {}: {}", d.header, f.value),
                                None => format!("has no {}", d.header),
                            }
                        ),
                        help: format!(
                            "declare it: `-- {}: Yes` in the header, with the reference the domain asks for",
                            d.header
                        ),
                        risk: None,
                        statement: Some(i),
                        span: Some(s.stmt.range.clone()),
                        fix: None,
                    });
                }
            }
            continue;
        }
        let Some(re) = &d.reference else { continue };
        let cited = m
            .header
            .fields
            .iter()
            .any(|f| re.is_match(&f.value) || re.is_match(&f.key));
        if !cited {
            let f = flag.expect("yes has a flag");
            out.push(Finding {
                rule: crate::RuleId::DomainReferenceMissing,
                line: f.line,
                column: f.value_column,
                message: format!(
                    "{}: Yes needs a reference matching '{}' in the header, and there is none",
                    d.header,
                    re.as_str()
                ),
                help: "cite the domain's document in a header field (for example `-- PRIVACY_DOC: docs/privacy/<name>.md`)".into(),
                risk: None,
                statement: None,
                span: None,
                fix: None,
            });
        }
    }
}
