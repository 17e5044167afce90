//! A migration analysed: its sections split into statements, each parsed into
//! facts, with the comments that carry bypasses and suppressions.

use sluice_core::config::Dialect;
use sluice_core::Migration;
use sluice_sql::facts::{Action, Facts, ObjectName};
use sluice_sql::{Comment, SplitError, Statement};
use std::collections::{HashMap, HashSet};

/// One statement with its facts.
#[derive(Debug, Clone)]
pub struct AnalyzedStatement {
    /// Where it is.
    pub stmt: Statement,
    /// In the down section.
    pub down: bool,
    /// Its section runs outside a transaction.
    pub no_transaction: bool,
    /// Its facts, or the parser's message.
    pub facts: Result<Facts, String>,
}

/// A migration analysed.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Statements of the up section, then of the down section.
    pub statements: Vec<AnalyzedStatement>,
    /// Line comments of both sections.
    pub comments: Vec<Comment>,
    /// A section that could not be split (unterminated quote...): its line and
    /// message. Statements before it are still analysed.
    pub split_errors: Vec<SplitError>,
}

/// Analyses a migration's body as it is written ([`Migration::body`]): SQL,
/// an Alembic revision's `op.*` calls, or opaque (no statements: another
/// program runs it, and only the contract rules apply).
pub fn analyze_body(m: &Migration, dialect: Dialect) -> Analysis {
    match m.body {
        sluice_core::layout::BodyKind::Sql => analyze(m, dialect),
        sluice_core::layout::BodyKind::AlembicOps => crate::alembic::analyze(m, dialect),
        sluice_core::layout::BodyKind::Opaque => Analysis::default(),
    }
}

/// Splits and parses a migration's sections.
pub fn analyze(m: &Migration, dialect: Dialect) -> Analysis {
    let mut a = Analysis::default();
    let sections = std::iter::once((&m.up, false)).chain(m.down.as_ref().map(|d| (d, true)));
    for (section, down) in sections {
        match sluice_sql::split_section_with_comments(m.text(), section.range.clone(), dialect) {
            Ok(split) => {
                let no_transaction = section.no_transaction
                    || (section.alone_if_single && split.statements.len() == 1);
                for stmt in split.statements {
                    let facts = if stmt.meta_command {
                        Err(format!(
                            "`{}` is a psql meta-command, not SQL: the server cannot run it",
                            stmt.text(m.text())
                                .split_whitespace()
                                .next()
                                .unwrap_or("\\\\")
                        ))
                    } else {
                        parse(stmt.text(m.text()), dialect)
                    };
                    a.statements.push(AnalyzedStatement {
                        stmt,
                        down,
                        no_transaction,
                        facts,
                    });
                }
                a.comments.extend(split.comments);
            }
            Err(e) => a.split_errors.push(e),
        }
    }
    a
}

fn parse(sql: &str, dialect: Dialect) -> Result<Facts, String> {
    match dialect {
        Dialect::Postgres => sluice_sql::pg::analyze(sql).map_err(|e| e.message),
        // MySQL and MariaDB: the grammar judges the syntax and gives the facts.
        Dialect::Mysql | Dialect::Mariadb => {
            sluice_sql::mysql::analyze(sql, dialect).map_err(|e| e.message)
        }
        // SQLite: SQLite's own parser judges the syntax.
        Dialect::Sqlite => sluice_sql::sqlite::analyze(sql).map_err(|e| e.message),
    }
}

/// Names by object name, each with the schemas it was created in (None:
/// unqualified), so a lookup costs one hash probe whatever the migration's
/// size (a 40,000-statement file checks in linear time).
#[derive(Debug, Clone, Default)]
pub struct Names(HashMap<String, Vec<Option<String>>>);

impl Names {
    /// Adds `o`.
    pub fn insert(&mut self, o: &ObjectName) {
        self.0
            .entry(o.name.clone())
            .or_default()
            .push(o.schema.clone());
    }

    /// Whether an entry names the same object as `o` (as
    /// [`ObjectName::same_as`]).
    pub fn has(&self, o: &ObjectName) -> bool {
        self.0.get(&o.name).is_some_and(|schemas| {
            schemas
                .iter()
                .any(|s| s.is_none() || o.schema.is_none() || *s == o.schema)
        })
    }
}

/// Objects created earlier in the same migration section: a rule about locks or
/// rewrites never fires on them.
#[derive(Debug, Clone, Default)]
pub struct Created {
    tables: Names,
    /// Tables of `CREATE TABLE IF NOT EXISTS`: created only when absent.
    maybe: Names,
    indexes: HashSet<String>,
    objects: Names,
    /// Columns and named constraints added to a table, by name: its tables.
    parts: HashMap<String, Names>,
}

impl Created {
    /// Whether `t` was created earlier (or may have been, by `CREATE TABLE
    /// IF NOT EXISTS` of a table the history model does not know while the
    /// model is incomplete): lock and rewrite rules do not fire on it.
    pub fn table(&self, t: &ObjectName) -> bool {
        self.certainly(t) || self.maybe.has(t)
    }

    /// Whether `t` was certainly created earlier. `CREATE TABLE IF NOT
    /// EXISTS` creates nothing when the table exists: when the history
    /// model has the table it is not created at all, and when the model
    /// cannot tell, the rules about losing data (the destructive group)
    /// still treat it as existing: an `IF NOT EXISTS` before a `DROP
    /// COLUMN` does not silence the drop.
    pub fn certainly(&self, t: &ObjectName) -> bool {
        self.tables.has(t)
    }

    /// Whether an index named `i` was created earlier.
    pub fn index(&self, i: &ObjectName) -> bool {
        self.indexes.contains(&i.name)
    }

    /// Whether another object was created earlier.
    pub fn object(&self, o: &ObjectName) -> bool {
        self.objects.has(o)
    }

    /// Whether column or constraint `name` was added to `table` earlier.
    pub fn part(&self, table: &ObjectName, name: &str) -> bool {
        self.parts.get(name).is_some_and(|t| t.has(table))
    }

    /// Records what a statement creates. `model` is the schema before the
    /// statement: `CREATE TABLE IF NOT EXISTS` creates its table only when
    /// the model has none (and may have, when the model cannot tell).
    pub fn record(&mut self, facts: &Facts, model: &crate::history::Model) {
        for a in &facts.actions {
            match a {
                Action::CreateTable {
                    table,
                    if_not_exists: true,
                    ..
                } if !self.tables.has(table) => match model.has_table(table) {
                    Some(true) => {}
                    Some(false) => self.tables.insert(table),
                    None => self.maybe.insert(table),
                },
                Action::CreateTable {
                    if_not_exists: true,
                    ..
                } => {}
                Action::CreateTable { table, .. } => self.tables.insert(table),
                Action::CreateIndex { index: Some(i), .. } => {
                    self.indexes.insert(i.clone());
                }
                Action::CreateObject { object, .. } => self.objects.insert(object),
                Action::AddColumn { table, column, .. } => {
                    self.parts.entry(column.clone()).or_default().insert(table)
                }
                Action::AddConstraint {
                    table,
                    name: Some(n),
                    ..
                } => self.parts.entry(n.clone()).or_default().insert(table),
                Action::RenameTable { table, new_name } if self.table(table) => {
                    self.tables.insert(&ObjectName {
                        schema: table.schema.clone(),
                        name: new_name.clone(),
                    })
                }
                _ => {}
            }
        }
    }
}
