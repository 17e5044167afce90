//! MySQL/MariaDB DDL that turns one schema into another, from the model
//! `information_schema` fills (see `sluice-db`'s MySQL introspection):
//!
//! 1. views, triggers and routines that are removed or changed are dropped;
//! 2. foreign keys of removed tables, and on staying tables foreign keys
//!    and indexes that are removed or changed, are dropped;
//! 3. new tables are created (columns, primary key, indexes; no foreign
//!    keys yet), staying tables gain, change and lose columns and their
//!    primary key;
//! 4. indexes, then foreign keys are added;
//! 5. views, triggers and routines are created;
//! 6. removed tables are dropped.
//!
//! Every statement that can lose data (a drop, a column redefinition) is
//! marked destructive, with the reason. MySQL's DDL commits itself, so the
//! script is applied statement by statement.

use super::{Ddl, Out};
use crate::model::*;
use std::collections::BTreeMap;

/// A MySQL identifier, always backquoted (reserved words differ between
/// MySQL and MariaDB versions).
pub fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// A column's default as DDL: MariaDB reports string defaults quoted and
/// expressions bare; MySQL 8 reports strings bare.
fn default_sql(d: &str) -> String {
    let t = d.trim();
    let bare = t.starts_with('\'')
        || t.parse::<f64>().is_ok()
        || t.contains('(')
        || ["CURRENT_TIMESTAMP", "NULL", "TRUE", "FALSE"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k));
    if bare {
        t.to_string()
    } else {
        format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"))
    }
}

/// `` `name` TYPE [NOT NULL] [DEFAULT ...] [AUTO_INCREMENT] [COMMENT ...] ``.
pub fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.data_type);
    if let Some(co) = &c.collation {
        s.push_str(&format!(" COLLATE {co}"));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" AS ({g})"));
    } else {
        s.push_str(if c.not_null { " NOT NULL" } else { " NULL" });
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {}", default_sql(d)));
        }
    }
    if c.identity.is_some() {
        s.push_str(" AUTO_INCREMENT");
    }
    if let Some(cm) = &c.comment {
        s.push_str(&format!(" COMMENT '{}'", cm.replace('\'', "''")));
    }
    s
}

/// `KEY`/`UNIQUE KEY`/`FULLTEXT KEY` clause of an index, from its stored
/// `CREATE [UNIQUE] INDEX `n` ON `t` (cols) USING TYPE` text.
fn key_clause(name: &str, i: &Index) -> String {
    let d = &i.definition;
    let cols = d
        .find(" (")
        .and_then(|a| d.rfind(')').map(|b| &d[a + 1..=b]))
        .unwrap_or("()");
    let kind = if d.ends_with("USING FULLTEXT") {
        "FULLTEXT KEY"
    } else if d.ends_with("USING SPATIAL") {
        "SPATIAL KEY"
    } else if d.starts_with("CREATE UNIQUE") {
        "UNIQUE KEY"
    } else {
        "KEY"
    };
    format!("{kind} {} {cols}", ident(name))
}

fn table_name(t: &Table) -> String {
    ident(&t.name)
}

fn create_table(t: &Table) -> String {
    let mut parts: Vec<String> = t.columns.iter().map(column_def).collect();
    if let Some(pk) = t.constraints.get("PRIMARY") {
        parts.push(pk.definition.clone());
    }
    for (n, i) in &t.indexes {
        parts.push(key_clause(n, i));
    }
    let mut s = format!(
        "CREATE TABLE {} (\n  {}\n)",
        table_name(t),
        parts.join(",\n  ")
    );
    if let Some(c) = &t.comment {
        s.push_str(&format!(" COMMENT='{}'", c.replace('\'', "''")));
    }
    s.push(';');
    s
}

fn foreign_keys(t: &Table) -> impl Iterator<Item = (&String, &Constraint)> {
    t.constraints
        .iter()
        .filter(|(_, c)| c.kind == "foreign key")
}

fn trigger_sql(table: &str, name: &str, tr: &Trigger) -> String {
    match tr.definition.split_once(" FOR EACH ROW ") {
        Some((when, body)) => format!(
            "CREATE TRIGGER {} {when} ON {} FOR EACH ROW {body};",
            ident(name),
            ident(table)
        ),
        None => format!("-- trigger {name} on {table}: {}", tr.definition),
    }
}

fn routine_drop(f: &Function) -> String {
    format!(
        "DROP {} IF EXISTS {};",
        f.kind.to_ascii_uppercase(),
        ident(&f.name)
    )
}

fn routine_sql(f: &Function) -> String {
    let d = f.definition.trim_end().trim_end_matches(';');
    if d.to_ascii_uppercase().starts_with("CREATE") {
        format!("{d};")
    } else {
        format!(
            "-- {} {}: its definition is not known in full; recreate it by hand",
            f.kind, f.name
        )
    }
}

/// The DDL that turns `from` into `to`.
pub fn diff(from: &Schema, to: &Schema) -> Vec<Ddl> {
    let mut out = Out(Vec::new());
    // 1. Views, triggers and routines that go away or change.
    for (k, v) in &from.views {
        if to.views.get(k) != Some(v) {
            let sql = format!("DROP VIEW IF EXISTS {};", ident(&v.name));
            if to.views.contains_key(k) {
                out.add(sql);
            } else {
                out.destructive(sql, format!("drops view {}", v.name));
            }
        }
    }
    for (k, t) in &from.tables {
        for (n, tr) in &t.triggers {
            let kept = to.tables.get(k).and_then(|nt| nt.triggers.get(n));
            if kept != Some(tr) {
                out.add(format!("DROP TRIGGER IF EXISTS {};", ident(n)));
            }
        }
    }
    for (k, f) in &from.functions {
        if to.functions.get(k) != Some(f) {
            out.add(routine_drop(f));
        }
    }
    // 2. Foreign keys of tables that go away (so removed tables can be
    // dropped in any order), and foreign keys and indexes of staying tables
    // that go away or change.
    for (k, t) in &from.tables {
        let Some(nt) = to.tables.get(k) else {
            for (n, _) in foreign_keys(t) {
                out.add(format!(
                    "ALTER TABLE {} DROP FOREIGN KEY {};",
                    table_name(t),
                    ident(n)
                ));
            }
            continue;
        };
        for (n, c) in foreign_keys(t) {
            if nt.constraints.get(n) != Some(c) {
                out.add(format!(
                    "ALTER TABLE {} DROP FOREIGN KEY {};",
                    table_name(t),
                    ident(n)
                ));
            }
        }
        for (n, i) in &t.indexes {
            if nt.indexes.get(n) != Some(i) {
                out.add(format!(
                    "ALTER TABLE {} DROP INDEX {};",
                    table_name(t),
                    ident(n)
                ));
            }
        }
    }
    // 3. New tables; columns and primary keys of staying tables.
    for (k, t) in &to.tables {
        let Some(old) = from.tables.get(k) else {
            out.add(create_table(t));
            continue;
        };
        let mut previous: Option<&str> = None;
        for c in &t.columns {
            let position = match previous {
                Some(p) => format!(" AFTER {}", ident(p)),
                None => " FIRST".into(),
            };
            match old.column(&c.name) {
                None => out.add(format!(
                    "ALTER TABLE {} ADD COLUMN {}{position};",
                    table_name(t),
                    column_def(c)
                )),
                Some(oc) if oc != c => {
                    let sql = format!(
                        "ALTER TABLE {} MODIFY COLUMN {};",
                        table_name(t),
                        column_def(c)
                    );
                    if oc.data_type != c.data_type {
                        out.destructive(
                            sql,
                            format!(
                                "changes {}.{} from {} to {} (copies the table; a narrower type loses data)",
                                t.name, c.name, oc.data_type, c.data_type
                            ),
                        );
                    } else {
                        out.add(sql);
                    }
                }
                Some(_) => {}
            }
            previous = Some(&c.name);
        }
        for c in &old.columns {
            if t.column(&c.name).is_none() {
                out.destructive(
                    format!(
                        "ALTER TABLE {} DROP COLUMN {};",
                        table_name(t),
                        ident(&c.name)
                    ),
                    format!("drops column {}.{} and its data", t.name, c.name),
                );
            }
        }
        let (opk, npk) = (old.constraints.get("PRIMARY"), t.constraints.get("PRIMARY"));
        if opk != npk {
            let mut ops = Vec::new();
            if opk.is_some() {
                ops.push("DROP PRIMARY KEY".to_string());
            }
            if let Some(pk) = npk {
                ops.push(format!("ADD {}", pk.definition));
            }
            out.add(format!("ALTER TABLE {} {};", table_name(t), ops.join(", ")));
        }
    }
    // 4. Indexes of staying tables, then every new foreign key.
    for (k, t) in &to.tables {
        let Some(old) = from.tables.get(k) else {
            continue;
        };
        for (n, i) in &t.indexes {
            if old.indexes.get(n) != Some(i) {
                out.add(format!(
                    "ALTER TABLE {} ADD {};",
                    table_name(t),
                    key_clause(n, i)
                ));
            }
        }
    }
    for (k, t) in &to.tables {
        let old = from.tables.get(k);
        for (n, c) in foreign_keys(t) {
            if old.and_then(|o| o.constraints.get(n)) != Some(c) {
                out.add(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {};",
                    table_name(t),
                    ident(n),
                    c.definition
                ));
            }
        }
    }
    // 5. Views, triggers, routines.
    let views: BTreeMap<&String, &View> = to
        .views
        .iter()
        .filter(|(k, v)| from.views.get(*k) != Some(*v))
        .collect();
    for v in views.values() {
        out.add(format!(
            "CREATE VIEW {} AS {};",
            ident(&v.name),
            v.definition.trim_end().trim_end_matches(';')
        ));
    }
    for (k, t) in &to.tables {
        for (n, tr) in &t.triggers {
            let old = from.tables.get(k).and_then(|o| o.triggers.get(n));
            if old != Some(tr) {
                out.add(trigger_sql(&t.name, n, tr));
            }
        }
    }
    for (k, f) in &to.functions {
        if from.functions.get(k) != Some(f) {
            out.add(routine_sql(f));
        }
    }
    // 6. Removed tables.
    for (k, t) in &from.tables {
        if !to.tables.contains_key(k) {
            out.destructive(
                format!("DROP TABLE {};", table_name(t)),
                format!("drops table {} and its data", t.name),
            );
        }
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, cols: &[(&str, &str, bool)]) -> Table {
        Table {
            schema: "main".into(),
            name: name.into(),
            kind: "table".into(),
            columns: cols
                .iter()
                .map(|(n, t, nn)| Column {
                    name: n.to_string(),
                    data_type: t.to_string(),
                    not_null: *nn,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn schema(tables: Vec<Table>) -> Schema {
        Schema {
            dialect: "mysql".into(),
            tables: tables
                .into_iter()
                .map(|t| (key("main", &t.name), t))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn tables_columns_indexes_and_keys() {
        let mut users = table(
            "users",
            &[("id", "bigint(20)", true), ("email", "varchar(255)", false)],
        );
        users.constraints.insert(
            "PRIMARY".into(),
            Constraint {
                kind: "primary key".into(),
                definition: "PRIMARY KEY (`id`)".into(),
                validated: true,
                references: None,
            },
        );
        let from = schema(vec![users.clone()]);
        let mut users2 = users.clone();
        users2.columns[1].data_type = "varchar(100)".into();
        users2.columns.push(Column {
            name: "nick".into(),
            data_type: "varchar(64)".into(),
            default: Some("'x'".into()),
            ..Default::default()
        });
        users2.indexes.insert(
            "users_email".into(),
            Index {
                definition: "CREATE UNIQUE INDEX `users_email` ON `users` (`email`) USING BTREE"
                    .into(),
                valid: true,
            },
        );
        let mut posts = table(
            "posts",
            &[("id", "int(11)", true), ("user_id", "bigint(20)", true)],
        );
        posts.constraints.insert(
            "posts_user".into(),
            Constraint {
                kind: "foreign key".into(),
                definition: "FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON UPDATE RESTRICT ON DELETE CASCADE".into(),
                validated: true,
                references: Some("main.users".into()),
            },
        );
        let to = schema(vec![users2, posts]);
        let ddl = diff(&from, &to);
        let sql: Vec<&str> = ddl.iter().map(|d| d.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                "CREATE TABLE `posts` (\n  `id` int(11) NOT NULL,\n  `user_id` bigint(20) NOT NULL\n);",
                "ALTER TABLE `users` MODIFY COLUMN `email` varchar(100) NULL;",
                "ALTER TABLE `users` ADD COLUMN `nick` varchar(64) NULL DEFAULT 'x' AFTER `email`;",
                "ALTER TABLE `users` ADD UNIQUE KEY `users_email` (`email`);",
                "ALTER TABLE `posts` ADD CONSTRAINT `posts_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON UPDATE RESTRICT ON DELETE CASCADE;",
            ]
        );
        assert!(ddl[1].destructive.is_some());
        // And back: drops are destructive, in dependency order.
        let back = diff(&to, &from);
        let sql: Vec<&str> = back.iter().map(|d| d.sql.as_str()).collect();
        assert_eq!(sql.last(), Some(&"DROP TABLE `posts`;"));
        assert!(sql.contains(&"ALTER TABLE `users` DROP COLUMN `nick`;"));
        assert!(
            sql[0].starts_with("ALTER TABLE `posts` DROP FOREIGN KEY"),
            "{sql:?}"
        );
    }

    #[test]
    fn defaults_from_either_server() {
        assert_eq!(default_sql("'a''b'"), "'a''b'");
        assert_eq!(default_sql("abc"), "'abc'");
        assert_eq!(default_sql("0"), "0");
        assert_eq!(default_sql("current_timestamp()"), "current_timestamp()");
        assert_eq!(default_sql("CURRENT_TIMESTAMP"), "CURRENT_TIMESTAMP");
    }
}
