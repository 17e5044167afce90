//! The rollback guide `plan` prints for each pending migration: its down
//! section when it has one; otherwise an inverse generated from the up
//! section's additive statements (CREATE TABLE → DROP TABLE IF EXISTS, ADD
//! COLUMN → DROP COLUMN IF EXISTS, CREATE INDEX → DROP INDEX CONCURRENTLY IF
//! EXISTS, ...), in reverse order; and, for every data change and drop, an
//! explicit "irreversible: restore from backup" line, with the migration's
//! ROLLBACK_STRATEGY.

use sluice_core::config::Dialect;
use sluice_core::Migration;
use sluice_lint::analysis::Analysis;
use sluice_sql::facts::{Action, ObjectName};

pub use sluice_report::plan::{Irreversible, Rollback, RollbackKind};

use sluice_schema::ddl::ident;

fn name(o: &ObjectName) -> String {
    match &o.schema {
        Some(s) => format!("{}.{}", ident(s), ident(&o.name)),
        None => ident(&o.name),
    }
}

/// The index's name qualified with its table's schema (an index lives in its
/// table's schema).
fn index_name(index: &str, table: &ObjectName) -> String {
    match &table.schema {
        Some(s) => format!("{}.{}", ident(s), ident(index)),
        None => ident(index),
    }
}

enum Inverse {
    Sql(String),
    /// Nothing to undo (SET, SELECT, VALIDATE CONSTRAINT).
    Nothing,
    /// Cannot be undone from the migration alone.
    No(String),
}

/// A MySQL identifier, backquoted unless plain lower-case snake_case.
fn my_ident(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("`{}`", s.replace('`', "``"))
    }
}

fn my_name(o: &ObjectName) -> String {
    match &o.schema {
        Some(s) => format!("{}.{}", my_ident(s), my_ident(&o.name)),
        None => my_ident(&o.name),
    }
}

/// MySQL/MariaDB inverses: backquoted names, `DROP INDEX ... ON`, no
/// `IF EXISTS` on columns (MySQL lacks it), no `CONCURRENTLY`.
fn inverse_mysql(a: &Action, dialect: Dialect) -> Option<Inverse> {
    use Inverse::*;
    let if_exists = if dialect == Dialect::Mariadb {
        "IF EXISTS "
    } else {
        ""
    };
    Some(match a {
        Action::CreateTable { table, .. } => {
            Sql(format!("DROP TABLE IF EXISTS {};", my_name(table)))
        }
        Action::AddColumn { table, column, .. } => Sql(format!(
            "ALTER TABLE {} DROP COLUMN {if_exists}{};",
            my_name(table),
            my_ident(column)
        )),
        Action::CreateIndex {
            index: Some(i),
            table,
            ..
        } => Sql(format!(
            "DROP INDEX {if_exists}{} ON {};",
            my_ident(i),
            my_name(table)
        )),
        Action::AddConstraint {
            table,
            name: Some(n),
            kind,
            ..
        } => Sql(format!(
            "ALTER TABLE {} DROP {} {};",
            my_name(table),
            match kind {
                sluice_sql::facts::ConstraintKind::ForeignKey => "FOREIGN KEY",
                sluice_sql::facts::ConstraintKind::Unique => "INDEX",
                _ => "CONSTRAINT",
            },
            my_ident(n)
        )),
        Action::RenameTable { table, new_name } => Sql(format!(
            "RENAME TABLE {} TO {};",
            my_name(&ObjectName {
                schema: table.schema.clone(),
                name: new_name.clone(),
            }),
            my_name(table)
        )),
        Action::RenameColumn {
            table,
            column,
            new_name,
        } => Sql(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            my_name(table),
            my_ident(new_name),
            my_ident(column)
        )),
        Action::CreateObject { kind, object, .. }
            if matches!(
                kind.as_str(),
                "TRIGGER" | "VIEW" | "PROCEDURE" | "FUNCTION" | "EVENT"
            ) =>
        {
            Sql(format!("DROP {kind} IF EXISTS {};", my_name(object)))
        }
        _ => return None,
    })
}

fn inverse(a: &Action, dialect: Dialect) -> Inverse {
    use Inverse::*;
    if dialect.is_mysql() {
        if let Some(i) = inverse_mysql(a, dialect) {
            return i;
        }
    }
    let pg = dialect == Dialect::Postgres;
    match a {
        Action::CreateTable { table, .. } => Sql(format!("DROP TABLE IF EXISTS {};", name(table))),
        Action::AddColumn { table, column, .. } => Sql(format!(
            "ALTER TABLE {} DROP COLUMN IF EXISTS {};",
            name(table),
            ident(column)
        )),
        Action::CreateIndex { index: Some(i), table, .. } => Sql(if pg {
            format!("DROP INDEX CONCURRENTLY IF EXISTS {};", index_name(i, table))
        } else {
            format!("DROP INDEX IF EXISTS {};", ident(i))
        }),
        Action::CreateIndex { index: None, table, .. } => No(format!(
            "an unnamed index on {}: name it in the migration so it can be dropped by name (Postgres chose its name)",
            name(table)
        )),
        Action::AddConstraint { table, name: Some(n), .. } => Sql(format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {};",
            name(table),
            ident(n)
        )),
        Action::AddConstraint { table, name: None, .. } => No(format!(
            "an unnamed constraint on {}: name it in the migration so it can be dropped by name",
            name(table)
        )),
        Action::SetNotNull { table, column } => Sql(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
            name(table),
            ident(column)
        )),
        Action::RenameTable { table, new_name } => {
            let renamed = ObjectName {
                schema: table.schema.clone(),
                name: new_name.clone(),
            };
            Sql(format!(
                "ALTER TABLE {} RENAME TO {};",
                name(&renamed),
                ident(&table.name)
            ))
        }
        Action::RenameColumn { table, column, new_name } => Sql(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            name(table),
            ident(new_name),
            ident(column)
        )),
        Action::RowSecurity { table, change } => match change.as_str() {
            "enable" => Sql(format!("ALTER TABLE {} DISABLE ROW LEVEL SECURITY;", name(table))),
            "force" => Sql(format!("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY;", name(table))),
            "disable" => Sql(format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", name(table))),
            _ => Sql(format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY;", name(table))),
        },
        Action::CreatePolicy { policy, table } => Sql(format!(
            "DROP POLICY IF EXISTS {} ON {};",
            ident(policy),
            name(table)
        )),
        Action::CreateObject {
            kind, object, table, ..
        } => match (kind.as_str(), table) {
            ("TRIGGER", Some(t)) => Sql(format!(
                "DROP TRIGGER IF EXISTS {} ON {};",
                ident(&object.name),
                name(t)
            )),
            ("TRIGGER", None) => Sql(format!("DROP TRIGGER IF EXISTS {};", ident(&object.name))),
            (
                k @ ("TYPE" | "DOMAIN" | "VIEW" | "MATERIALIZED VIEW" | "SEQUENCE" | "SCHEMA"
                | "EXTENSION" | "FUNCTION" | "PROCEDURE"),
                _,
            ) => Sql(format!("DROP {k} IF EXISTS {};", name(object))),
            (k, _) => No(format!("no generated inverse for CREATE {k}: write a down section")),
        },
        other => irreversible(other),
    }
}

/// The inverse of what only a backup or the previous definition can undo
/// (drops, data changes), and of what needs no undoing.
fn irreversible(a: &Action) -> Inverse {
    use Inverse::*;
    let restore = |what: &str| No(format!("irreversible: {what}; restore from backup"));
    match a {
        Action::Insert { table } => restore(&format!("inserts rows into {}", name(table))),
        Action::Update { table, .. } => restore(&format!("updates rows of {}", name(table))),
        Action::Delete { table, .. } => restore(&format!("deletes rows from {}", name(table))),
        Action::Truncate { table } => restore(&format!("truncates {}", name(table))),
        Action::DropTable { table } => restore(&format!("drops table {} and its data", name(table))),
        Action::DropColumn { table, column } => restore(&format!(
            "drops column {}.{} and its data",
            name(table),
            ident(column)
        )),
        Action::DropSchema { schema } => restore(&format!("drops schema {}", ident(schema))),
        Action::DropDatabase { database } => restore(&format!("drops database {}", ident(database))),
        Action::DropObject { kind, object } => restore(&format!("drops {} {}", kind.to_lowercase(), name(object))),
        Action::DropIndex { index, .. } => No(format!(
            "drops index {}: recreate it from its definition (pg_get_indexdef) before the migration",
            name(index)
        )),
        Action::DropConstraint { table, name: c } => No(format!(
            "drops constraint {} on {}: re-add it from its definition (pg_get_constraintdef) before the migration",
            ident(c),
            name(table)
        )),
        Action::DropPolicy { policy, table } => No(format!(
            "drops policy {} on {}: recreate it from its definition",
            ident(policy),
            name(table)
        )),
        Action::AlterColumnType { table, column } => restore(&format!(
            "changes the type of {}.{} (the old type and any lost precision are not recorded)",
            name(table),
            ident(column)
        )),
        Action::ValidateConstraint { .. }
        | Action::Set { .. }
        | Action::Transaction { .. }
        | Action::Vacuum { .. }
        | Action::Reindex { .. }
        | Action::Cluster { .. } => Nothing,
        Action::Metadata { kind } => No(format!("no generated inverse for {kind}: undo it by hand if needed")),
        Action::AlterPolicy { policy, table } => No(format!(
            "alters policy {} on {}: restore its previous definition by hand",
            ident(policy),
            name(table)
        )),
        Action::SetTablespace { relation } => No(format!("moves {} to another tablespace: move it back by hand", name(relation))),
        Action::AlterTableOther { table, subcommand } => {
            No(format!("ALTER TABLE {} ({subcommand}): no generated inverse", name(table)))
        }
        Action::Other { kind } if kind == "SELECT" => Nothing,
        Action::Other { kind } => No(format!("no generated inverse for {kind}: write a down section")),
        _ => No("no generated inverse for this statement: write a down section".into()),
    }
}

/// The rollback guide of one migration.
pub fn guide(m: &Migration, analysis: &Analysis, dialect: Dialect) -> Rollback {
    let strategy = m.header.value("ROLLBACK_STRATEGY").map(str::to_string);
    let forward_only = m
        .header
        .value("FORWARD_ONLY")
        .is_some_and(|v| v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true"));
    let base = Rollback {
        version: m.version.to_string(),
        name: m.name.clone(),
        kind: RollbackKind::DownSection,
        sql: None,
        irreversible: vec![],
        strategy,
        forward_only,
    };
    if let Some(sql) = m.down_sql() {
        return Rollback {
            sql: Some(sql.trim().to_string()),
            ..base
        };
    }
    let mut lines = Vec::new();
    let mut irreversible = Vec::new();
    for s in analysis.statements.iter().filter(|s| !s.down).rev() {
        let Ok(facts) = &s.facts else {
            irreversible.push(Irreversible {
                line: s.stmt.line,
                statement: first_line(s.stmt.text(m.text())),
                reason: "could not be analysed: write a down section".into(),
            });
            continue;
        };
        for a in facts.actions.iter().rev() {
            match inverse(a, dialect) {
                Inverse::Sql(sql) => lines.push(format!("{sql}  -- undoes line {}", s.stmt.line)),
                Inverse::Nothing => {}
                Inverse::No(reason) => irreversible.push(Irreversible {
                    line: s.stmt.line,
                    statement: first_line(s.stmt.text(m.text())),
                    reason,
                }),
            }
        }
    }
    let kind = match (lines.is_empty(), irreversible.is_empty()) {
        (false, true) => RollbackKind::Generated,
        (false, false) => RollbackKind::Partial,
        (true, _) => RollbackKind::Irreversible,
    };
    Rollback {
        kind,
        sql: (!lines.is_empty()).then(|| lines.join("\n")),
        irreversible,
        ..base
    }
}

/// The first line of a statement, shortened for a report.
pub fn first_line(sql: &str) -> String {
    let line = sql.trim().lines().next().unwrap_or("").trim();
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(99).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(text: &str) -> (Migration, Analysis) {
        let m = Migration::parse_native(
            sluice_core::Version::parse("20240101000000").unwrap(),
            "x".into(),
            "20240101000000_x.sql".into(),
            "20240101000000_x.sql".into(),
            "migrations/20240101000000_x.sql".into(),
            text.as_bytes(),
        )
        .unwrap();
        let a = sluice_lint::analysis::analyze(&m, Dialect::Postgres);
        (m, a)
    }

    #[test]
    fn additive_statements_get_an_inverse_in_reverse_order() {
        let (m, a) = migration(
            "CREATE TABLE app.orders (id bigint PRIMARY KEY);\nALTER TABLE users ADD COLUMN \"Nick\" text;\nCREATE INDEX CONCURRENTLY orders_id ON app.orders (id);\nALTER TABLE users ADD CONSTRAINT users_nick CHECK (length(\"Nick\") < 40);\nCREATE TYPE mood AS ENUM ('ok');\n",
        );
        let g = guide(&m, &a, Dialect::Postgres);
        assert_eq!(g.kind, RollbackKind::Generated);
        let sql = g.sql.unwrap();
        let order: Vec<&str> = sql
            .lines()
            .map(|l| l.split("  --").next().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "DROP TYPE IF EXISTS mood;",
                "ALTER TABLE users DROP CONSTRAINT IF EXISTS users_nick;",
                "DROP INDEX CONCURRENTLY IF EXISTS app.orders_id;",
                "ALTER TABLE users DROP COLUMN IF EXISTS \"Nick\";",
                "DROP TABLE IF EXISTS app.orders;",
            ]
        );
    }

    #[test]
    fn data_changes_and_drops_are_irreversible() {
        let (m, a) = migration(
            "-- ROLLBACK_STRATEGY: restore the users table from the nightly snapshot\nALTER TABLE users ADD COLUMN x int;\nUPDATE users SET x = 1;\nDROP TABLE old_users;\n",
        );
        let g = guide(&m, &a, Dialect::Postgres);
        assert_eq!(g.kind, RollbackKind::Partial);
        assert_eq!(g.irreversible.len(), 2);
        assert!(g
            .irreversible
            .iter()
            .all(|i| i.reason.contains("restore from backup")));
        assert_eq!(g.irreversible[0].line, 4, "reverse order: the drop first");
        assert!(g.strategy.unwrap().contains("nightly snapshot"));
    }

    #[test]
    fn a_down_section_is_the_guide() {
        let (m, a) = migration("CREATE TABLE t (id int);\n-- sluice:down\nDROP TABLE t;\n");
        let g = guide(&m, &a, Dialect::Postgres);
        assert_eq!(g.kind, RollbackKind::DownSection);
        assert_eq!(g.sql.as_deref(), Some("DROP TABLE t;"));
    }
}
