//! SQLite and MySQL statements: a keyword classifier that recognises the
//! statement forms the rules need (create, drop, alter, rename, truncate,
//! delete/update without WHERE, transactions). Anything it does not recognise is
//! `Other`, which no rule fires on. It never reports a syntax error itself:
//! SQLite's own parser judges SQLite statements ([`crate::sqlite`]); MySQL's
//! facts come from its grammar ([`crate::mysql`]), which falls back to this
//! classifier for the forms it leaves unjudged.

use crate::facts::*;
use sluice_core::config::Dialect;

/// Upper-cased words and identifiers of a statement (quotes stripped), skipping
/// comments and string literals.
fn words(sql: &str, dialect: Dialect) -> Vec<(String, bool)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') || (c == b'#' && dialect == Dialect::Mysql) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'\'' {
            i += 1;
            while i < b.len() && !(b[i] == b'\'' && b.get(i + 1) != Some(&b'\'')) {
                i += if b[i] == b'\'' || (b[i] == b'\\' && dialect == Dialect::Mysql) {
                    2
                } else {
                    1
                };
            }
            i += 1;
            out.push(("'".into(), false));
        } else if matches!(c, b'"' | b'`' | b'[') {
            let close = if c == b'[' { b']' } else { c };
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != close {
                i += 1;
            }
            out.push((sql[start..i.min(sql.len())].to_string(), true));
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push((sql[start..i].to_string(), false));
        } else {
            if c == b'.' || c == b'(' || c == b',' {
                out.push(((c as char).to_string(), false));
            }
            i += 1;
        }
    }
    out
}

/// The words of one statement, with the dialect's name folding.
struct Cx {
    w: Vec<(String, bool)>,
    dialect: Dialect,
}

impl Cx {
    /// Word `i`, upper-cased unless quoted.
    fn up(&self, i: usize) -> String {
        self.w
            .get(i)
            .map(|(s, q)| {
                if *q {
                    s.clone()
                } else {
                    s.to_ascii_uppercase()
                }
            })
            .unwrap_or_default()
    }

    /// An object name at word i, maybe `schema . name`; it and the next index.
    fn name_at(&self, i: usize) -> (ObjectName, usize) {
        let fold = |j: usize| {
            self.w
                .get(j)
                .map(|(s, q)| {
                    if *q || self.dialect == Dialect::Mysql {
                        s.clone()
                    } else {
                        s.to_ascii_lowercase()
                    }
                })
                .unwrap_or_default()
        };
        if self.w.get(i + 1).is_some_and(|(s, _)| s == ".") {
            (
                ObjectName {
                    schema: Some(fold(i)),
                    name: fold(i + 2),
                },
                i + 3,
            )
        } else {
            (ObjectName::bare(fold(i)), i + 1)
        }
    }

    /// The index after the words of `words` starting at `i`.
    fn skip(&self, mut i: usize, words: &[&str]) -> usize {
        while words.contains(&self.up(i).as_str()) {
            i += 1;
        }
        i
    }
}

/// Classifies one statement.
pub fn analyze(sql: &str, dialect: Dialect) -> Facts {
    let dialect = dialect.family();
    let cx = Cx {
        w: words(sql, dialect),
        dialect,
    };
    let w = &cx.w;
    let up = |i: usize| cx.up(i);
    let name_at = |i: usize| cx.name_at(i);
    let skip = |i: usize, words: &[&str]| cx.skip(i, words);
    let mut f = Facts::default();
    let first = up(0);
    match first.as_str() {
        "CREATE" => create(&cx, &mut f),
        "DROP" => drop(&cx, &mut f),
        "ALTER" if up(1) == "TABLE" => alter_table(&cx, &mut f),
        "RENAME" if up(1) == "TABLE" => {
            let (table, i) = name_at(2);
            f.kind = "RENAME TABLE".into();
            f.push(Action::RenameTable {
                table,
                new_name: up(i + 1).to_ascii_lowercase(),
            });
        }
        "TRUNCATE" => {
            let i = skip(1, &["TABLE"]);
            let (table, _) = name_at(i);
            f.kind = "TRUNCATE".into();
            f.push(Action::Truncate { table });
        }
        "DELETE" => {
            let i = skip(1, &["LOW_PRIORITY", "QUICK", "IGNORE", "FROM"]);
            let (table, _) = name_at(i);
            f.kind = "DELETE".into();
            f.push(Action::Delete {
                table,
                has_where: w.iter().any(|(s, q)| !q && s.eq_ignore_ascii_case("WHERE")),
            });
        }
        "UPDATE" => {
            let i = skip(
                1,
                &[
                    "LOW_PRIORITY",
                    "IGNORE",
                    "OR",
                    "ROLLBACK",
                    "ABORT",
                    "REPLACE",
                    "FAIL",
                ],
            );
            let (table, _) = name_at(i);
            f.kind = "UPDATE".into();
            f.push(Action::Update {
                table,
                has_where: w.iter().any(|(s, q)| !q && s.eq_ignore_ascii_case("WHERE")),
            });
        }
        "INSERT" | "REPLACE" => {
            let i = skip(
                1,
                &[
                    "OR",
                    "IGNORE",
                    "REPLACE",
                    "INTO",
                    "LOW_PRIORITY",
                    "DELAYED",
                    "HIGH_PRIORITY",
                ],
            );
            let (table, _) = name_at(i);
            f.kind = "INSERT".into();
            f.push(Action::Insert { table });
        }
        "BEGIN" | "START" | "COMMIT" | "ROLLBACK" | "END" | "SAVEPOINT" | "RELEASE" => {
            let kind = if first == "START" || first == "END" {
                if first == "START" {
                    "BEGIN"
                } else {
                    "COMMIT"
                }
            } else {
                first.as_str()
            };
            f.kind = kind.into();
            f.push(Action::Transaction { kind: kind.into() });
        }
        "VACUUM" => {
            f.kind = "VACUUM".into();
            f.no_transaction = true;
            f.push(Action::Vacuum {
                full: true,
                tables: vec![],
            });
        }
        "REINDEX" => {
            f.kind = "REINDEX".into();
            f.push(Action::Reindex {
                concurrent: false,
                target: up(1),
            });
        }
        "SET" | "PRAGMA" => {
            f.kind = first.clone();
            f.push(Action::Set {
                name: up(1).to_ascii_lowercase(),
            });
        }
        "" => other(&mut f, "EMPTY"),
        k => other(&mut f, k),
    }
    f
}

/// `CREATE ...`.
fn create(cx: &Cx, f: &mut Facts) {
    let up = |i: usize| cx.up(i);
    let name_at = |i: usize| cx.name_at(i);
    let skip = |i: usize, words: &[&str]| cx.skip(i, words);
    let i = skip(
        1,
        &[
            "TEMP",
            "TEMPORARY",
            "UNIQUE",
            "OR",
            "REPLACE",
            "VIRTUAL",
            "ALGORITHM",
            "DEFINER",
        ],
    );
    match up(i).as_str() {
        "TABLE" => {
            let if_not_exists = up(i + 1) == "IF";
            let i = skip(i + 1, &["IF", "NOT", "EXISTS"]);
            let (table, _) = name_at(i);
            f.kind = "CREATE TABLE".into();
            f.push(Action::CreateTable {
                table,
                columns: vec![],
                foreign_keys: vec![],
                indexed: vec![],
                partitioned: false,
                constraint_names: vec![],
                column_types: vec![],
                if_not_exists,
            });
        }
        "INDEX" => {
            let i = skip(i + 1, &["IF", "NOT", "EXISTS"]);
            let (index, j) = name_at(i);
            let j = skip(j, &["ON"]);
            let (table, _) = name_at(j);
            f.kind = "CREATE INDEX".into();
            f.push(Action::CreateIndex {
                index: Some(index.name),
                table,
                columns: vec![],
                concurrent: false,
                unique: up(1) == "UNIQUE",
                if_not_exists: false,
            });
        }
        kind
        @ ("VIEW" | "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT" | "DATABASE" | "SCHEMA") => {
            let i = skip(i + 1, &["IF", "NOT", "EXISTS"]);
            let (object, _) = name_at(i);
            f.kind = format!("CREATE {kind}");
            f.push(Action::CreateObject {
                kind: kind.into(),
                object,
                table: None,
                volatile: None,
            });
        }
        _ => other(f, "CREATE"),
    }
}

/// `DROP ...`.
fn drop(cx: &Cx, f: &mut Facts) {
    let up = |i: usize| cx.up(i);
    let name_at = |i: usize| cx.name_at(i);
    let skip = |i: usize, words: &[&str]| cx.skip(i, words);
    let kind = up(1);
    let i = skip(2, &["IF", "EXISTS"]);
    let (object, _) = name_at(i);
    f.kind = format!("DROP {kind}");
    match kind.as_str() {
        "TABLE" => f.push(Action::DropTable { table: object }),
        "INDEX" => f.push(Action::DropIndex {
            index: object,
            concurrent: false,
            if_exists: false,
        }),
        "DATABASE" => f.push(Action::DropDatabase {
            database: object.name,
        }),
        "SCHEMA" => f.push(Action::DropSchema {
            schema: object.name,
        }),
        k @ ("VIEW" | "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT") => {
            f.push(Action::DropObject {
                kind: k.into(),
                object,
            })
        }
        _ => other(f, "DROP"),
    }
}

/// `ALTER TABLE ...`.
fn alter_table(cx: &Cx, f: &mut Facts) {
    let w = &cx.w;
    let dialect = cx.dialect;
    let up = |i: usize| cx.up(i);
    let name_at = |i: usize| cx.name_at(i);
    let skip = |i: usize, words: &[&str]| cx.skip(i, words);
    let (table, mut i) = name_at(2);
    f.kind = "ALTER TABLE".into();
    loop {
        match (up(i).as_str(), up(i + 1).as_str()) {
            ("RENAME", "TO") | ("RENAME", "AS") => {
                f.push(Action::RenameTable {
                    table: table.clone(),
                    new_name: up(i + 2).to_ascii_lowercase(),
                });
            }
            ("RENAME", "COLUMN") => f.push(Action::RenameColumn {
                table: table.clone(),
                column: up(i + 2).to_ascii_lowercase(),
                new_name: up(i + 4).to_ascii_lowercase(),
            }),
            ("DROP", "COLUMN") => f.push(Action::DropColumn {
                table: table.clone(),
                column: up(i + 2).to_ascii_lowercase(),
            }),
            ("DROP", "INDEX") | ("DROP", "KEY") => f.push(Action::DropIndex {
                index: ObjectName::bare(up(i + 2).to_ascii_lowercase()),
                concurrent: false,
                if_exists: false,
            }),
            ("DROP", "CONSTRAINT")
            | ("DROP", "FOREIGN")
            | ("DROP", "PRIMARY")
            | ("DROP", "CHECK") => f.push(Action::DropConstraint {
                table: table.clone(),
                name: up(i + 2).to_ascii_lowercase(),
            }),
            ("MODIFY", _) | ("CHANGE", _) | ("ALTER", "COLUMN") if dialect == Dialect::Mysql => f
                .push(Action::AlterColumnType {
                    table: table.clone(),
                    column: up(i + 1).to_ascii_lowercase(),
                }),
            ("ADD", _) => {
                let j = skip(i + 1, &["COLUMN"]);
                let col = up(j);
                if matches!(
                    col.as_str(),
                    "CONSTRAINT" | "PRIMARY" | "UNIQUE" | "FOREIGN" | "INDEX" | "KEY" | "CHECK"
                ) {
                    f.push(Action::AlterTableOther {
                        table: table.clone(),
                        subcommand: "ADD CONSTRAINT".into(),
                    });
                } else {
                    let rest: Vec<String> = (j..w.len()).map(up).take_while(|s| s != ",").collect();
                    let not_null = rest.windows(2).any(|p| p[0] == "NOT" && p[1] == "NULL");
                    let default = if rest.iter().any(|s| s == "DEFAULT") {
                        DefaultKind::Constant
                    } else {
                        DefaultKind::None
                    };
                    f.push(Action::AddColumn {
                        table: table.clone(),
                        column: col.to_ascii_lowercase(),
                        not_null,
                        default,
                        generated: rest
                            .iter()
                            .any(|s| s == "GENERATED" || s == "AUTO_INCREMENT"),
                        references: None,
                        data_type: String::new(),
                        default_functions: vec![],
                    });
                }
            }
            _ => {}
        }
        // MySQL allows several comma-separated changes.
        match (i..w.len()).find(|&k| w[k].0 == ",") {
            Some(k) if dialect == Dialect::Mysql => i = k + 1,
            _ => break,
        }
    }
    if f.actions.is_empty() {
        f.push(Action::AlterTableOther {
            table,
            subcommand: "ALTER TABLE".into(),
        });
    }
}

fn other(f: &mut Facts, kind: &str) {
    f.kind = kind.into();
    f.push(Action::Other { kind: kind.into() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sqlite_and_mysql() {
        let f = analyze("DROP TABLE IF EXISTS \"Main\".users", Dialect::Sqlite);
        assert!(
            matches!(&f.actions[0], Action::DropTable { table } if table.name == "Main" || table.name == "users")
        );
        let f = analyze(
            "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL",
            Dialect::Sqlite,
        );
        assert!(matches!(
            &f.actions[0],
            Action::AddColumn {
                not_null: true,
                default: DefaultKind::None,
                ..
            }
        ));
        let f = analyze(
            "ALTER TABLE t DROP COLUMN a, MODIFY b BIGINT",
            Dialect::Mysql,
        );
        assert_eq!(f.actions.len(), 2);
        assert!(matches!(
            &analyze("DELETE FROM t", Dialect::Mysql).actions[0],
            Action::Delete {
                has_where: false,
                ..
            }
        ));
        assert!(matches!(
            &analyze("DELETE FROM t WHERE a = 'WHERE'", Dialect::Mysql).actions[0],
            Action::Delete {
                has_where: true,
                ..
            }
        ));
        assert!(matches!(
            &analyze("RENAME TABLE a TO b", Dialect::Mysql).actions[0],
            Action::RenameTable { .. }
        ));
        assert!(matches!(
            &analyze(
                "CREATE TRIGGER tr AFTER INSERT ON a BEGIN DELETE FROM b; END",
                Dialect::Sqlite
            )
            .actions[0],
            Action::CreateObject { .. }
        ));
    }
}
