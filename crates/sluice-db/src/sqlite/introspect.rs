//! SQLite introspection: `sqlite_master` and its pragma table functions.

use crate::introspect::{b, o, s, Options};
use crate::{Database, DbError};
use sluice_schema::model::*;

/// Reads the schema.
pub fn introspect(db: &mut dyn Database, opts: &Options) -> Result<Schema, DbError> {
    let _ = opts;
    let mut out = Schema {
        snapshot_version: SNAPSHOT_VERSION,
        dialect: "sqlite".into(),
        ..Default::default()
    };
    let skip = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'sluice\\_%' ESCAPE '\\'";
    for r in db.query_rows(&format!(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE {skip} AND sql IS NOT NULL ORDER BY name"
    ))? {
        let (kind, name, table, sql) = (s(&r, 0), s(&r, 1), s(&r, 2), s(&r, 3));
        let k = key("main", &name);
        match kind.as_str() {
            "table" => {
                out.tables.insert(
                    k,
                    Table {
                        schema: "main".into(),
                        name,
                        kind: "table".into(),
                        sql: Some(sql),
                        ..Default::default()
                    },
                );
            }
            "view" => {
                out.views.insert(
                    k,
                    View {
                        schema: "main".into(),
                        name,
                        definition: sql,
                        ..Default::default()
                    },
                );
            }
            "index" | "trigger" => {
                let t = out
                    .tables
                    .entry(key("main", &table))
                    .or_insert_with(|| Table {
                        schema: "main".into(),
                        name: table.clone(),
                        kind: "table".into(),
                        ..Default::default()
                    });
                if kind == "index" {
                    t.indexes.insert(
                        name,
                        Index {
                            definition: sql,
                            valid: true,
                        },
                    );
                } else {
                    t.triggers.insert(
                        name,
                        Trigger {
                            definition: sql,
                            enabled: "O".into(),
                        },
                    );
                }
            }
            _ => {}
        }
    }
    for r in db.query_rows(&format!(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND {} ORDER BY m.name, p.cid",
        skip.replace("name", "m.name")
    ))? {
        if let Some(t) = out.tables.get_mut(&key("main", &s(&r, 0))) {
            t.columns.push(Column {
                name: s(&r, 1),
                data_type: s(&r, 2),
                not_null: b(&r, 3),
                default: o(&r, 4),
                ..Default::default()
            });
        }
    }
    for r in db.query_rows(&format!(
        "SELECT m.name, f.id, f.\"table\", group_concat(f.\"from\"), group_concat(f.\"to\"), f.on_delete, f.on_update FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND {} GROUP BY m.name, f.id ORDER BY m.name, f.id",
        skip.replace("name", "m.name")
    ))? {
        if let Some(t) = out.tables.get_mut(&key("main", &s(&r, 0))) {
            t.constraints.insert(
                format!("fk_{}", s(&r, 1)),
                Constraint {
                    kind: "foreign key".into(),
                    definition: format!(
                        "FOREIGN KEY ({}) REFERENCES {}({}) ON DELETE {} ON UPDATE {}",
                        s(&r, 3),
                        s(&r, 2),
                        s(&r, 4),
                        s(&r, 5),
                        s(&r, 6)
                    ),
                    validated: true,
                    references: Some(key("main", &s(&r, 2))),
                },
            );
        }
    }
    Ok(out)
}
