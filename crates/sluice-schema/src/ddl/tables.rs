//! Diff phases 2 to 7: views, tables and columns, functions, dependent
//! objects (constraints, indexes, triggers, policies, comments), and drops.

use super::*;

/// Phase 2: views to drop now (recreated at the end when they stay); the keys of those dropped.
pub(super) fn views_to_drop(from: &Schema, to: &Schema, out: &mut Out) -> BTreeSet<String> {
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
pub(super) fn drops_on_staying_tables(
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
pub(super) fn functions(from: &Schema, to: &Schema, out: &mut Out) {
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
pub(super) fn tables(from: &Schema, to: &Schema, out: &mut Out) {
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
pub(super) fn dependents(from: &Schema, to: &Schema, out: &mut Out, drop_views: &BTreeSet<String>) {
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
pub(super) fn drops(from: &Schema, to: &Schema, out: &mut Out) {
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

pub(super) fn alter_column(out: &mut Out, table: &str, old: &Column, new: &Column) {
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
