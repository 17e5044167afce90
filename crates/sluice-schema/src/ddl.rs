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

fn q(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

struct Out(Vec<Ddl>);

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

fn comment_on(out: &mut Out, what: &str, c: &Option<String>) {
    out.add(format!(
        "COMMENT ON {what} IS {};",
        c.as_deref().map(lit).unwrap_or_else(|| "NULL".into())
    ));
}

fn column_def(c: &Column) -> String {
    format!("{} {}", ident(&c.name), describe_column(c))
}

fn sequence_options(s: &Sequence) -> String {
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

fn domain_sql(d: &Domain) -> String {
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

fn policy_sql(schema: &str, table: &str, name: &str, p: &Policy) -> String {
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
fn index_sql(i: &Index) -> String {
    format!("{};", i.definition.replacen(" ON ONLY ", " ON ", 1))
}

/// `VIEW s.v` or `MATERIALIZED VIEW s.v`.
fn view_object(v: &View) -> String {
    format!(
        "{}VIEW {}",
        if v.materialized { "MATERIALIZED " } else { "" },
        q(&v.schema, &v.name)
    )
}

fn view_sql(v: &View) -> String {
    format!(
        "CREATE {}VIEW {} AS\n{}{}",
        if v.materialized { "MATERIALIZED " } else { "" },
        q(&v.schema, &v.name),
        v.definition.trim_end().trim_end_matches(';'),
        ";"
    )
}

/// Columns whose type is the enum `e` (by name, qualified or not, or an array of it).
fn enum_columns<'a>(s: &'a Schema, e: &Enum) -> Vec<(&'a Table, &'a Column)> {
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
fn only_added(old: &[String], new: &[String]) -> bool {
    let mut it = new.iter();
    old.iter().all(|o| it.any(|n| n == o))
}

/// Views in an order where each comes after the views it reads.
fn view_order<'a>(views: &'a BTreeMap<String, View>, keys: &BTreeSet<String>) -> Vec<&'a View> {
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

/// The DDL that turns `from` into `to`.
pub fn diff(from: &Schema, to: &Schema) -> Vec<Ddl> {
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

/// Phase 1: schemas, extensions, enum and domain types, sequences.
fn types_and_sequences(from: &Schema, to: &Schema, out: &mut Out) {
    // 1. schemas, extensions, types, sequences
    for (n, s) in &to.schemas {
        if !from.schemas.contains_key(n) {
            out.add(format!("CREATE SCHEMA {};", ident(n)));
            if s.comment.is_some() {
                comment_on(out, &format!("SCHEMA {}", ident(n)), &s.comment);
            }
        } else if from.schemas[n].comment != s.comment {
            comment_on(out, &format!("SCHEMA {}", ident(n)), &s.comment);
        }
    }
    for (n, e) in &to.extensions {
        if !from.extensions.contains_key(n) {
            out.add(format!(
                "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
                ident(n),
                ident(&e.schema)
            ));
        }
    }
    enums(from, to, out);
    domains_and_sequences(from, to, out);
}

/// Enum types: created, values added, or rebuilt when values go or move.
fn enums(from: &Schema, to: &Schema, out: &mut Out) {
    let mut rebuilt_enums = Vec::new();
    for (k, e) in &to.enums {
        match from.enums.get(k) {
            None => out.add(format!(
                "CREATE TYPE {} AS ENUM ({});",
                q(&e.schema, &e.name),
                e.values
                    .iter()
                    .map(|v| lit(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(old) if old.values == e.values => {}
            Some(old) if only_added(&old.values, &e.values) => {
                for (i, v) in e.values.iter().enumerate() {
                    if old.values.contains(v) {
                        continue;
                    }
                    let place = match e.values[i + 1..].iter().find(|n| old.values.contains(n)) {
                        Some(next) => format!(" BEFORE {}", lit(next)),
                        None => String::new(),
                    };
                    out.add(format!(
                        "ALTER TYPE {} ADD VALUE {}{place};",
                        q(&e.schema, &e.name),
                        lit(v)
                    ));
                }
            }
            Some(old) => rebuilt_enums.push((old, e)),
        }
    }
    for (old, e) in &rebuilt_enums {
        // Values removed or reordered: rebuild the type and convert its columns.
        let name = q(&e.schema, &e.name);
        let tmp = q(&e.schema, &format!("{}__sluice_old", e.name));
        out.add(format!(
            "ALTER TYPE {name} RENAME TO {};",
            ident(&format!("{}__sluice_old", e.name))
        ));
        out.add(format!(
            "CREATE TYPE {name} AS ENUM ({});",
            e.values
                .iter()
                .map(|v| lit(v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for (t, c) in enum_columns(from, old) {
            let default = c.default.is_some();
            if default {
                out.add(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
                    q(&t.schema, &t.name),
                    ident(&c.name)
                ));
            }
            let arr = if c.data_type.ends_with("[]") {
                "[]"
            } else {
                ""
            };
            out.destructive(
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {name}{arr} USING {}::text{arr}::{name}{arr};",
                    q(&t.schema, &t.name),
                    ident(&c.name),
                    ident(&c.name)
                ),
                format!(
                    "rows holding a removed value of {name} make this fail: update them first (values removed: {})",
                    old.values
                        .iter()
                        .filter(|v| !e.values.contains(v))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            if let Some(d) = &c.default {
                out.add(format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d};",
                    q(&t.schema, &t.name),
                    ident(&c.name)
                ));
            }
        }
        out.destructive(
            format!("DROP TYPE {tmp};"),
            format!("drops the old definition of {name}"),
        );
    }
}

/// Domains and sequences, created or altered.
fn domains_and_sequences(from: &Schema, to: &Schema, out: &mut Out) {
    for (k, d) in &to.domains {
        match from.domains.get(k) {
            None => out.add(domain_sql(d)),
            Some(old) if old == d => {}
            Some(old) if old.data_type != d.data_type => {
                out.destructive(
                    format!("DROP DOMAIN {};", q(&d.schema, &d.name)),
                    "the domain's base type changed: it is dropped and recreated".into(),
                );
                out.add(domain_sql(d));
            }
            Some(old) => {
                let name = q(&d.schema, &d.name);
                if old.default != d.default {
                    out.add(match &d.default {
                        Some(v) => format!("ALTER DOMAIN {name} SET DEFAULT {v};"),
                        None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
                    });
                }
                if old.not_null != d.not_null {
                    out.add(format!(
                        "ALTER DOMAIN {name} {} NOT NULL;",
                        if d.not_null { "SET" } else { "DROP" }
                    ));
                }
                for (n, c) in &old.checks {
                    if d.checks.get(n) != Some(c) {
                        out.add(format!("ALTER DOMAIN {name} DROP CONSTRAINT {};", ident(n)));
                    }
                }
                for (n, c) in &d.checks {
                    if old.checks.get(n) != Some(c) {
                        out.add(format!(
                            "ALTER DOMAIN {name} ADD CONSTRAINT {} {c};",
                            ident(n)
                        ));
                    }
                }
            }
        }
    }
    for (k, s) in &to.sequences {
        match from.sequences.get(k) {
            None => out.add(format!(
                "CREATE SEQUENCE {} {};",
                q(&s.schema, &s.name),
                sequence_options(s)
            )),
            Some(old)
                if (
                    old.data_type.clone(),
                    old.start,
                    old.increment,
                    old.min,
                    old.max,
                    old.cycle,
                    old.cache,
                ) != (
                    s.data_type.clone(),
                    s.start,
                    s.increment,
                    s.min,
                    s.max,
                    s.cycle,
                    s.cache,
                ) =>
            {
                out.add(format!(
                    "ALTER SEQUENCE {} {};",
                    q(&s.schema, &s.name),
                    sequence_options(s)
                ))
            }
            _ => {}
        }
    }
}

/// Phase 2: views to drop now (recreated at the end when they stay); the keys of those dropped.
fn views_to_drop(from: &Schema, to: &Schema, out: &mut Out) -> BTreeSet<String> {
    // 2. views to drop now (and maybe recreate at the end)
    let changed_tables: BTreeSet<String> = from
        .tables
        .iter()
        .filter(|(k, t)| {
            to.tables.get(*k).is_none_or(|n| {
                n.columns.len() != t.columns.len()
                    || n.columns.iter().any(|c| t.column(&c.name) != Some(c))
            })
        })
        .map(|(k, _)| k.clone())
        .collect();
    let mut drop_views: BTreeSet<String> =
        from.views
            .iter()
            .filter(|(k, v)| {
                to.views.get(*k).is_none_or(|n| {
                    n.definition != v.definition || n.materialized != v.materialized
                }) || v.depends_on.iter().any(|d| changed_tables.contains(d))
            })
            .map(|(k, _)| k.clone())
            .collect();
    loop {
        let more: Vec<String> = from
            .views
            .iter()
            .filter(|(k, v)| {
                !drop_views.contains(*k) && v.depends_on.iter().any(|d| drop_views.contains(d))
            })
            .map(|(k, _)| k.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        drop_views.extend(more);
    }
    for v in view_order(&from.views, &drop_views).into_iter().rev() {
        let sql = format!("DROP {};", view_object(v));
        if to.views.contains_key(&key(&v.schema, &v.name)) {
            out.add(sql); // recreated below
        } else {
            out.destructive(sql, format!("drops view {}.{}", v.schema, v.name));
        }
    }
    drop_views
}

/// Phase 3: what changes or goes on tables that stay (and the foreign keys of tables that go).
fn drops_on_staying_tables(
    from: &Schema,
    to: &Schema,
    out: &mut Out,
    drop_views: &BTreeSet<String>,
) {
    // 3. drop what changes or goes, on tables that stay (and FKs of tables that go)
    let empty = Table::default();
    for (k, old) in &from.tables {
        let new = to.tables.get(k);
        let name = q(&old.schema, &old.name);
        let n = new.unwrap_or(&empty);
        if new.is_some() {
            for (tn, t) in &old.triggers {
                if n.triggers
                    .get(tn)
                    .is_none_or(|x| x.definition != t.definition)
                {
                    out.add(format!("DROP TRIGGER {} ON {name};", ident(tn)));
                }
            }
            for (pn, p) in &old.policies {
                if n.policies.get(pn) != Some(p) {
                    out.destructive(
                        format!("DROP POLICY {} ON {name};", ident(pn)),
                        "drops a row-level security policy".into(),
                    );
                }
            }
        }
        for (cn, c) in old
            .constraints
            .iter()
            .filter(|(_, c)| c.kind == "foreign key")
        {
            if new.is_none() || n.constraints.get(cn) != Some(c) {
                out.add(format!("ALTER TABLE {name} DROP CONSTRAINT {};", ident(cn)));
            }
        }
    }
    for (k, old) in &from.tables {
        let Some(n) = to.tables.get(k) else { continue };
        let name = q(&old.schema, &old.name);
        for (cn, c) in old
            .constraints
            .iter()
            .filter(|(_, c)| c.kind != "foreign key")
        {
            if n.constraints.get(cn) != Some(c) {
                out.add(format!("ALTER TABLE {name} DROP CONSTRAINT {};", ident(cn)));
            }
        }
        for (iname, i) in &old.indexes {
            if n.indexes.get(iname) != Some(i) {
                out.add(format!("DROP INDEX {};", q(&old.schema, iname)));
            }
        }
    }
    for (k, old) in &from.views {
        if let Some(n) = to.views.get(k) {
            if drop_views.contains(k) {
                continue;
            }
            for (iname, i) in &old.indexes {
                if n.indexes.get(iname) != Some(i) {
                    out.add(format!("DROP INDEX {};", q(&old.schema, iname)));
                }
            }
        }
    }
}

/// Phase 4: functions.
fn functions(from: &Schema, to: &Schema, out: &mut Out) {
    // 4. functions
    let new_functions: Vec<&Function> = to
        .functions
        .iter()
        .filter(|(k, f)| {
            from.functions
                .get(*k)
                .is_none_or(|o| o.definition != f.definition)
        })
        .map(|(_, f)| f)
        .collect();
    if !new_functions.is_empty() {
        out.add("SET check_function_bodies = off;".into());
        for f in new_functions {
            let body = f.definition.trim_end();
            out.add(if body.ends_with(';') {
                body.to_string()
            } else {
                format!("{body};")
            });
        }
    }
}

/// Phase 5: tables created and altered, and sequences they own.
fn tables(from: &Schema, to: &Schema, out: &mut Out) {
    // 5. tables
    let mut created: Vec<&Table> = to
        .tables
        .iter()
        .filter(|(k, _)| !from.tables.contains_key(*k))
        .map(|(_, t)| t)
        .collect();
    created.sort_by_key(|t| t.partition_of.is_some());
    for t in &created {
        let name = q(&t.schema, &t.name);
        let inline: Vec<String> = t
            .constraints
            .iter()
            .filter(|(_, c)| c.kind != "foreign key")
            .map(|(n, c)| format!("CONSTRAINT {} {}", ident(n), c.definition))
            .collect();
        let sql = match (&t.partition_of, &t.partition_bound) {
            (Some(parent), Some(bound)) => {
                let (ps, pn) = parent.split_once('.').unwrap_or(("public", parent));
                let mut s = format!("CREATE TABLE {name} PARTITION OF {}", q(ps, pn));
                if !inline.is_empty() {
                    s.push_str(&format!(" (\n    {}\n)", inline.join(",\n    ")));
                }
                s.push_str(&format!(" {bound};"));
                s
            }
            _ => {
                let mut parts: Vec<String> = t.columns.iter().map(column_def).collect();
                parts.extend(inline);
                format!(
                    "CREATE {}TABLE {name} (\n    {}\n){};",
                    if t.kind == "foreign table" {
                        "FOREIGN "
                    } else {
                        ""
                    },
                    parts.join(",\n    "),
                    t.partition_by
                        .as_ref()
                        .map(|p| format!(" PARTITION BY {p}"))
                        .unwrap_or_default()
                )
            }
        };
        out.add(sql);
        if t.rls_enabled {
            out.add(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"));
        }
        if t.rls_forced {
            out.add(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY;"));
        }
    }
    for (k, old) in &from.tables {
        let Some(n) = to.tables.get(k) else { continue };
        let name = q(&n.schema, &n.name);
        for c in &old.columns {
            if n.column(&c.name).is_none() {
                out.destructive(
                    format!("ALTER TABLE {name} DROP COLUMN {};", ident(&c.name)),
                    format!(
                        "drops column {}.{}.{} and its data",
                        n.schema, n.name, c.name
                    ),
                );
            }
        }
        for c in &n.columns {
            let Some(oc) = old.column(&c.name) else {
                out.add(format!("ALTER TABLE {name} ADD COLUMN {};", column_def(c)));
                continue;
            };
            alter_column(out, &name, oc, c);
        }
        if old.rls_enabled != n.rls_enabled {
            let sql = format!(
                "ALTER TABLE {name} {} ROW LEVEL SECURITY;",
                if n.rls_enabled { "ENABLE" } else { "DISABLE" }
            );
            if n.rls_enabled {
                out.add(sql);
            } else {
                out.destructive(sql, "turns row-level security off".into());
            }
        }
        if old.rls_forced != n.rls_forced {
            out.add(format!(
                "ALTER TABLE {name} {} ROW LEVEL SECURITY;",
                if n.rls_forced { "FORCE" } else { "NO FORCE" }
            ));
        }
    }
    for (k, s) in &to.sequences {
        if s.owned_by != from.sequences.get(k).and_then(|o| o.owned_by.clone()) {
            out.add(format!(
                "ALTER SEQUENCE {} OWNED BY {};",
                q(&s.schema, &s.name),
                match &s.owned_by {
                    Some(o) => {
                        let parts: Vec<&str> = o.splitn(3, '.').collect();
                        parts.iter().map(|p| ident(p)).collect::<Vec<_>>().join(".")
                    }
                    None => "NONE".into(),
                }
            ));
        }
    }
}

/// Phase 6: constraints, indexes, views, triggers, policies and comments.
fn dependents(from: &Schema, to: &Schema, out: &mut Out, drop_views: &BTreeSet<String>) {
    // 6. constraints, indexes, views, triggers, policies, comments
    for fk in [false, true] {
        for (k, n) in &to.tables {
            let old = from.tables.get(k);
            let fresh = old.is_none();
            let name = q(&n.schema, &n.name);
            for (cn, c) in n
                .constraints
                .iter()
                .filter(|(_, c)| (c.kind == "foreign key") == fk)
            {
                if fresh && !fk {
                    continue; // inline in CREATE TABLE
                }
                if old.and_then(|o| o.constraints.get(cn)) != Some(c) {
                    out.add(format!(
                        "ALTER TABLE {name} ADD CONSTRAINT {} {};",
                        ident(cn),
                        c.definition
                    ));
                }
            }
        }
    }
    for (k, n) in &to.tables {
        let old = from.tables.get(k);
        for (iname, i) in &n.indexes {
            if old.and_then(|o| o.indexes.get(iname)) != Some(i) {
                out.add(index_sql(i));
            }
        }
    }
    let recreate: BTreeSet<String> = to
        .views
        .keys()
        .filter(|k| !from.views.contains_key(*k) || drop_views.contains(*k))
        .cloned()
        .collect();
    for v in view_order(&to.views, &recreate) {
        out.add(view_sql(v));
        for i in v.indexes.values() {
            out.add(index_sql(i));
        }
        if v.comment.is_some() {
            comment_on(out, &view_object(v), &v.comment);
        }
    }
    for (k, v) in &to.views {
        if recreate.contains(k) {
            continue;
        }
        if let Some(old) = from.views.get(k) {
            for (iname, i) in &v.indexes {
                if old.indexes.get(iname) != Some(i) {
                    out.add(index_sql(i));
                }
            }
            if old.comment != v.comment {
                comment_on(out, &view_object(v), &v.comment);
            }
        }
    }
    for (k, n) in &to.tables {
        let old = from.tables.get(k);
        let name = q(&n.schema, &n.name);
        for (tn, t) in &n.triggers {
            let prev = old.and_then(|o| o.triggers.get(tn));
            if prev.is_none_or(|p| p.definition != t.definition) {
                out.add(format!("{};", t.definition));
            }
            if prev.is_none_or(|p| p.definition != t.definition || p.enabled != t.enabled)
                && t.enabled != "O"
            {
                let how = match t.enabled.as_str() {
                    "D" => "DISABLE TRIGGER",
                    "R" => "ENABLE REPLICA TRIGGER",
                    _ => "ENABLE ALWAYS TRIGGER",
                };
                out.add(format!("ALTER TABLE {name} {how} {};", ident(tn)));
            } else if prev.is_some_and(|p| p.definition == t.definition && p.enabled != t.enabled) {
                out.add(format!("ALTER TABLE {name} ENABLE TRIGGER {};", ident(tn)));
            }
        }
        for (pn, p) in &n.policies {
            if old.and_then(|o| o.policies.get(pn)) != Some(p) {
                out.add(policy_sql(&n.schema, &n.name, pn, p));
            }
        }
        if old.map_or(n.comment.is_some(), |o| o.comment != n.comment) {
            comment_on(out, &format!("TABLE {name}"), &n.comment);
        }
        for c in &n.columns {
            let prev = old.and_then(|o| o.column(&c.name));
            if prev.map_or(c.comment.is_some(), |p| p.comment != c.comment) {
                comment_on(
                    out,
                    &format!("COLUMN {name}.{}", ident(&c.name)),
                    &c.comment,
                );
            }
        }
    }
    for (k, f) in &to.functions {
        let prev = from.functions.get(k);
        if prev.map_or(f.comment.is_some(), |p| p.comment != f.comment) {
            comment_on(
                out,
                &format!(
                    "{} {}({})",
                    f.kind.to_uppercase(),
                    q(&f.schema, &f.name),
                    f.arguments
                ),
                &f.comment,
            );
        }
    }
}

/// Phase 7: drops of what goes.
fn drops(from: &Schema, to: &Schema, out: &mut Out) {
    // 7. drops
    for (k, t) in &from.tables {
        if !to.tables.contains_key(k) && t.partition_of.is_some() {
            out.destructive(
                format!("DROP TABLE {};", q(&t.schema, &t.name)),
                format!("drops partition {k} and its data"),
            );
        }
    }
    for (k, t) in &from.tables {
        if !to.tables.contains_key(k) && t.partition_of.is_none() {
            out.destructive(
                format!("DROP TABLE {};", q(&t.schema, &t.name)),
                format!("drops table {k} and its data"),
            );
        }
    }
    for (k, f) in &from.functions {
        if !to.functions.contains_key(k) {
            out.destructive(
                format!(
                    "DROP {} {}({});",
                    f.kind.to_uppercase(),
                    q(&f.schema, &f.name),
                    f.arguments
                ),
                format!("drops {} {k}", f.kind),
            );
        }
    }
    for (k, s) in &from.sequences {
        if !to.sequences.contains_key(k) {
            out.destructive(
                format!("DROP SEQUENCE {};", q(&s.schema, &s.name)),
                format!("drops sequence {k} and its position"),
            );
        }
    }
    for (k, d) in &from.domains {
        if !to.domains.contains_key(k) {
            out.destructive(
                format!("DROP DOMAIN {};", q(&d.schema, &d.name)),
                format!("drops domain {k}"),
            );
        }
    }
    for (k, e) in &from.enums {
        if !to.enums.contains_key(k) {
            out.destructive(
                format!("DROP TYPE {};", q(&e.schema, &e.name)),
                format!("drops type {k}"),
            );
        }
    }
    for n in from.extensions.keys() {
        if !to.extensions.contains_key(n) {
            out.destructive(
                format!("DROP EXTENSION {};", ident(n)),
                format!("drops extension {n}"),
            );
        }
    }
    for n in from.schemas.keys() {
        if !to.schemas.contains_key(n) {
            out.destructive(
                format!("DROP SCHEMA {};", ident(n)),
                format!("drops schema {n}"),
            );
        }
    }
}

fn alter_column(out: &mut Out, table: &str, old: &Column, new: &Column) {
    let col = ident(&new.name);
    if old.generated != new.generated {
        out.destructive(
            format!("ALTER TABLE {table} DROP COLUMN {col};"),
            "a generated column's expression changed: it is dropped and added again".into(),
        );
        out.add(format!(
            "ALTER TABLE {table} ADD COLUMN {};",
            column_def(new)
        ));
        return;
    }
    if old.identity.is_some() && old.identity != new.identity {
        match &new.identity {
            Some(i) => out.add(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET GENERATED {};",
                i.to_uppercase()
            )),
            None => {
                out.add(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} DROP IDENTITY;"
                ));
                if !new.not_null {
                    out.add(format!(
                        "ALTER TABLE {table} ALTER COLUMN {col} DROP NOT NULL;"
                    ));
                }
            }
        }
    }
    if old.default.is_some() && new.default.is_none() {
        out.add(format!(
            "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT;"
        ));
    }
    if old.data_type != new.data_type || old.collation != new.collation {
        out.destructive(
            format!(
                "ALTER TABLE {table} ALTER COLUMN {col} TYPE {}{} USING {col}::{};",
                new.data_type,
                new.collation
                    .as_ref()
                    .map(|c| format!(" COLLATE {}", ident(c)))
                    .unwrap_or_default(),
                new.data_type
            ),
            format!(
                "changes the type of {col} from {} to {} (rewrites the table; values that do not convert fail)",
                old.data_type, new.data_type
            ),
        );
    }
    if old.default != new.default {
        if let Some(d) = &new.default {
            out.add(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {d};"
            ));
        }
    }
    // NOT NULL first: an identity column must be NOT NULL.
    if old.not_null != new.not_null
        && (new.not_null || old.identity.is_none() || new.identity.is_some())
    {
        out.add(format!(
            "ALTER TABLE {table} ALTER COLUMN {col} {} NOT NULL;",
            if new.not_null { "SET" } else { "DROP" }
        ));
    }
    if old.identity.is_none() {
        if let Some(i) = &new.identity {
            out.add(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} ADD GENERATED {} AS IDENTITY;",
                i.to_uppercase()
            ));
        }
    }
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
