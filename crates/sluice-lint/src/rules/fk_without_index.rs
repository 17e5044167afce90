//! `fk-without-index` (warn, Low): a foreign key whose referencing columns
//! are not the leading columns of any index, primary key or unique
//! constraint of its table.
//!
//! The rule judges the history, not one file: an index counts when an
//! earlier migration created it, when this migration does, or when a later
//! migration adds it (so a team that adds the index in the next migration
//! is not told to add it twice). A foreign key added to an older table is
//! checked when the history model knows that table; when the history does
//! not reach it (a baseline, a migration another program runs), it is not.
//!
//! Not on MySQL or MariaDB: InnoDB creates an index on a foreign key's
//! columns itself when none leads with them (and refuses to drop an index a
//! foreign key needs), so the missing index this rule looks for cannot
//! exist there. What does cost on MySQL is adding the foreign key to an
//! existing table, which copies it: see `mysql-table-copy`.
//!
//! **Why.** Deleting or updating a referenced row scans the referencing table
//! for every row, and joins on the key are slow.
//!
//! **Example.** `CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));`
//!
//! **Instead.** Add `CREATE INDEX posts_user_id_idx ON posts (user_id);` in the
//! same migration (or the next).

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "fk-without-index",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::NotMysql,
    summary: "a foreign key without an index",
    check: Check::Migration(check),
};

pub(crate) fn check(v: &MigrationView<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    let mut indexed: Vec<(ObjectName, Vec<String>)> = Vec::new();
    let mut fks: Vec<(usize, ObjectName, Vec<String>, ObjectName)> = Vec::new();
    let mut created = crate::analysis::Names::default();
    for (i, _, f) in v.up() {
        for a in &f.actions {
            match a {
                Action::CreateTable {
                    table,
                    foreign_keys,
                    indexed: ix,
                    ..
                } => {
                    created.insert(table);
                    indexed.extend(ix.iter().map(|c| (table.clone(), c.clone())));
                    fks.extend(
                        foreign_keys
                            .iter()
                            .map(|k| (i, table.clone(), k.columns.clone(), k.references.clone())),
                    );
                }
                Action::CreateIndex { table, columns, .. } => {
                    indexed.push((table.clone(), columns.clone()))
                }
                Action::AddConstraint {
                    table,
                    kind,
                    columns,
                    references,
                    ..
                } => match (kind, references) {
                    (ConstraintKind::ForeignKey, Some(r))
                        if created.has(table) || v.model.table(table).is_some_and(|t| t.created) =>
                    {
                        fks.push((i, table.clone(), columns.clone(), r.clone()))
                    }
                    (ConstraintKind::PrimaryKey | ConstraintKind::Unique, _) => {
                        indexed.push((table.clone(), columns.clone()))
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    for (i, table, cols, to) in fks {
        if cols.is_empty() {
            continue;
        }
        // An index of this migration, or of the history before it (the
        // model is the schema after this migration's up section).
        let covered = v.model.covers(&table, &cols)
            || indexed.iter().any(|(t, ix)| {
                t.same_as(&table) && ix.len() >= cols.len() && ix[..cols.len()] == cols[..]
            });
        if !covered {
            let message = format!(
                "foreign key {table} ({}) → {to} has no index on its columns",
                cols.join(", ")
            );
            v.unindexed
                .borrow_mut()
                .push(crate::history::UnindexedForeignKey {
                    table: table.clone(),
                    columns: cols.clone(),
                    line: v.analysis.statements[i].stmt.line,
                    message: message.clone(),
                });
            out.push(v.at(
                i,
                crate::RuleId::FkWithoutIndex,
                message,
                format!(
                    "add `CREATE INDEX ON {table} ({});` to this migration",
                    cols.join(", ")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_without_an_index() {
        lint_err(
            "fk-without-index",
            "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));",
        );
        lint_ok("fk-without-index", "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE INDEX posts_user_id_idx ON posts (user_id, id);");
        lint_ok(
            "fk-without-index",
            "CREATE TABLE m (a int REFERENCES x (id), b int, PRIMARY KEY (a, b));",
        );
    }
}
