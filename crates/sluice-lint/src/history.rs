//! The schema as the migration history builds it: a static model of tables
//! (columns, indexes, constraints and whether each is validated), functions
//! (and whether each is volatile) and other objects (views, types,
//! sequences), folded from the up-section facts of every migration in
//! apply order.
//!
//! Analysis judges each migration against the model of everything before
//! it, so "existing" means existing in the history rather than "not created
//! in this file":
//!
//! - `CREATE TABLE IF NOT EXISTS t` creates `t` only when the model has no
//!   `t`. When an earlier migration created `t`, the statement creates
//!   nothing, and a later `DROP COLUMN` in the same migration drops data.
//! - `fk-without-index` sees an index that an earlier migration created, or
//!   one a later migration adds ([`resolve_later_indexes`]).
//! - `set-not-null-scan` knows a validated `CHECK (col IS NOT NULL)` exists
//!   (Postgres 12+ then skips the scan).
//! - A default calling a function created earlier is volatile when that
//!   function is `VOLATILE` (the default of `CREATE FUNCTION`).
//!
//! A history the model cannot follow (a migration whose body another program
//! runs, a statement that does not parse) makes the model *incomplete*: from
//! then on a table it does not know may still exist, so `CREATE TABLE IF NOT
//! EXISTS` of an unknown table counts as "may exist" (the destructive rules
//! still fire after it). [`Model::unknown`] is the model of a migration
//! judged alone (no history at hand).
//!
//! The model is cheap to fold: each migration's [`Effects`] are the few
//! actions it applies, and they are cached with its findings, so a warm
//! `check` folds the history without parsing it.

use crate::analysis::Analysis;
use serde::{Deserialize, Serialize};
use sluice_sql::facts::{Action, ConstraintKind, ObjectName};
use std::collections::HashMap;
use std::sync::Arc;

/// What one migration does to the model: its up section's schema actions,
/// in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Effects {
    /// The actions.
    pub actions: Vec<Action>,
    /// The model cannot follow this migration (its body is run by another
    /// program, or a statement or section could not be parsed).
    pub opaque: bool,
}

/// The effects of an analysed migration (its up section).
pub fn effects(analysis: &Analysis, body_is_sql: bool) -> Effects {
    let mut e = Effects {
        actions: Vec::new(),
        opaque: !body_is_sql || !analysis.split_errors.is_empty(),
    };
    for s in analysis.statements.iter().filter(|s| !s.down) {
        match &s.facts {
            Ok(f) => e
                .actions
                .extend(f.actions.iter().filter(|a| changes_model(a)).map(slim)),
            Err(_) => e.opaque = true,
        }
    }
    e
}

/// An action with only what the model reads (the cache keeps effects for
/// every migration, so they stay small).
fn slim(a: &Action) -> Action {
    match a {
        Action::CreateTable {
            table,
            columns,
            indexed,
            if_not_exists,
            ..
        } => Action::CreateTable {
            table: table.clone(),
            columns: columns.clone(),
            foreign_keys: vec![],
            indexed: indexed.clone(),
            partitioned: false,
            constraint_names: vec![],
            column_types: vec![],
            if_not_exists: *if_not_exists,
        },
        other => other.clone(),
    }
}

/// Whether judging this migration reads the history model: it has a
/// statement whose findings depend on what existed before it (`CREATE
/// TABLE IF NOT EXISTS`, a foreign key, `SET NOT NULL`, a default calling a
/// function sluice does not know, an up section's `DROP TABLE` that may end
/// a rebuild).
/// Any other migration is judged the same against every model.
pub fn reads_model(analysis: &Analysis) -> bool {
    analysis.statements.iter().any(|s| {
        s.facts.as_ref().is_ok_and(|f| {
            f.actions.iter().any(|a| match a {
                Action::CreateTable {
                    if_not_exists,
                    foreign_keys,
                    ..
                } => *if_not_exists || !foreign_keys.is_empty(),
                Action::AddConstraint { kind, .. } => *kind == ConstraintKind::ForeignKey,
                Action::AddColumn {
                    default_functions,
                    references,
                    ..
                } => !default_functions.is_empty() || references.is_some(),
                Action::SetNotNull { .. } => true,
                // The end of a SQLite rebuild (up sections only).
                Action::DropTable { .. } => !s.down,
                _ => false,
            })
        })
    })
}

/// Whether an action changes what the model holds.
fn changes_model(a: &Action) -> bool {
    matches!(
        a,
        Action::CreateTable { .. }
            | Action::DropTable { .. }
            | Action::RenameTable { .. }
            | Action::AddColumn { .. }
            | Action::DropColumn { .. }
            | Action::RenameColumn { .. }
            | Action::CreateIndex { .. }
            | Action::DropIndex { .. }
            | Action::AddConstraint { .. }
            | Action::DropConstraint { .. }
            | Action::ValidateConstraint { .. }
            | Action::CreateObject { .. }
            | Action::DropObject { .. }
            | Action::DropSchema { .. }
    )
}

/// A constraint of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// Its kind.
    pub kind: ConstraintKind,
    /// Validated (not added `NOT VALID`, or validated since).
    pub validated: bool,
    /// For `CHECK (col IS NOT NULL)`: the column.
    pub not_null_column: Option<String>,
}

/// A table of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its name as created.
    pub name: ObjectName,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Column lists that lead an index, primary key or unique constraint,
    /// with the index's or constraint's name when known.
    pub indexed: Vec<(Option<String>, Vec<String>)>,
    /// Its constraints, by name.
    pub constraints: HashMap<String, Constraint>,
    /// Created by a statement of the history, so all its columns and
    /// indexes are known; false for a table the history only alters (it was
    /// created outside the history).
    pub created: bool,
}

/// The schema as of a point in the history.
#[derive(Debug, Clone)]
pub struct Model {
    complete: bool,
    /// Tables by name (several when schemas differ).
    /// Tables by name (several when schemas differ), shared between the
    /// copies of the model the cores judge from (copied on write).
    tables: HashMap<String, Vec<Arc<Table>>>,
    /// Index name → its table.
    indexes: HashMap<String, ObjectName>,
    /// Function name → volatile.
    functions: HashMap<String, bool>,
    /// Other objects by name: their schemas.
    objects: HashMap<String, Vec<Option<String>>>,
}

impl Default for Model {
    fn default() -> Self {
        Model::empty()
    }
}

fn matches(a: &Option<String>, b: &Option<String>) -> bool {
    a.is_none() || b.is_none() || a == b
}

impl Model {
    /// The model before the first migration: an empty database.
    pub fn empty() -> Model {
        Model {
            complete: true,
            tables: HashMap::new(),
            indexes: HashMap::new(),
            functions: HashMap::new(),
            objects: HashMap::new(),
        }
    }

    /// The model of a migration judged without its history: anything may
    /// exist.
    pub fn unknown() -> Model {
        Model {
            complete: false,
            ..Model::empty()
        }
    }

    /// Whether the model followed the whole history: a table it does not
    /// know does not exist.
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// The table `t`, when the model has it.
    pub fn table(&self, t: &ObjectName) -> Option<&Table> {
        self.tables
            .get(&t.name)?
            .iter()
            .find(|x| matches(&x.name.schema, &t.schema))
            .map(|x| &**x)
    }

    fn table_mut(&mut self, t: &ObjectName) -> Option<&mut Table> {
        self.tables
            .get_mut(&t.name)?
            .iter_mut()
            .find(|x| matches(&x.name.schema, &t.schema))
            .map(Arc::make_mut)
    }

    /// The table `t` that a statement alters: a statement that alters a
    /// table the history never created shows that it exists (created
    /// outside the history, before a baseline), so the model learns of it,
    /// with the columns statements name from then on.
    fn altered(&mut self, t: &ObjectName) -> &mut Table {
        let list = self.tables.entry(t.name.clone()).or_default();
        let i = match list.iter().position(|x| matches(&x.name.schema, &t.schema)) {
            Some(i) => i,
            None => {
                list.push(Arc::new(Table {
                    name: t.clone(),
                    columns: vec![],
                    indexed: vec![],
                    constraints: HashMap::new(),
                    created: false,
                }));
                list.len() - 1
            }
        };
        Arc::make_mut(&mut list[i])
    }

    /// Whether `t` exists: `Some(true)` when the model has it, `Some(false)`
    /// when it certainly does not (the model is complete), `None` when it
    /// cannot tell.
    pub fn has_table(&self, t: &ObjectName) -> Option<bool> {
        if self.table(t).is_some() {
            Some(true)
        } else if self.complete {
            Some(false)
        } else {
            None
        }
    }

    /// Whether an index, primary key or unique constraint of `t` leads with
    /// `columns`.
    pub fn covers(&self, t: &ObjectName, columns: &[String]) -> bool {
        !columns.is_empty()
            && self.table(t).is_some_and(|x| {
                x.indexed
                    .iter()
                    .any(|(_, ix)| ix.len() >= columns.len() && ix[..columns.len()] == *columns)
            })
    }

    /// Whether `t` has a validated `CHECK (column IS NOT NULL)`.
    pub fn not_null_checked(&self, t: &ObjectName, column: &str) -> bool {
        self.table(t).is_some_and(|x| {
            x.constraints
                .values()
                .any(|c| c.validated && c.not_null_column.as_deref() == Some(column))
        })
    }

    /// Whether the function `name` (created in the history) is volatile;
    /// `None` when the history does not create it.
    pub fn function_volatile(&self, name: &str) -> Option<bool> {
        self.functions.get(name).copied()
    }

    /// Applies one migration's effects.
    pub fn apply_effects(&mut self, e: &Effects) {
        if e.opaque {
            self.complete = false;
        }
        for a in &e.actions {
            self.apply(a);
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, a: &Action) {
        match a {
            Action::CreateTable {
                table,
                columns,
                indexed,
                if_not_exists,
                ..
            } => {
                if *if_not_exists && self.table(table).is_some() {
                    return;
                }
                self.drop_table(table);
                self.tables
                    .entry(table.name.clone())
                    .or_default()
                    .push(Arc::new(Table {
                        name: table.clone(),
                        columns: columns.clone(),
                        indexed: indexed.iter().map(|c| (None, c.clone())).collect(),
                        constraints: HashMap::new(),
                        created: true,
                    }));
            }
            Action::DropTable { table } => self.drop_table(table),
            Action::RenameTable { table, new_name } => {
                let Some(mut t) = self.take_table(table) else {
                    return;
                };
                Arc::make_mut(&mut t).name.name = new_name.clone();
                for name in t.indexed.iter().filter_map(|(n, _)| n.as_ref()) {
                    if let Some(owner) = self.indexes.get_mut(name).filter(|o| o.same_as(table)) {
                        owner.name = new_name.clone();
                    }
                }
                self.tables.entry(new_name.clone()).or_default().push(t);
            }
            Action::AddColumn { table, column, .. } => {
                let t = self.altered(table);
                if !t.columns.contains(column) {
                    t.columns.push(column.clone());
                }
            }
            Action::DropColumn { table, column } => {
                let t = self.altered(table);
                t.columns.retain(|c| c != column);
                // Postgres drops the indexes and constraints that use it.
                t.indexed.retain(|(_, ix)| !ix.contains(column));
                t.constraints
                    .retain(|_, c| c.not_null_column.as_deref() != Some(column));
            }
            Action::RenameColumn {
                table,
                column,
                new_name,
            } => {
                if let Some(t) = self.table_mut(table) {
                    let rename = |c: &mut String| {
                        if c == column {
                            *c = new_name.clone();
                        }
                    };
                    t.columns.iter_mut().for_each(rename);
                    for (_, ix) in &mut t.indexed {
                        ix.iter_mut().for_each(rename);
                    }
                    for c in t.constraints.values_mut() {
                        if let Some(n) = &mut c.not_null_column {
                            rename(n);
                        }
                    }
                }
            }
            Action::CreateIndex {
                index,
                table,
                columns,
                if_not_exists,
                ..
            } => {
                if let Some(i) = index {
                    if *if_not_exists && self.indexes.contains_key(i) {
                        return;
                    }
                    self.indexes.insert(i.clone(), table.clone());
                }
                if !columns.is_empty() {
                    self.altered(table)
                        .indexed
                        .push((index.clone(), columns.clone()));
                }
            }
            Action::DropIndex { index, .. } => {
                if let Some(owner) = self.indexes.remove(&index.name) {
                    if let Some(t) = self.table_mut(&owner) {
                        t.indexed
                            .retain(|(n, _)| n.as_deref() != Some(index.name.as_str()));
                    }
                }
            }
            Action::AddConstraint {
                table,
                name,
                kind,
                not_valid,
                columns,
                ..
            } => {
                let t = self.altered(table);
                if matches!(kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) {
                    t.indexed.push((name.clone(), columns.clone()));
                }
                let not_null_column = (*kind == ConstraintKind::Check && columns.len() == 1)
                    .then(|| columns[0].clone());
                // Postgres names an unnamed CHECK `<table>_<column>_check`.
                let key = match (name, &not_null_column) {
                    (Some(n), _) => n.clone(),
                    (None, Some(c)) => format!("{}_{c}_check", table.name),
                    (None, None) => return,
                };
                t.constraints.insert(
                    key,
                    Constraint {
                        kind: *kind,
                        validated: !*not_valid,
                        not_null_column,
                    },
                );
            }
            Action::ValidateConstraint { table, name } => {
                if let Some(c) = self.altered(table).constraints.get_mut(name) {
                    c.validated = true;
                }
            }
            Action::DropConstraint { table, name } => {
                if let Some(t) = self.table_mut(table) {
                    t.constraints.remove(name);
                    t.indexed
                        .retain(|(n, _)| n.as_deref() != Some(name.as_str()));
                }
            }
            Action::CreateObject {
                kind,
                object,
                volatile,
                ..
            } => {
                if kind == "FUNCTION" {
                    self.functions
                        .insert(object.name.clone(), volatile.unwrap_or(true));
                } else {
                    self.objects
                        .entry(object.name.clone())
                        .or_default()
                        .push(object.schema.clone());
                }
            }
            Action::DropObject { kind, object } => {
                if kind == "FUNCTION" {
                    self.functions.remove(&object.name);
                } else if let Some(s) = self.objects.get_mut(&object.name) {
                    s.retain(|x| !matches(x, &object.schema));
                }
            }
            Action::DropSchema { schema } => {
                let gone = Some(schema.clone());
                for list in self.tables.values_mut() {
                    list.retain(|t| t.name.schema != gone);
                }
                self.indexes.retain(|_, t| t.schema != gone);
            }
            _ => {}
        }
    }

    /// Removes `table` from the model and returns it.
    fn take_table(&mut self, table: &ObjectName) -> Option<Arc<Table>> {
        let list = self.tables.get_mut(&table.name)?;
        let i = list
            .iter()
            .position(|x| matches(&x.name.schema, &table.schema))?;
        Some(list.remove(i))
    }

    /// Drops `table` and its indexes: a lookup of each of its own index
    /// names, so creating and dropping tables stays linear in the history.
    fn drop_table(&mut self, table: &ObjectName) {
        let Some(gone) = self.take_table(table) else {
            return;
        };
        for name in gone.indexed.iter().filter_map(|(n, _)| n.as_ref()) {
            if self.indexes.get(name).is_some_and(|t| t.same_as(table)) {
                self.indexes.remove(name);
            }
        }
    }
}

/// A `fk-without-index` finding that an index added by a later migration
/// resolves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnindexedForeignKey {
    /// The referencing table.
    pub table: ObjectName,
    /// Its columns.
    pub columns: Vec<String>,
    /// The finding's line.
    pub line: usize,
    /// The finding's message.
    pub message: String,
}

/// Drops each `fk-without-index` finding whose foreign key the model at the
/// end of the history covers with an index (added by a later migration).
pub fn resolve_later_indexes<'a>(
    end: &Model,
    lints: impl IntoIterator<Item = &'a mut crate::MigrationLint>,
) {
    for lint in lints {
        let covered: Vec<&UnindexedForeignKey> = lint
            .unindexed
            .iter()
            .filter(|u| end.covers(&u.table, &u.columns))
            .collect();
        if covered.is_empty() {
            continue;
        }
        lint.diagnostics.retain(|d| {
            !(d.rule == "fk-without-index"
                && covered
                    .iter()
                    .any(|u| u.line == d.line && u.message == d.message))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(sql: &[&str]) -> Model {
        let mut m = Model::empty();
        for s in sql {
            for a in sluice_sql::pg::analyze(s).unwrap().actions {
                m.apply(&a);
            }
        }
        m
    }

    #[test]
    fn follows_tables_indexes_checks_and_functions() {
        let m = fold(&[
            "CREATE TABLE users (id bigint PRIMARY KEY, email text)",
            "CREATE TABLE posts (id bigint, user_id bigint REFERENCES users (id))",
            "CREATE INDEX posts_user_idx ON posts (user_id, id)",
            "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID",
            "ALTER TABLE users VALIDATE CONSTRAINT email_nn",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'",
            "CREATE FUNCTION g() RETURNS int LANGUAGE sql IMMUTABLE AS 'select 1'",
            "ALTER TABLE posts RENAME TO articles",
        ]);
        let posts = ObjectName::bare("posts");
        let articles = ObjectName::bare("articles");
        assert_eq!(m.has_table(&posts), Some(false));
        assert_eq!(m.has_table(&articles), Some(true));
        assert!(m.covers(&articles, &["user_id".to_string()]));
        assert!(m.not_null_checked(&ObjectName::bare("users"), "email"));
        assert_eq!(m.function_volatile("f"), Some(true));
        assert_eq!(m.function_volatile("g"), Some(false));
        assert_eq!(m.function_volatile("h"), None);
        let m2 = {
            let mut m2 = m.clone();
            for a in sluice_sql::pg::analyze("DROP INDEX posts_user_idx")
                .unwrap()
                .actions
            {
                m2.apply(&a);
            }
            m2
        };
        assert!(!m2.covers(&articles, &["user_id".to_string()]));
    }

    #[test]
    fn if_not_exists_keeps_the_existing_table() {
        let m = fold(&[
            "CREATE TABLE t (a int, b int)",
            "CREATE TABLE IF NOT EXISTS t (a int)",
        ]);
        assert_eq!(
            m.table(&ObjectName::bare("t")).unwrap().columns,
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
