//! Postgres DDL that turns one schema into another, ordered by dependencies:
//!
//! 1. new schemas, extensions, enum types (and values), domains, sequences;
//! 2. views that are removed, changed, or read a table whose columns change,
//!    are dropped (dependents first), to be recreated at the end;
//! 3. triggers, policies, foreign keys, other constraints and indexes that
//!    are removed or changed are dropped;
//! 4. functions are created or replaced (with `check_function_bodies = off`,
//!    as pg_dump does, so a body may name a table created below);
//! 5. tables are created (partitions after their parent) and altered
//!    (columns, RLS);
//! 6. constraints (foreign keys last), indexes, views (in dependency order),
//!    triggers, policies and comments are created;
//! 7. removed tables, functions, sequences, domains, types, extensions and
//!    schemas are dropped.
//!
//! Every statement that can lose data (a drop, a type change, an enum
//! rebuild) is marked destructive, with the reason.

pub mod mysql;
mod tables;
mod types;

use tables::*;
use types::*;

use crate::compare::describe_column;
use crate::model::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One DDL statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ddl {
    /// The SQL, ending in `;`.
    pub sql: String,
    /// Why it can lose data or break readers, when it can.
    pub destructive: Option<String>,
}

/// An identifier as Postgres's `quote_ident()` writes it: bare when it is a
/// plain lower-case name that is not a keyword (other than an unreserved one)
/// in the server's own keyword list; else double-quoted.
pub fn ident(s: &str) -> String {
    sluice_sql::keywords::quote_ident(s)
}

pub(super) fn q(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

pub(super) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) struct Out(Vec<Ddl>);

impl Out {
    fn add(&mut self, sql: String) {
        self.0.push(Ddl {
            sql,
            destructive: None,
        });
    }
    fn destructive(&mut self, sql: String, why: String) {
        self.0.push(Ddl {
            sql,
            destructive: Some(why),
        });
    }
}

pub(super) fn comment_on(out: &mut Out, what: &str, c: &Option<String>) {
    out.add(format!(
        "COMMENT ON {what} IS {};",
        c.as_deref().map(lit).unwrap_or_else(|| "NULL".into())
    ));
}

pub(super) fn column_def(c: &Column) -> String {
    format!("{} {}", ident(&c.name), describe_column(c))
}

pub(super) fn sequence_options(s: &Sequence) -> String {
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.data_type,
        s.increment,
        s.min,
        s.max,
        s.start,
        s.cache,
        if s.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

pub(super) fn domain_sql(d: &Domain) -> String {
    let mut s = format!("CREATE DOMAIN {} AS {}", q(&d.schema, &d.name), d.data_type);
    if let Some(def) = &d.default {
        s.push_str(&format!(" DEFAULT {def}"));
    }
    if d.not_null {
        s.push_str(" NOT NULL");
    }
    for (n, c) in &d.checks {
        s.push_str(&format!(" CONSTRAINT {} {c}", ident(n)));
    }
    s.push(';');
    s
}

pub(super) fn policy_sql(schema: &str, table: &str, name: &str, p: &Policy) -> String {
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        ident(name),
        q(schema, table),
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        p.roles
            .iter()
            .map(|r| if r == "public" {
                "PUBLIC".to_string()
            } else {
                ident(r)
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(c) = &p.check {
        s.push_str(&format!(" WITH CHECK ({c})"));
    }
    s.push(';');
    s
}

/// CREATE INDEX from `pg_get_indexdef`. On a partitioned table it says `ON
/// ONLY` (the parent's index alone, left invalid until each partition's is
/// attached); creating it without ONLY builds and attaches them all.
pub(super) fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.replacen(" ON ONLY ", " ON ", 1))
}

/// `VIEW s.v` or `MATERIALIZED VIEW s.v`.
pub(super) fn view_object(v: &View) -> String {
    format!(
        "{}VIEW {}",
        if v.materialized { "MATERIALIZED " } else { "" },
        q(&v.schema, &v.name)
    )
}

pub(super) fn view_sql(v: &View) -> String {
    format!(
        "CREATE {}VIEW {} AS\n{}{}",
        if v.materialized { "MATERIALIZED " } else { "" },
        q(&v.schema, &v.name),
        v.definition.trim_end().trim_end_matches(';'),
        ";"
    )
}

/// Columns whose type is the enum `e` (by name, qualified or not, or an array of it).
pub(super) fn enum_columns<'a>(s: &'a Schema, e: &Enum) -> Vec<(&'a Table, &'a Column)> {
    let names = [
        e.name.clone(),
        ident(&e.name),
        format!("{}.{}", e.schema, e.name),
        q(&e.schema, &e.name),
    ];
    s.tables
        .values()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .filter(|(_, c)| {
            names
                .iter()
                .any(|n| c.data_type.trim_end_matches("[]") == n)
        })
        .collect()
}

/// Whether `old` keeps its order inside `new` (values were only added).
pub(super) fn only_added(old: &[String], new: &[String]) -> bool {
    let mut it = new.iter();
    old.iter().all(|o| it.any(|n| n == o))
}

/// Views in an order where each comes after the views it reads.
pub(super) fn view_order<'a>(
    views: &'a BTreeMap<String, View>,
    keys: &BTreeSet<String>,
) -> Vec<&'a View> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    fn visit<'a>(
        k: &str,
        views: &'a BTreeMap<String, View>,
        keys: &BTreeSet<String>,
        done: &mut BTreeSet<String>,
        out: &mut Vec<&'a View>,
    ) {
        if done.contains(k) || !keys.contains(k) {
            return;
        }
        done.insert(k.to_string());
        if let Some(v) = views.get(k) {
            for d in &v.depends_on {
                visit(d, views, keys, done, out);
            }
            out.push(v);
        }
    }
    for k in keys {
        visit(k, views, keys, &mut done, &mut out);
    }
    out
}

/// The DDL that turns `from` into `to` (MySQL's when either schema was
/// read from MySQL or MariaDB: see [`mysql`]).
pub fn diff(from: &Schema, to: &Schema) -> Vec<Ddl> {
    if to.dialect == "mysql" || from.dialect == "mysql" {
        return mysql::diff(from, to);
    }
    let mut out = Out(Vec::new());
    types_and_sequences(from, to, &mut out);
    let drop_views = views_to_drop(from, to, &mut out);
    drops_on_staying_tables(from, to, &mut out, &drop_views);
    functions(from, to, &mut out);
    tables(from, to, &mut out);
    dependents(from, to, &mut out, &drop_views);
    drops(from, to, &mut out);
    out.0
}

/// The statements as a script; destructive ones are preceded by a comment
/// saying why, and `bypass` (such as `-- CI:DESTRUCTIVE_OK INC-42`) trails
/// them when given.
pub fn render(stmts: &[Ddl], bypass: Option<&str>) -> String {
    let mut s = String::new();
    for d in stmts {
        if let Some(why) = &d.destructive {
            s.push_str(&format!("-- destructive: {why}\n"));
        }
        s.push_str(&d.sql);
        if let (Some(b), Some(_)) = (bypass, &d.destructive) {
            s.push_str(&format!("  {b}"));
        }
        s.push('\n');
    }
    s
}
