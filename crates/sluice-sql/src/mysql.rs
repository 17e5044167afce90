//! MySQL and MariaDB statements on a MySQL grammar (sqlparser's MySQL
//! dialect): a statement the grammar rejects is a syntax error, with the
//! parser's line and column; a statement it accepts yields its [`Facts`],
//! read from the syntax tree, with the online-DDL algorithm and lock level
//! InnoDB will use for an `ALTER TABLE` ([`OnlineDdl`]).
//!
//! Client directives and statement forms the grammar does not cover
//! (routines and triggers with bodies, `DELIMITER`) are not judged: sluice
//! never calls something MySQL accepts an error it cannot show. Statements
//! only one of the two servers accepts are errors for the other when the
//! project names its server (`dialect = "mysql"` or `"mariadb"`).
//!
//! # Online DDL
//!
//! Each `ALTER TABLE` operation has the cheapest algorithm InnoDB allows for
//! it on MySQL 8.0.29+ and MariaDB 10.6+ (the statement takes the most
//! expensive of its operations):
//!
//! | operation | algorithm | concurrent writes |
//! |---|---|---|
//! | `ADD COLUMN`, `DROP COLUMN`, `RENAME COLUMN`, `SET/DROP DEFAULT`, `RENAME TO` | INSTANT | yes |
//! | `ADD INDEX`/`KEY`/`UNIQUE`, `CREATE INDEX`, `ADD PRIMARY KEY`, drop an index or foreign key, `AUTO_INCREMENT=` | INPLACE | yes |
//! | `ADD FULLTEXT`/`SPATIAL` index, `ADD COLUMN … AUTO_INCREMENT` | INPLACE | no (LOCK=SHARED) |
//! | `MODIFY`/`CHANGE` a column's definition (type, NULL/NOT NULL) | COPY | no |
//! | `ADD FOREIGN KEY` (with `foreign_key_checks` on), `ADD CHECK` | COPY | no |
//! | `DROP PRIMARY KEY` without adding another, `ADD COLUMN … STORED` generated | COPY | no |
//!
//! `ALGORITHM=INSTANT|INPLACE` and `LOCK=NONE` are honoured: the server then
//! refuses the statement rather than copying the table or blocking writes.
//! `ALGORITHM=COPY` and `LOCK=SHARED|EXCLUSIVE` are taken at their word.
//! `plan` replays each `ALTER TABLE` on a scratch database of the target's
//! server and reports the algorithm the server itself accepts.

use crate::facts::*;
use sluice_core::config::Dialect;
use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, ObjectType,
    TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// A syntax error in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What the parser said (with its line and column in the statement).
    pub message: String,
}

/// Leading words of statements sqlparser's MySQL grammar does not cover:
/// left unjudged.
const UNJUDGED: &[&str] = &[
    "CREATE PROCEDURE",
    "CREATE FUNCTION",
    "CREATE TRIGGER",
    "CREATE EVENT",
    "CREATE DEFINER",
    "CREATE OR REPLACE PROCEDURE",
    "CREATE OR REPLACE FUNCTION",
    "CREATE OR REPLACE TRIGGER",
    "ALTER EVENT",
    "ALTER PROCEDURE",
    "ALTER FUNCTION",
    "DELIMITER",
    "CALL",
    "HANDLER",
    "XA",
    "GRANT",
    "REVOKE",
];

fn unjudged(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let head = words.join(" ");
    UNJUDGED.iter().any(|u| head.starts_with(u))
}

/// A parsed statement, and whether it needed MariaDB's `IF [NOT] EXISTS`
/// on columns and indexes (which MySQL's grammar lacks).
struct Parsed {
    stmt: Option<ast::Statement>,
    mariadb_if_exists: bool,
}

fn parse(sql: &str) -> Result<Parsed, SyntaxError> {
    if unjudged(sql) {
        return Ok(Parsed {
            stmt: None,
            mariadb_if_exists: false,
        });
    }
    let one = |mut v: Vec<ast::Statement>| (v.len() == 1).then(|| v.remove(0));
    match Parser::parse_sql(&MySqlDialect {}, sql) {
        Ok(v) => Ok(Parsed {
            stmt: one(v),
            mariadb_if_exists: false,
        }),
        Err(e) => {
            if let Some(Ok(v)) =
                strip_if_exists(sql).map(|s| Parser::parse_sql(&MySqlDialect {}, &s))
            {
                return Ok(Parsed {
                    stmt: one(v),
                    mariadb_if_exists: true,
                });
            }
            Err(SyntaxError {
                message: e
                    .to_string()
                    .trim_start_matches("sql parser error: ")
                    .to_string(),
            })
        }
    }
}

/// `sql` without MariaDB's `IF [NOT] EXISTS` after `ADD`/`DROP` of a
/// column, index, key, constraint or partition in `ALTER TABLE`, or in
/// `CREATE INDEX`; None when it has none.
fn strip_if_exists(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&MySqlDialect {}, sql).tokenize().ok()?;
    let word = |t: &Token| match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    };
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
        .collect();
    let first = significant.first().and_then(|&i| word(&tokens[i]))?;
    if first != "ALTER" && first != "CREATE" {
        return None;
    }
    let mut skip = std::collections::HashSet::new();
    for (k, &i) in significant.iter().enumerate() {
        if word(&tokens[i]).as_deref() != Some("IF") {
            continue;
        }
        let next = |d: usize| significant.get(k + d).and_then(|&j| word(&tokens[j]));
        let len = match (next(1).as_deref(), next(2).as_deref()) {
            (Some("NOT"), Some("EXISTS")) => 3,
            (Some("EXISTS"), _) => 2,
            _ => continue,
        };
        let prev = |d: usize| {
            k.checked_sub(d)
                .and_then(|p| significant.get(p))
                .and_then(|&j| word(&tokens[j]))
        };
        let after_add_drop = matches!(prev(1).as_deref(), Some("ADD" | "DROP"))
            || (matches!(
                prev(1).as_deref(),
                Some("COLUMN" | "INDEX" | "KEY" | "CONSTRAINT" | "PARTITION")
            ) && matches!(
                prev(2).as_deref(),
                Some("ADD" | "DROP" | "UNIQUE" | "FOREIGN")
            ))
            || (prev(1).as_deref() == Some("KEY") && prev(2).as_deref() == Some("FOREIGN"))
            || (first == "CREATE" && prev(1).as_deref() == Some("INDEX"));
        if after_add_drop {
            skip.extend(significant[k..k + len].iter().copied());
        }
    }
    (!skip.is_empty()).then(|| {
        tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip.contains(i))
            .map(|(_, t)| t.to_string())
            .collect()
    })
}

/// Checks one statement. Ok when the grammar accepts it or does not cover
/// its form.
pub fn check(sql: &str) -> Result<(), SyntaxError> {
    parse(sql).map(|_| ())
}

/// Facts of one MySQL or MariaDB statement (`dialect` is [`Dialect::Mysql`]
/// or [`Dialect::Mariadb`]: a statement only the other server accepts is a
/// syntax error).
pub fn analyze(sql: &str, dialect: Dialect) -> Result<Facts, SyntaxError> {
    let parsed = parse(sql)?;
    if parsed.mariadb_if_exists && dialect == Dialect::Mysql {
        return Err(SyntaxError {
            message: "IF [NOT] EXISTS on a column, index or constraint is MariaDB-only: the project's dialect is mysql, whose server rejects it; write the plain form".into(),
        });
    }
    let Some(stmt) = parsed.stmt else {
        return Ok(crate::generic::analyze(sql, dialect));
    };
    server_specific(sql, &stmt, dialect)?;
    let mut f = match &stmt {
        ast::Statement::CreateTable(ct) => create_table(ct),
        ast::Statement::AlterTable(at) => alter_table(at),
        ast::Statement::CreateIndex(ci) => {
            let table = name(&ci.table_name);
            let mut f = Facts {
                kind: "CREATE INDEX".into(),
                ..Facts::default()
            };
            let lock = if matches!(&ci.using, Some(t) if is_fulltext(&t.to_string())) {
                DdlLock::Shared
            } else {
                DdlLock::None
            };
            f.push(Action::CreateIndex {
                index: ci.name.as_ref().map(|n| name(n).name),
                table: table.clone(),
                columns: index_columns(&ci.columns),
                concurrent: false,
                unique: ci.unique,
                if_not_exists: ci.if_not_exists,
            });
            online(
                &mut f,
                table,
                vec![(Algorithm::Inplace, lock, "building an index".into())],
                None,
                None,
            );
            f
        }
        ast::Statement::RenameTable(renames) => {
            let mut f = Facts {
                kind: "RENAME TABLE".into(),
                ..Facts::default()
            };
            for r in renames {
                f.push(Action::RenameTable {
                    table: name(&r.old_name),
                    new_name: name(&r.new_name).name,
                });
            }
            f
        }
        ast::Statement::Drop {
            object_type,
            names,
            table,
            ..
        } => drop(object_type, names, table.as_ref(), sql, dialect),
        _ => crate::generic::analyze(sql, dialect),
    };
    if f.kind.is_empty() {
        f.kind = "STATEMENT".into();
    }
    if let Some(n) = new_names(&f).into_iter().find(|n| n.chars().count() > 64) {
        return Err(SyntaxError {
            message: format!(
                "identifier `{n}` is {} characters: {} rejects names longer than 64 (error 1059); shorten it",
                n.chars().count(),
                if dialect == Dialect::Mariadb { "MariaDB" } else { "MySQL" }
            ),
        });
    }
    Ok(f)
}

/// Names a statement gives to new objects.
fn new_names(f: &Facts) -> Vec<&str> {
    let mut out = Vec::new();
    for a in &f.actions {
        match a {
            Action::CreateTable {
                table,
                columns,
                constraint_names,
                ..
            } => {
                out.push(table.name.as_str());
                out.extend(columns.iter().map(String::as_str));
                out.extend(constraint_names.iter().map(String::as_str));
            }
            Action::AddColumn { column, .. } => out.push(column),
            Action::CreateIndex { index: Some(i), .. } => out.push(i),
            Action::AddConstraint { name: Some(n), .. } => out.push(n),
            Action::RenameTable { new_name, .. } | Action::RenameColumn { new_name, .. } => {
                out.push(new_name)
            }
            Action::CreateObject { object, .. } => out.push(&object.name),
            _ => {}
        }
    }
    out
}

/// Statements the named server rejects although the shared grammar
/// accepts them.
fn server_specific(sql: &str, stmt: &ast::Statement, dialect: Dialect) -> Result<(), SyntaxError> {
    let refuse = |what: &str, server: &str, instead: &str| {
        Err(SyntaxError {
            message: format!("{what} is {server}-only: the project's dialect is {}, whose server rejects it; {instead}", dialect.as_str()),
        })
    };
    match dialect {
        Dialect::Mariadb if cast_as_json(sql) => refuse(
            "CAST(... AS JSON)",
            "MySQL",
            "MariaDB stores JSON as text: drop the cast, or use JSON_COMPACT(...)",
        ),
        Dialect::Mysql => match stmt {
            ast::Statement::CreateTable(ct) if ct.or_replace => refuse(
                "CREATE OR REPLACE TABLE",
                "MariaDB",
                "use DROP TABLE IF EXISTS, then CREATE TABLE",
            ),
            ast::Statement::CreateIndex(ci) if ci.if_not_exists => refuse(
                "CREATE INDEX IF NOT EXISTS",
                "MariaDB",
                "MySQL has no IF NOT EXISTS on indexes: write CREATE INDEX",
            ),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Whether the statement has `CAST(... AS JSON)` (MySQL-only).
fn cast_as_json(sql: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&MySqlDialect {}, sql).tokenize() else {
        return false;
    };
    let words: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    // Depth of each open CAST's parenthesis.
    let mut casts: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    for (i, t) in words.iter().enumerate() {
        match t {
            Token::LParen => {
                depth += 1;
                if i > 0
                    && matches!(words[i - 1], Token::Word(w) if w.value.eq_ignore_ascii_case("CAST"))
                {
                    casts.push(depth);
                }
            }
            Token::RParen => {
                if casts.last() == Some(&depth) {
                    casts.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Word(w)
                if w.value.eq_ignore_ascii_case("JSON")
                    && casts.last() == Some(&depth)
                    && matches!(words[i - 1], Token::Word(a) if a.value.eq_ignore_ascii_case("AS")) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// An `ALTER TABLE` rewritten to probe which online-DDL algorithm the
/// server accepts for it: the same operations on a copy of the table
/// (`CREATE TABLE probe LIKE table`), with each (algorithm, lock) clause
/// from the cheapest up. The first the server accepts is what it would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The table the statement alters.
    pub table: ObjectName,
    /// `(algorithm, lock, SQL on the probe table)`, cheapest first; `lock`
    /// None means no `LOCK=` clause (MySQL allows none with INSTANT).
    pub attempts: Vec<(Algorithm, Option<DdlLock>, String)>,
}

/// The probe for `sql` on the table `probe`, when `sql` is one `ALTER
/// TABLE` that a copy of its table can take (not a rename, not a change to
/// foreign keys or partitions, which `CREATE TABLE ... LIKE` does not copy).
pub fn probe(sql: &str, probe: &str) -> Option<Probe> {
    let Parsed {
        stmt: Some(ast::Statement::AlterTable(mut at)),
        mariadb_if_exists: false,
    } = parse(sql).ok()?
    else {
        return None;
    };
    use AlterTableOperation as Op;
    if at.operations.iter().any(|op| {
        matches!(
            op,
            Op::RenameTable { .. }
                | Op::DropForeignKey { .. }
                | Op::DropConstraint { .. }
                | Op::AddPartitions { .. }
                | Op::DropPartitions { .. }
        )
    }) {
        return None;
    }
    let table = name(&at.name);
    at.operations
        .retain(|op| !matches!(op, Op::Algorithm { .. } | Op::Lock { .. }));
    if at.operations.is_empty() {
        return None;
    }
    at.name = ast::ObjectName::from(vec![ast::Ident::with_quote('`', probe)]);
    let attempts = [
        (Algorithm::Instant, None),
        (Algorithm::Inplace, Some(DdlLock::None)),
        (Algorithm::Inplace, Some(DdlLock::Shared)),
        (Algorithm::Copy, Some(DdlLock::Shared)),
    ]
    .into_iter()
    .map(|(a, l)| {
        let mut v = at.clone();
        v.operations.push(Op::Algorithm {
            equals: true,
            algorithm: match a {
                Algorithm::Instant => ast::AlterTableAlgorithm::Instant,
                Algorithm::Inplace => ast::AlterTableAlgorithm::Inplace,
                Algorithm::Copy => ast::AlterTableAlgorithm::Copy,
            },
        });
        if let Some(l) = l {
            v.operations.push(Op::Lock {
                equals: true,
                lock: match l {
                    DdlLock::None => ast::AlterTableLock::None,
                    DdlLock::Shared => ast::AlterTableLock::Shared,
                    DdlLock::Exclusive => ast::AlterTableLock::Exclusive,
                },
            });
        }
        (a, l, ast::Statement::AlterTable(v).to_string())
    })
    .collect();
    Some(Probe { table, attempts })
}

fn ident(i: &ast::Ident) -> String {
    i.value.clone()
}

fn column(i: &ast::Ident) -> String {
    // MySQL column names are case-insensitive.
    i.value.to_lowercase()
}

fn name(o: &ast::ObjectName) -> ObjectName {
    let parts: Vec<String> =
        o.0.iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(i) => ident(i),
                other => other.to_string(),
            })
            .collect();
    match parts.as_slice() {
        [schema, .., n] if parts.len() > 1 => ObjectName {
            schema: Some(schema.clone()),
            name: n.clone(),
        },
        [n] => ObjectName::bare(n.clone()),
        _ => ObjectName::bare(String::new()),
    }
}

fn index_columns(cols: &[ast::IndexColumn]) -> Vec<String> {
    cols.iter()
        .map_while(|c| match &c.column.expr {
            Expr::Identifier(i) => Some(column(i)),
            // `col(10)`: a prefix index on col.
            Expr::Function(f) => f.name.0.last().map(|p| p.to_string().to_lowercase()),
            _ => None,
        })
        .collect()
}

fn idents(cols: &[ast::Ident]) -> Vec<String> {
    cols.iter().map(column).collect()
}

fn is_fulltext(s: &str) -> bool {
    let s = s.to_ascii_uppercase();
    s.contains("FULLTEXT") || s.contains("SPATIAL")
}

/// What a column definition says.
struct ColumnInfo {
    not_null: bool,
    default: bool,
    auto_increment: bool,
    stored_generated: bool,
    generated: bool,
    primary_or_unique: bool,
    references: Option<ObjectName>,
}

fn column_info(options: &[ast::ColumnOptionDef]) -> ColumnInfo {
    let mut c = ColumnInfo {
        not_null: false,
        default: false,
        auto_increment: false,
        stored_generated: false,
        generated: false,
        primary_or_unique: false,
        references: None,
    };
    for o in options {
        match &o.option {
            ColumnOption::NotNull => c.not_null = true,
            ColumnOption::Default(_) => c.default = true,
            ColumnOption::PrimaryKey(_) => {
                c.primary_or_unique = true;
                c.not_null = true;
            }
            ColumnOption::Unique(_) => c.primary_or_unique = true,
            ColumnOption::ForeignKey(fk) => c.references = Some(name(&fk.foreign_table)),
            ColumnOption::DialectSpecific(tokens)
                if tokens
                    .iter()
                    .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                c.auto_increment = true;
            }
            ColumnOption::Generated {
                generation_expr_mode,
                ..
            } => {
                c.generated = true;
                c.stored_generated = matches!(
                    generation_expr_mode,
                    Some(ast::GeneratedExpressionMode::Stored)
                );
            }
            _ => {}
        }
    }
    c
}

fn create_table(ct: &ast::CreateTable) -> Facts {
    let table = name(&ct.name);
    let mut f = Facts {
        kind: "CREATE TABLE".into(),
        ..Facts::default()
    };
    let mut foreign_keys = Vec::new();
    let mut indexed: Vec<Vec<String>> = Vec::new();
    let mut constraint_names: Vec<String> = Vec::new();
    for c in &ct.columns {
        let info = column_info(&c.options);
        if info.primary_or_unique {
            indexed.push(vec![column(&c.name)]);
        }
        if let Some(r) = info.references {
            foreign_keys.push(ForeignKey {
                columns: vec![column(&c.name)],
                references: r,
            });
        }
    }
    for k in &ct.constraints {
        let n = match k {
            TableConstraint::PrimaryKey(c) => c.name.as_ref(),
            TableConstraint::Unique(c) => c.name.as_ref(),
            TableConstraint::Index(c) => c.name.as_ref(),
            TableConstraint::FulltextOrSpatial(c) => c.opt_index_name.as_ref(),
            TableConstraint::ForeignKey(c) => c.name.as_ref().or(c.index_name.as_ref()),
            TableConstraint::Check(c) => c.name.as_ref(),
            _ => None,
        };
        constraint_names.extend(n.map(ident));
        match k {
            TableConstraint::PrimaryKey(pk) => indexed.push(index_columns(&pk.columns)),
            TableConstraint::Unique(u) => indexed.push(index_columns(&u.columns)),
            TableConstraint::Index(i) => indexed.push(index_columns(&i.columns)),
            TableConstraint::FulltextOrSpatial(i) => indexed.push(index_columns(&i.columns)),
            TableConstraint::ForeignKey(fk) => foreign_keys.push(ForeignKey {
                columns: idents(&fk.columns),
                references: name(&fk.foreign_table),
            }),
            _ => {}
        }
    }
    f.push(Action::CreateTable {
        table,
        columns: ct.columns.iter().map(|c| column(&c.name)).collect(),
        foreign_keys,
        indexed,
        partitioned: ct.partition_by.is_some(),
        constraint_names,
        column_types: ct
            .columns
            .iter()
            .map(|c| c.data_type.to_string().to_ascii_lowercase())
            .collect(),
        if_not_exists: ct.if_not_exists,
    });
    f
}

type Cost = (Algorithm, DdlLock, String);

fn alter_table(at: &ast::AlterTable) -> Facts {
    let table = name(&at.name);
    let mut f = Facts {
        kind: "ALTER TABLE".into(),
        ..Facts::default()
    };
    let mut costs: Vec<Cost> = Vec::new();
    let mut algorithm_clause = None;
    let mut lock_clause = None;
    let adds_primary_key = at.operations.iter().any(|op| {
        matches!(
            op,
            AlterTableOperation::AddConstraint {
                constraint: TableConstraint::PrimaryKey(_),
                ..
            }
        )
    });
    let t = || table.clone();
    for op in &at.operations {
        use Algorithm::*;
        use AlterTableOperation as Op;
        match op {
            Op::AddColumn { column_def, .. } => {
                let info = column_info(&column_def.options);
                let col = column(&column_def.name);
                costs.push(if info.stored_generated {
                    (
                        Copy,
                        DdlLock::Shared,
                        format!("adding the STORED generated column `{col}`"),
                    )
                } else if info.auto_increment {
                    (
                        Inplace,
                        DdlLock::Shared,
                        format!("adding the AUTO_INCREMENT column `{col}`"),
                    )
                } else if info.primary_or_unique {
                    (
                        Inplace,
                        DdlLock::None,
                        format!("adding `{col}` with an index"),
                    )
                } else {
                    (Instant, DdlLock::None, format!("adding the column `{col}`"))
                });
                f.push(Action::AddColumn {
                    table: t(),
                    column: col,
                    not_null: info.not_null,
                    default: if info.default {
                        DefaultKind::Constant
                    } else {
                        DefaultKind::None
                    },
                    generated: info.generated || info.auto_increment,
                    references: info.references,
                    data_type: column_def.data_type.to_string().to_ascii_lowercase(),
                    default_functions: vec![],
                });
            }
            Op::DropColumn { column_names, .. } => {
                for c in column_names {
                    costs.push((Instant, DdlLock::None, format!("dropping `{}`", column(c))));
                    f.push(Action::DropColumn {
                        table: t(),
                        column: column(c),
                    });
                }
            }
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                costs.push((Instant, DdlLock::None, "renaming a column".into()));
                f.push(Action::RenameColumn {
                    table: t(),
                    column: column(old_column_name),
                    new_name: column(new_column_name),
                });
            }
            Op::ChangeColumn {
                old_name, new_name, ..
            } => {
                costs.push((
                    Copy,
                    DdlLock::Shared,
                    format!("CHANGE `{}` (its definition)", column(old_name)),
                ));
                if column(old_name) != column(new_name) {
                    f.push(Action::RenameColumn {
                        table: t(),
                        column: column(old_name),
                        new_name: column(new_name),
                    });
                }
                f.push(Action::AlterColumnType {
                    table: t(),
                    column: column(new_name),
                });
            }
            Op::ModifyColumn { col_name, .. } => {
                costs.push((
                    Copy,
                    DdlLock::Shared,
                    format!("MODIFY `{}` (its definition)", column(col_name)),
                ));
                f.push(Action::AlterColumnType {
                    table: t(),
                    column: column(col_name),
                });
            }
            Op::AlterColumn { column_name, op } => match op {
                AlterColumnOperation::SetDefault { .. } | AlterColumnOperation::DropDefault => {
                    costs.push((Instant, DdlLock::None, "changing a default".into()));
                    f.push(Action::AlterTableOther {
                        table: t(),
                        subcommand: "ALTER COLUMN DEFAULT".into(),
                    });
                }
                AlterColumnOperation::SetDataType { .. } => {
                    costs.push((
                        Copy,
                        DdlLock::Shared,
                        format!("changing the type of `{}`", column(column_name)),
                    ));
                    f.push(Action::AlterColumnType {
                        table: t(),
                        column: column(column_name),
                    });
                }
                _ => {
                    costs.push((Inplace, DdlLock::None, "altering a column".into()));
                    f.push(Action::AlterTableOther {
                        table: t(),
                        subcommand: "ALTER COLUMN".into(),
                    });
                }
            },
            Op::AddConstraint { constraint, .. } => {
                let (kind, cname, columns, references, cost): (_, _, _, _, Cost) = match constraint
                {
                    TableConstraint::PrimaryKey(pk) => (
                        ConstraintKind::PrimaryKey,
                        pk.name.as_ref().map(column),
                        index_columns(&pk.columns),
                        None,
                        (
                            Inplace,
                            DdlLock::None,
                            "adding a primary key (rebuilds the table)".into(),
                        ),
                    ),
                    TableConstraint::Unique(u) => (
                        ConstraintKind::Unique,
                        u.name.as_ref().map(column),
                        index_columns(&u.columns),
                        None,
                        (Inplace, DdlLock::None, "adding a unique index".into()),
                    ),
                    TableConstraint::Index(i) => (
                        ConstraintKind::Other,
                        i.name.as_ref().map(column),
                        index_columns(&i.columns),
                        None,
                        (Inplace, DdlLock::None, "adding an index".into()),
                    ),
                    TableConstraint::FulltextOrSpatial(i) => (
                        ConstraintKind::Other,
                        i.opt_index_name.as_ref().map(column),
                        index_columns(&i.columns),
                        None,
                        (
                            Inplace,
                            DdlLock::Shared,
                            format!(
                                "adding a {} index",
                                if i.fulltext { "FULLTEXT" } else { "SPATIAL" }
                            ),
                        ),
                    ),
                    TableConstraint::ForeignKey(fk) => (
                        ConstraintKind::ForeignKey,
                        fk.name.as_ref().map(column),
                        idents(&fk.columns),
                        Some(name(&fk.foreign_table)),
                        (
                            Copy,
                            DdlLock::Shared,
                            "adding a foreign key (INPLACE only with foreign_key_checks=0)".into(),
                        ),
                    ),
                    TableConstraint::Check(c) => (
                        ConstraintKind::Check,
                        c.name.as_ref().map(column),
                        vec![],
                        None,
                        (
                            Copy,
                            DdlLock::Shared,
                            "adding a CHECK constraint (checks every row)".into(),
                        ),
                    ),
                    _ => (
                        ConstraintKind::Other,
                        None,
                        vec![],
                        None,
                        (Inplace, DdlLock::None, "adding a constraint".into()),
                    ),
                };
                costs.push(cost);
                if matches!(
                    constraint,
                    TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_)
                ) {
                    f.push(Action::CreateIndex {
                        index: cname,
                        table: t(),
                        columns,
                        concurrent: false,
                        unique: false,
                        if_not_exists: false,
                    });
                } else {
                    f.push(Action::AddConstraint {
                        table: t(),
                        name: cname,
                        kind,
                        not_valid: false,
                        using_index: false,
                        columns,
                        references,
                    });
                }
            }
            Op::DropPrimaryKey { .. } => {
                costs.push(if adds_primary_key {
                    (Inplace, DdlLock::None, "replacing the primary key".into())
                } else {
                    (
                        Copy,
                        DdlLock::Shared,
                        "dropping the primary key without adding another".into(),
                    )
                });
                f.push(Action::DropConstraint {
                    table: t(),
                    name: "primary".into(),
                });
            }
            Op::DropForeignKey { name: n, .. } | Op::DropConstraint { name: n, .. } => {
                costs.push((Inplace, DdlLock::None, "dropping a constraint".into()));
                f.push(Action::DropConstraint {
                    table: t(),
                    name: column(n),
                });
            }
            Op::DropIndex { name: n } => {
                costs.push((Inplace, DdlLock::None, "dropping an index".into()));
                f.push(Action::DropIndex {
                    index: ObjectName::bare(column(n)),
                    concurrent: false,
                    if_exists: false,
                });
            }
            Op::RenameTable { table_name } => {
                let new = match table_name {
                    ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => name(n),
                };
                costs.push((Instant, DdlLock::None, "renaming the table".into()));
                f.push(Action::RenameTable {
                    table: t(),
                    new_name: new.name,
                });
            }
            Op::Algorithm { algorithm, .. } => {
                algorithm_clause = match algorithm {
                    ast::AlterTableAlgorithm::Default => None,
                    ast::AlterTableAlgorithm::Instant => Some(Instant),
                    ast::AlterTableAlgorithm::Inplace => Some(Inplace),
                    ast::AlterTableAlgorithm::Copy => Some(Copy),
                }
            }
            Op::Lock { lock, .. } => {
                lock_clause = match lock {
                    ast::AlterTableLock::Default => None,
                    ast::AlterTableLock::None => Some(DdlLock::None),
                    ast::AlterTableLock::Shared => Some(DdlLock::Shared),
                    ast::AlterTableLock::Exclusive => Some(DdlLock::Exclusive),
                }
            }
            Op::AutoIncrement { .. } => {
                costs.push((Inplace, DdlLock::None, "setting AUTO_INCREMENT".into()));
                f.push(Action::AlterTableOther {
                    table: t(),
                    subcommand: "AUTO_INCREMENT".into(),
                });
            }
            other => {
                costs.push((Inplace, DdlLock::None, "this change".into()));
                f.push(Action::AlterTableOther {
                    table: t(),
                    subcommand: other.to_string(),
                });
            }
        }
    }
    if f.actions.is_empty() {
        f.push(Action::AlterTableOther {
            table: t(),
            subcommand: "ALTER TABLE".into(),
        });
    }
    online(&mut f, table, costs, algorithm_clause, lock_clause);
    f
}

/// Sets the statement's online-DDL facts from its operations' costs and
/// clauses, and the lock it takes for the baseline risk.
fn online(
    f: &mut Facts,
    table: ObjectName,
    costs: Vec<Cost>,
    algorithm_clause: Option<Algorithm>,
    lock_clause: Option<DdlLock>,
) {
    let (mut algorithm, mut lock, decided_by) = costs
        .into_iter()
        .max_by_key(|(a, l, _)| (*a, *l))
        .unwrap_or((Algorithm::Instant, DdlLock::None, "this change".into()));
    match algorithm_clause {
        // COPY is taken at its word; INSTANT/INPLACE make the server refuse
        // what it cannot do that way, so nothing is copied.
        Some(Algorithm::Copy) => {
            algorithm = Algorithm::Copy;
            lock = lock.max(DdlLock::Shared);
        }
        Some(a) => {
            if algorithm > a {
                // The server refuses the statement rather than copy: no
                // lock is held for a copy that never happens.
                lock = DdlLock::None;
            }
            algorithm = a;
        }
        None => {}
    }
    match lock_clause {
        Some(DdlLock::None) => lock = DdlLock::None,
        Some(l) => lock = lock.max(l),
        None => {}
    }
    let mode = match lock {
        DdlLock::Exclusive => Some(LockMode::AccessExclusive),
        DdlLock::Shared => Some(LockMode::Share),
        DdlLock::None if algorithm == Algorithm::Inplace => Some(LockMode::ShareUpdateExclusive),
        DdlLock::None => None,
    };
    if let Some(m) = mode {
        f.lock(&table, m);
    }
    f.online_ddl = Some(OnlineDdl {
        table,
        algorithm,
        lock,
        algorithm_clause,
        lock_clause,
        decided_by,
    });
}

fn drop(
    object_type: &ObjectType,
    names: &[ast::ObjectName],
    table: Option<&ast::ObjectName>,
    sql: &str,
    dialect: Dialect,
) -> Facts {
    let mut f = Facts::default();
    for n in names {
        let object = name(n);
        match object_type {
            ObjectType::Table => {
                f.kind = "DROP TABLE".into();
                f.push(Action::DropTable { table: object });
            }
            ObjectType::Index => {
                f.kind = "DROP INDEX".into();
                f.push(Action::DropIndex {
                    index: ObjectName::bare(object.name.to_lowercase()),
                    concurrent: false,
                    if_exists: false,
                });
                if let Some(t) = table {
                    online(
                        &mut f,
                        name(t),
                        vec![(
                            Algorithm::Inplace,
                            DdlLock::None,
                            "dropping an index".into(),
                        )],
                        None,
                        None,
                    );
                }
            }
            ObjectType::Database | ObjectType::Schema => {
                // In MySQL a schema is a database.
                f.kind = "DROP DATABASE".into();
                f.push(Action::DropDatabase {
                    database: object.name,
                });
            }
            _ => return crate::generic::analyze(sql, dialect),
        }
    }
    f
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mysql_and_rejects_typos() {
        for ok in [
            "CREATE TABLE `t` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, n VARCHAR(10)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
            "ALTER TABLE t ADD COLUMN x INT NOT NULL DEFAULT 0, ADD INDEX t_x (x)",
            "CREATE INDEX t_n ON t (n)",
            "INSERT INTO t (n) VALUES ('it''s'), ('a\\'b')",
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        let e = check("CREATE TABLEE t (id INT)").unwrap_err();
        assert!(e.message.contains("TABLEE"), "{}", e.message);
    }

    fn ddl(sql: &str) -> OnlineDdl {
        analyze(sql, Dialect::Mysql)
            .unwrap()
            .online_ddl
            .unwrap_or_else(|| panic!("no online DDL facts for {sql}"))
    }

    #[test]
    fn online_ddl_algorithm_per_operation() {
        let d = ddl("ALTER TABLE t ADD COLUMN c INT NULL");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Instant, DdlLock::None));
        let d = ddl("ALTER TABLE t ADD INDEX t_c (c), ALGORITHM=INPLACE, LOCK=NONE");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Inplace, DdlLock::None));
        let d = ddl("ALTER TABLE t MODIFY c BIGINT NOT NULL");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Copy, DdlLock::Shared));
        assert!(d.decided_by.contains("MODIFY `c`"), "{}", d.decided_by);
        let d = ddl("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)");
        assert_eq!(d.algorithm, Algorithm::Copy);
        // The most expensive operation decides.
        let d = ddl("ALTER TABLE t ADD COLUMN x INT, ADD FULLTEXT INDEX ft (body)");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Inplace, DdlLock::Shared));
        // INPLACE on a copy-only change: the server refuses, nothing is copied.
        let d = ddl("ALTER TABLE t MODIFY c BIGINT, ALGORITHM=INPLACE");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Inplace, DdlLock::None));
        assert_eq!(d.algorithm_clause, Some(Algorithm::Inplace));
        // COPY and LOCK=EXCLUSIVE are taken at their word.
        let d = ddl("ALTER TABLE t ADD COLUMN x INT, ALGORITHM=COPY");
        assert_eq!((d.algorithm, d.lock), (Algorithm::Copy, DdlLock::Shared));
        let d = ddl("ALTER TABLE t ADD INDEX i (c), LOCK=EXCLUSIVE");
        assert_eq!(d.lock, DdlLock::Exclusive);
        // Replacing the primary key is in place; dropping it alone copies.
        assert_eq!(
            ddl("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, b)").algorithm,
            Algorithm::Inplace
        );
        assert_eq!(
            ddl("ALTER TABLE t DROP PRIMARY KEY").algorithm,
            Algorithm::Copy
        );
        assert_eq!(ddl("CREATE INDEX i ON t (c)").algorithm, Algorithm::Inplace);
    }

    #[test]
    fn facts_from_the_syntax_tree() {
        let f = analyze(
            "CREATE TABLE `Orders` (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, \
             user_id BIGINT NOT NULL, amount DECIMAL(10,2), KEY orders_user (user_id), \
             CONSTRAINT fk_u FOREIGN KEY (user_id) REFERENCES users (id)) ENGINE=InnoDB",
            Dialect::Mysql,
        )
        .unwrap();
        let Action::CreateTable {
            table,
            columns,
            foreign_keys,
            indexed,
            ..
        } = &f.actions[0]
        else {
            panic!("{f:?}")
        };
        assert_eq!(table.name, "Orders");
        assert_eq!(columns, &["id", "user_id", "amount"]);
        assert_eq!(foreign_keys[0].columns, ["user_id"]);
        assert!(indexed.contains(&vec!["user_id".to_string()]));
        // A comma inside a type does not split the ALTER.
        let f = analyze(
            "ALTER TABLE t ADD COLUMN price DECIMAL(10,2) NOT NULL, DROP COLUMN old",
            Dialect::Mysql,
        )
        .unwrap();
        assert_eq!(f.actions.len(), 2, "{f:?}");
        assert!(matches!(
            &f.actions[0],
            Action::AddColumn {
                not_null: true,
                default: DefaultKind::None,
                ..
            }
        ));
        assert!(matches!(&f.actions[1], Action::DropColumn { column, .. } if column == "old"));
        let f = analyze("DROP TABLE a, b", Dialect::Mysql).unwrap();
        assert_eq!(f.actions.len(), 2);
        let f = analyze("RENAME TABLE a TO b, c TO d", Dialect::Mysql).unwrap();
        assert_eq!(f.actions.len(), 2);
    }

    #[test]
    fn names_over_64_characters_are_refused() {
        let long = "n".repeat(65);
        for sql in [
            format!("CREATE TABLE {long} (id INT)"),
            format!("CREATE TABLE t (id INT, CONSTRAINT {long} UNIQUE (id))"),
            format!("ALTER TABLE t ADD COLUMN {long} INT"),
            format!("CREATE INDEX {long} ON t (a)"),
        ] {
            let e = analyze(&sql, Dialect::Mysql).unwrap_err();
            assert!(e.message.contains("error 1059"), "{sql}: {}", e.message);
        }
        assert!(analyze(
            &format!("CREATE TABLE {} (id INT)", "n".repeat(64)),
            Dialect::Mysql
        )
        .is_ok());
    }

    #[test]
    fn statements_only_the_other_server_accepts() {
        let json = "SELECT CAST('{}' AS JSON)";
        assert!(analyze(json, Dialect::Mysql).is_ok());
        let e = analyze(json, Dialect::Mariadb).unwrap_err();
        assert!(e.message.contains("MySQL-only"), "{}", e.message);
        assert!(analyze("SELECT CAST(a AS CHAR), json FROM t", Dialect::Mariadb).is_ok());
        for maria in [
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS c INT",
            "ALTER TABLE t DROP COLUMN IF EXISTS c, ADD INDEX IF NOT EXISTS i (a)",
            "CREATE INDEX IF NOT EXISTS i ON t (a)",
            "CREATE OR REPLACE TABLE t (id INT)",
        ] {
            assert!(analyze(maria, Dialect::Mariadb).is_ok(), "{maria}");
            let e = analyze(maria, Dialect::Mysql).unwrap_err();
            assert!(e.message.contains("MariaDB-only"), "{}", e.message);
        }
    }

    #[test]
    fn probes_rewrite_the_alter_onto_a_copy() {
        let p = probe(
            "ALTER TABLE `orders` MODIFY amount DECIMAL(12,2) NOT NULL, ALGORITHM=COPY",
            "sluice_probe",
        )
        .unwrap();
        assert_eq!(p.table.name, "orders");
        assert_eq!(p.attempts.len(), 4);
        assert_eq!(
            p.attempts[0].2,
            "ALTER TABLE `sluice_probe` MODIFY COLUMN amount DECIMAL(12,2) NOT NULL, ALGORITHM = INSTANT"
        );
        assert!(
            p.attempts[1]
                .2
                .ends_with("ALGORITHM = INPLACE, LOCK = NONE"),
            "{}",
            p.attempts[1].2
        );
        // Every rewrite is still MySQL.
        for (_, _, sql) in &p.attempts {
            check(sql).unwrap();
        }
        assert!(probe("ALTER TABLE a RENAME TO b", "p").is_none());
        assert!(probe("ALTER TABLE a DROP FOREIGN KEY fk", "p").is_none());
        assert!(probe("CREATE INDEX i ON a (b)", "p").is_none());
    }
}
