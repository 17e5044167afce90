//! `identifier-naming` (warn, Low): a new identifier (table, column, index,
//! constraint, view, function, type, or a rename target) that is not snake_case
//! (`^[a-z_][a-z0-9_]*$`), or that is too long for the database: over 63
//! bytes on Postgres (it silently truncates, so two long names can
//! collide), over 64 characters on MySQL and MariaDB (the server rejects
//! the statement, error 1059: a statement the MySQL grammar reads is then a
//! `syntax-error`, which stops `check`; this rule covers the forms it
//! leaves unjudged, such as routines). SQLite has no limit.
//!
//! **Why.** Mixed-case names must be double-quoted forever after; truncated
//! names surprise everyone.
//!
//! **Example.** `CREATE TABLE "UserAccounts" ("firstName" text);`
//!
//! **Instead.** `CREATE TABLE user_accounts (first_name text);`

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "identifier-naming",
    severity: Severity::Warn,
    risk: Some(RiskLevel::Low),
    group: Group::Statement,
    dialects: Dialects::All,
    summary: "an identifier that is not snake_case or too long",
    check: Check::Statement(check),
};

fn bad(name: &str, sql: &str, dialect: Dialect) -> Option<String> {
    if dialect.is_mysql() {
        let chars = name.chars().count();
        if chars > 64 {
            return Some(format!(
                "`{name}` is {chars} characters; {} rejects identifiers longer than 64 (error 1059)",
                if dialect == Dialect::Mariadb { "MariaDB" } else { "MySQL" }
            ));
        }
        return snake(name);
    }
    if dialect == Dialect::Sqlite {
        return snake(name);
    }
    // The Postgres parser truncates identifiers to 63 bytes before we see them:
    // a 63-byte name that continues in the source was longer.
    if name.len() == 63 {
        let truncated = sql.match_indices(name).any(|(i, _)| {
            sql[i + name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        });
        if truncated {
            return Some(format!(
                "`{name}…` is longer than 63 bytes; Postgres truncates it to `{name}`"
            ));
        }
    }
    if name.len() > 63 {
        return Some(format!(
            "`{name}` is {} bytes; Postgres truncates identifiers to 63",
            name.len()
        ));
    }
    snake(name)
}

fn snake(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (!ok).then(|| format!("`{name}` is not snake_case"))
}

pub(crate) fn check(s: &Stmt<'_>, p: &Policy<'_>, out: &mut Vec<Finding>) {
    let mut names: Vec<&str> = Vec::new();
    for a in &s.facts.actions {
        match a {
            Action::CreateTable {
                table,
                columns,
                constraint_names,
                ..
            } => {
                names.push(&table.name);
                names.extend(columns.iter().map(String::as_str));
                names.extend(constraint_names.iter().map(String::as_str));
            }
            Action::AddColumn { column, .. } => names.push(column),
            Action::CreateIndex { index: Some(i), .. } => names.push(i),
            Action::AddConstraint { name: Some(n), .. } => names.push(n),
            Action::CreateObject { object, kind, .. } if kind != "EXTENSION" => {
                names.push(&object.name)
            }
            Action::RenameTable { new_name, .. } | Action::RenameColumn { new_name, .. } => {
                names.push(new_name)
            }
            _ => {}
        }
    }
    for n in names.into_iter().filter(|n| !n.is_empty()) {
        if let Some(why) = bad(n, s.sql, p.dialect) {
            out.push(s.finding(
                crate::RuleId::IdentifierNaming,
                why,
                if p.dialect.is_mysql() {
                    "use lower-case snake_case names of at most 64 characters"
                } else {
                    "use lower-case snake_case names of at most 63 bytes"
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires_on_new_names_only() {
        lint_err(
            "identifier-naming",
            "CREATE TABLE \"UserAccounts\" (id int);",
        );
        lint_err(
            "identifier-naming",
            "ALTER TABLE users ADD COLUMN \"firstName\" text;",
        );
        let long = "a".repeat(64);
        lint_err(
            "identifier-naming",
            &format!("CREATE INDEX {long} ON t (a);"),
        );
        lint_ok(
            "identifier-naming",
            "CREATE TABLE user_accounts (first_name text);\nSELECT * FROM \"Legacy\";",
        );
    }

    #[test]
    fn mysql_limit_is_64_characters() {
        // 64 is MySQL's limit; 63 is Postgres's.
        let at_limit = "a".repeat(64);
        mysql_ok(
            "identifier-naming",
            &format!("CREATE TABLE t (id INT, {at_limit} INT);"),
        );
        let over = "b".repeat(65);
        let d = mysql_err(
            "syntax-error",
            &format!("ALTER TABLE t ADD INDEX {over} (id);"),
        );
        assert!(d.message.contains("65 characters"), "{}", d.message);
        assert!(d.message.contains("1059"), "{}", d.message);
        let d = mysql_err(
            "identifier-naming",
            &format!("CREATE PROCEDURE {over}() BEGIN SELECT 1; END;"),
        );
        assert!(d.message.contains("65 characters"), "{}", d.message);
        // Postgres: constraint names inside CREATE TABLE are checked too.
        lint_err(
            "identifier-naming",
            &format!("CREATE TABLE t (id int, CONSTRAINT {} UNIQUE (id));", "k".repeat(64)),
        );
    }
}
