//! The columns a statement adds (in `CREATE TABLE` or `ADD COLUMN`), with
//! their types as written and whether each is a key: what the `prefer-*`
//! rules judge.

use super::prelude::*;

/// One new column.
pub(crate) struct NewColumn<'a> {
    /// Its table.
    pub table: &'a ObjectName,
    /// Its name.
    pub name: &'a str,
    /// Its type as written (`int4`, `varchar(255)`, `serial`).
    pub data_type: &'a str,
    /// Part of a primary key, a unique key or a foreign key.
    pub key: bool,
}

/// The new columns of one statement.
pub(crate) fn of(f: &Facts) -> Vec<NewColumn<'_>> {
    let mut out = Vec::new();
    for a in &f.actions {
        match a {
            Action::CreateTable {
                table,
                columns,
                column_types,
                foreign_keys,
                indexed,
                ..
            } => {
                for (name, data_type) in columns.iter().zip(column_types) {
                    let key = indexed.iter().any(|k| k.contains(name))
                        || foreign_keys.iter().any(|k| k.columns.contains(name));
                    out.push(NewColumn {
                        table,
                        name,
                        data_type,
                        key,
                    });
                }
            }
            Action::AddColumn {
                table,
                column,
                data_type,
                references,
                ..
            } => {
                let key = references.is_some()
                    || f.actions.iter().any(|b| {
                        matches!(b, Action::AddConstraint { columns, .. } if columns.len() == 1 && &columns[0] == column)
                    });
                out.push(NewColumn {
                    table,
                    name: column,
                    data_type,
                    key,
                });
            }
            _ => {}
        }
    }
    out
}
