//! MySQL/MariaDB introspection: `information_schema`, in a constant number of
//! queries (tables, columns, indexes, foreign keys, views, triggers,
//! routines) whatever the schema's size. Objects are keyed `main.<name>`:
//! the connection's database, whatever it is called, so a scratch database
//! and the target compare object by object.

use super::MysqlDb;
use crate::introspect::{o, s, Options};
use crate::{DbError, Executor as _};
use sluice_schema::model::*;

/// The schema name objects are keyed under.
const DB: &str = "main";

/// The number of queries [`introspect`] sends.
pub const QUERIES: usize = 8;

/// Reads the schema of the connection's database.
pub fn introspect(db: &mut MysqlDb, opts: &Options) -> Result<Schema, DbError> {
    let mut out = Schema {
        snapshot_version: SNAPSHOT_VERSION,
        dialect: "mysql".into(),
        ..Default::default()
    };
    let wanted =
        |name: &str| !name.starts_with("sluice_") && !opts.tool_tables.iter().any(|t| t == name);
    for r in db.query_rows(
        "SELECT TABLE_NAME, TABLE_TYPE, COALESCE(TABLE_COMMENT, '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    )? {
        let name = s(&r, 0);
        if !wanted(&name) || s(&r, 1) != "BASE TABLE" {
            continue;
        }
        let comment = Some(s(&r, 2)).filter(|c| !c.is_empty());
        out.tables.insert(
            key(DB, &name),
            Table {
                schema: DB.into(),
                name,
                kind: "table".into(),
                comment,
                ..Default::default()
            },
        );
    }
    columns(db, &mut out)?;
    indexes(db, &mut out)?;
    foreign_keys(db, &mut out)?;
    let database = db
        .query_rows("SELECT DATABASE()")?
        .first()
        .map(|r| s(r, 0))
        .unwrap_or_default();
    for r in db.query_rows(
        "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    )? {
        let name = s(&r, 0);
        if wanted(&name) {
            out.views.insert(
                key(DB, &name),
                View {
                    schema: DB.into(),
                    name,
                    // The server writes the database name into the text.
                    definition: unqualify(&s(&r, 1), &database),
                    ..Default::default()
                },
            );
        }
    }
    for r in db.query_rows(
        "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, CONCAT(ACTION_TIMING, ' ', EVENT_MANIPULATION, ' FOR EACH ROW ', ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME",
    )? {
        if let Some(t) = out.tables.get_mut(&key(DB, &s(&r, 0))) {
            t.triggers.insert(
                s(&r, 1),
                Trigger {
                    definition: s(&r, 2),
                    enabled: "O".into(),
                },
            );
        }
    }
    // Routines with their parameters (one correlated query), written back
    // as the CREATE statement that makes them.
    for r in db.query_rows(
        "SELECT r.ROUTINE_NAME, r.ROUTINE_TYPE, COALESCE(r.ROUTINE_DEFINITION, ''), COALESCE(r.DTD_IDENTIFIER, ''), r.IS_DETERMINISTIC, r.SQL_DATA_ACCESS,
                COALESCE((SELECT GROUP_CONCAT(CONCAT(IF(r.ROUTINE_TYPE = 'PROCEDURE', CONCAT(p.PARAMETER_MODE, ' '), ''), '`', p.PARAMETER_NAME, '` ', p.DTD_IDENTIFIER) ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
                          FROM information_schema.PARAMETERS p
                          WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.ROUTINE_NAME AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0), '')
         FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = DATABASE() ORDER BY r.ROUTINE_NAME",
    )? {
        let name = s(&r, 0);
        let kind = s(&r, 1).to_ascii_uppercase();
        let arguments = s(&r, 6);
        let returns = if kind == "FUNCTION" {
            format!(" RETURNS {}", s(&r, 3))
        } else {
            String::new()
        };
        let deterministic = if s(&r, 4) == "YES" {
            " DETERMINISTIC"
        } else {
            " NOT DETERMINISTIC"
        };
        let definition = format!(
            "CREATE {kind} `{}`({arguments}){returns}{deterministic} {} {}",
            name.replace('`', "``"),
            s(&r, 5),
            s(&r, 2)
        );
        out.functions.insert(
            key(DB, &name),
            Function {
                schema: DB.into(),
                name,
                kind: kind.to_ascii_lowercase(),
                arguments,
                definition,
                ..Default::default()
            },
        );
    }
    Ok(out)
}

/// A view's text without the database qualifier the server writes into it
/// (`` `db1`.`t` `` becomes `` `t` ``).
fn unqualify(sql: &str, database: &str) -> String {
    sql.replace(&format!("`{}`.", database.replace('`', "``")), "")
}

fn columns(db: &mut MysqlDb, out: &mut Schema) -> Result<(), DbError> {
    for r in db.query_rows(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )? {
        let Some(t) = out.tables.get_mut(&key(DB, &s(&r, 0))) else {
            continue;
        };
        let extra = s(&r, 5).to_ascii_lowercase();
        // MariaDB writes a NULL default as the text `NULL`.
        let default = o(&r, 4).filter(|d| d != "NULL");
        t.columns.push(Column {
            name: s(&r, 1),
            data_type: s(&r, 2),
            not_null: s(&r, 3) == "NO",
            default,
            identity: extra
                .contains("auto_increment")
                .then(|| "auto_increment".to_string()),
            generated: o(&r, 8).filter(|g| !g.is_empty()),
            collation: o(&r, 6),
            comment: o(&r, 7).filter(|c| !c.is_empty()),
        });
    }
    Ok(())
}

fn indexes(db: &mut MysqlDb, out: &mut Schema) -> Result<(), DbError> {
    for r in db.query_rows(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(CONCAT('`', COALESCE(COLUMN_NAME, '?'), '`', IF(SUB_PART IS NULL, '', CONCAT('(', SUB_PART, ')'))) ORDER BY SEQ_IN_INDEX SEPARATOR ', '), INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE ORDER BY TABLE_NAME, INDEX_NAME",
    )? {
        let Some(t) = out.tables.get_mut(&key(DB, &s(&r, 0))) else {
            continue;
        };
        let (name, cols) = (s(&r, 1), s(&r, 3));
        if name == "PRIMARY" {
            t.constraints.insert(
                "PRIMARY".into(),
                Constraint {
                    kind: "primary key".into(),
                    definition: format!("PRIMARY KEY ({cols})"),
                    validated: true,
                    references: None,
                },
            );
            continue;
        }
        let unique = if s(&r, 2) == "0" { "UNIQUE " } else { "" };
        t.indexes.insert(
            name.clone(),
            Index {
                definition: format!(
                    "CREATE {unique}INDEX `{name}` ON `{}` ({cols}) USING {}",
                    s(&r, 0),
                    s(&r, 4)
                ),
                valid: true,
            },
        );
    }
    Ok(())
}

fn foreign_keys(db: &mut MysqlDb, out: &mut Schema) -> Result<(), DbError> {
    for r in db.query_rows(
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, GROUP_CONCAT(CONCAT('`', k.COLUMN_NAME, '`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), k.REFERENCED_TABLE_NAME, GROUP_CONCAT(CONCAT('`', k.REFERENCED_COLUMN_NAME, '`') ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), r.UPDATE_RULE, r.DELETE_RULE
         FROM information_schema.KEY_COLUMN_USAGE k
         JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
         GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.UPDATE_RULE, r.DELETE_RULE
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME",
    )? {
        let Some(t) = out.tables.get_mut(&key(DB, &s(&r, 0))) else {
            continue;
        };
        t.constraints.insert(
            s(&r, 1),
            Constraint {
                kind: "foreign key".into(),
                definition: format!(
                    "FOREIGN KEY ({}) REFERENCES `{}` ({}) ON UPDATE {} ON DELETE {}",
                    s(&r, 2),
                    s(&r, 3),
                    s(&r, 4),
                    s(&r, 5),
                    s(&r, 6)
                ),
                validated: true,
                references: Some(key(DB, &s(&r, 3))),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn view_text_loses_its_database() {
        assert_eq!(
            super::unqualify("select `db1`.`t`.`id` AS `id` from `db1`.`t`", "db1"),
            "select `t`.`id` AS `id` from `t`"
        );
    }
}
