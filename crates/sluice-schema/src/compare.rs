//! Comparison: every difference between an expected and an actual schema,
//! object by object, with what differs.

use crate::model::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of object a [`Difference`] is about (serialised as before:
/// `table`, `row level security`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// A schema.
    Schema,
    /// An extension.
    Extension,
    /// An enum type.
    Enum,
    /// A domain.
    Domain,
    /// A sequence.
    Sequence,
    /// A table.
    Table,
    /// A column.
    Column,
    /// A constraint.
    Constraint,
    /// An index.
    Index,
    /// A trigger.
    Trigger,
    /// A row-level security policy.
    Policy,
    /// A table's row-level security switch.
    #[serde(rename = "row level security")]
    RowLevelSecurity,
    /// A view.
    View,
    /// A function or procedure.
    Function,
    /// A comment.
    Comment,
}

impl ObjectKind {
    /// As serialised (`row level security`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Extension => "extension",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Policy => "policy",
            ObjectKind::RowLevelSecurity => "row level security",
            ObjectKind::View => "view",
            ObjectKind::Function => "function",
            ObjectKind::Comment => "comment",
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the live object differs from the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Expected, absent.
    Missing,
    /// Present, not expected.
    Unexpected,
    /// Present and different.
    Changed,
}

impl ChangeKind {
    /// As serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Missing => "missing",
            ChangeKind::Unexpected => "unexpected",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// What kind of object: `schema`, `extension`, `enum`, `domain`,
    /// `sequence`, `table`, `column`, `constraint`, `index`, `trigger`,
    /// `policy`, `row level security`, `view`, `function`, `comment`.
    pub kind: ObjectKind,
    /// The object (`public.users.email`).
    pub object: String,
    /// `missing` (expected, absent), `unexpected` (present, not expected) or
    /// `changed`.
    pub change: ChangeKind,
    /// What was expected.
    pub expected: Option<String>,
    /// What is there.
    pub actual: Option<String>,
}

impl Difference {
    /// One line for people: `column public.users.nick: unexpected (text)`.
    pub fn describe(&self) -> String {
        let detail = match self.change {
            ChangeKind::Missing => format!(
                "missing{}",
                self.expected
                    .as_ref()
                    .map(|e| format!(" (expected {e})"))
                    .unwrap_or_default()
            ),
            ChangeKind::Unexpected => format!(
                "not expected{}",
                self.actual
                    .as_ref()
                    .map(|a| format!(" (found {a})"))
                    .unwrap_or_default()
            ),
            _ => format!(
                "expected {}, found {}",
                self.expected.as_deref().unwrap_or("none"),
                self.actual.as_deref().unwrap_or("none")
            ),
        };
        format!("{} {}: {detail}", self.kind, self.object)
    }
}

/// A column as one line: `text NOT NULL DEFAULT 'x'`.
pub fn describe_column(c: &Column) -> String {
    let mut s = c.data_type.clone();
    if let Some(co) = &c.collation {
        s.push_str(&format!(" COLLATE {co}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    if let Some(i) = &c.identity {
        s.push_str(&format!(" GENERATED {} AS IDENTITY", i.to_uppercase()));
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
}

struct Out(Vec<Difference>);

impl Out {
    fn push(
        &mut self,
        kind: ObjectKind,
        object: String,
        expected: Option<String>,
        actual: Option<String>,
    ) {
        let change = match (&expected, &actual) {
            (Some(_), None) => ChangeKind::Missing,
            (None, Some(_)) => ChangeKind::Unexpected,
            _ => ChangeKind::Changed,
        };
        self.0.push(Difference {
            kind,
            object,
            change,
            expected,
            actual,
        });
    }

    /// Compares two maps whose values describe themselves as one line.
    fn map<T: PartialEq>(
        &mut self,
        kind: ObjectKind,
        prefix: &str,
        e: &BTreeMap<String, T>,
        a: &BTreeMap<String, T>,
        describe: impl Fn(&T) -> String,
    ) {
        for (k, ev) in e {
            match a.get(k) {
                None => self.push(kind, format!("{prefix}{k}"), Some(describe(ev)), None),
                Some(av) if av != ev => self.push(
                    kind,
                    format!("{prefix}{k}"),
                    Some(describe(ev)),
                    Some(describe(av)),
                ),
                _ => {}
            }
        }
        for (k, av) in a {
            if !e.contains_key(k) {
                self.push(kind, format!("{prefix}{k}"), None, Some(describe(av)));
            }
        }
    }

    fn comment(&mut self, object: String, e: &Option<String>, a: &Option<String>) {
        if e != a {
            self.0.push(Difference {
                kind: ObjectKind::Comment,
                object,
                change: ChangeKind::Changed,
                expected: e.clone(),
                actual: a.clone(),
            });
        }
    }
}

/// Every difference from `expected` to `actual`.
pub fn compare(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let mut out = Out(Vec::new());
    out.map(
        ObjectKind::Schema,
        "",
        &expected.schemas,
        &actual.schemas,
        |_| "schema".into(),
    );
    for (k, e) in &expected.schemas {
        if let Some(a) = actual.schemas.get(k) {
            out.comment(format!("schema {k}"), &e.comment, &a.comment);
        }
    }
    out.map(
        ObjectKind::Extension,
        "",
        &expected.extensions,
        &actual.extensions,
        |x| format!("in schema {}", x.schema),
    );
    out.map(ObjectKind::Enum, "", &expected.enums, &actual.enums, |x| {
        format!("({})", x.values.join(", "))
    });
    out.map(
        ObjectKind::Domain,
        "",
        &expected.domains,
        &actual.domains,
        |x| {
            let mut s = x.data_type.clone();
            if x.not_null {
                s.push_str(" NOT NULL");
            }
            if let Some(d) = &x.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            for c in x.checks.values() {
                s.push_str(&format!(" {c}"));
            }
            s
        },
    );
    out.map(
        ObjectKind::Sequence,
        "",
        &expected.sequences,
        &actual.sequences,
        |x| {
            format!(
                "{} start {} increment {} min {} max {}{}",
                x.data_type,
                x.start,
                x.increment,
                x.min,
                x.max,
                if x.cycle { " cycle" } else { "" }
            )
        },
    );
    for (k, e) in &expected.tables {
        let Some(a) = actual.tables.get(k) else {
            out.push(ObjectKind::Table, k.clone(), Some(e.kind.clone()), None);
            continue;
        };
        table(&mut out, k, e, a);
    }
    for (k, a) in &actual.tables {
        if !expected.tables.contains_key(k) {
            out.push(
                ObjectKind::Table,
                k.clone(),
                None,
                Some(format!(
                    "{} with {} column{}",
                    a.kind,
                    a.columns.len(),
                    if a.columns.len() == 1 { "" } else { "s" }
                )),
            );
        }
    }
    out.map(ObjectKind::View, "", &expected.views, &actual.views, |v| {
        format!(
            "{}{}",
            if v.materialized { "materialized: " } else { "" },
            v.definition
        )
    });
    for (k, e) in &expected.views {
        if let Some(a) = actual.views.get(k) {
            out.map(
                ObjectKind::Index,
                &format!("{k}."),
                &e.indexes,
                &a.indexes,
                |i| i.definition.clone(),
            );
            out.comment(format!("view {k}"), &e.comment, &a.comment);
        }
    }
    out.map(
        ObjectKind::Function,
        "",
        &expected.functions,
        &actual.functions,
        |f| f.definition.clone(),
    );
    out.0
}

/// The columns of table `k`: missing, changed (comments apart) and unexpected.
fn columns(out: &mut Out, k: &str, e: &Table, a: &Table) {
    for c in &e.columns {
        match a.column(&c.name) {
            None => out.push(
                ObjectKind::Column,
                format!("{k}.{}", c.name),
                Some(describe_column(c)),
                None,
            ),
            Some(ac) => {
                let (mut ec, mut acc) = (c.clone(), ac.clone());
                ec.comment = None;
                acc.comment = None;
                if ec != acc {
                    out.push(
                        ObjectKind::Column,
                        format!("{k}.{}", c.name),
                        Some(describe_column(c)),
                        Some(describe_column(ac)),
                    );
                }
                out.comment(format!("column {k}.{}", c.name), &c.comment, &ac.comment);
            }
        }
    }
    for c in &a.columns {
        if e.column(&c.name).is_none() {
            out.push(
                ObjectKind::Column,
                format!("{k}.{}", c.name),
                None,
                Some(describe_column(c)),
            );
        }
    }
}

fn table(out: &mut Out, k: &str, e: &Table, a: &Table) {
    if (
        &e.kind,
        &e.partition_by,
        &e.partition_of,
        &e.partition_bound,
    ) != (
        &a.kind,
        &a.partition_by,
        &a.partition_of,
        &a.partition_bound,
    ) {
        let d = |t: &Table| {
            let mut s = t.kind.clone();
            if let Some(p) = &t.partition_by {
                s.push_str(&format!(" PARTITION BY {p}"));
            }
            if let (Some(p), Some(b)) = (&t.partition_of, &t.partition_bound) {
                s.push_str(&format!(" PARTITION OF {p} {b}"));
            }
            s
        };
        out.push(ObjectKind::Table, k.to_string(), Some(d(e)), Some(d(a)));
    }
    columns(out, k, e, a);
    let prefix = format!("{k}.");
    out.map(
        ObjectKind::Constraint,
        &prefix,
        &e.constraints,
        &a.constraints,
        |c| c.definition.clone(),
    );
    out.map(ObjectKind::Index, &prefix, &e.indexes, &a.indexes, |i| {
        format!(
            "{}{}",
            i.definition,
            if i.valid { "" } else { " (INVALID)" }
        )
    });
    out.map(
        ObjectKind::Trigger,
        &prefix,
        &e.triggers,
        &a.triggers,
        |t| {
            format!(
                "{}{}",
                t.definition,
                if t.enabled == "D" { " (disabled)" } else { "" }
            )
        },
    );
    if (e.rls_enabled, e.rls_forced) != (a.rls_enabled, a.rls_forced) {
        let d = |t: &Table| {
            format!(
                "{}{}",
                if t.rls_enabled { "enabled" } else { "disabled" },
                if t.rls_forced { ", forced" } else { "" }
            )
        };
        out.push(
            ObjectKind::RowLevelSecurity,
            k.to_string(),
            Some(d(e)),
            Some(d(a)),
        );
    }
    out.map(ObjectKind::Policy, &prefix, &e.policies, &a.policies, |p| {
        format!(
            "{} {} TO {}{}{}",
            if p.permissive {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            p.command,
            p.roles.join(", "),
            p.using
                .as_ref()
                .map(|u| format!(" USING ({u})"))
                .unwrap_or_default(),
            p.check
                .as_ref()
                .map(|c| format!(" WITH CHECK ({c})"))
                .unwrap_or_default()
        )
    });
    out.comment(format!("table {k}"), &e.comment, &a.comment);
    if e.sql != a.sql && e.columns == a.columns {
        out.push(
            ObjectKind::Table,
            k.to_string(),
            e.sql.clone(),
            a.sql.clone(),
        );
    }
}
