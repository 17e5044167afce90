//! Alembic revisions analysed: each `op.*` call in `upgrade()` / `downgrade()`
//! becomes a statement whose facts come from the equivalent SQL, run through the
//! same grammar as SQL migrations (so locks, risk and every rule apply
//! unchanged). `op.execute("…")` with a literal is analysed as the SQL it runs.
//! `# CI:DESTRUCTIVE_OK` and `# sluice:allow` comments work as in SQL files.
//!
//! | call | equivalent |
//! |---|---|
//! | `create_table(t, sa.Column(c, …), …)` | `CREATE TABLE t (c …)` |
//! | `drop_table(t)` | `DROP TABLE t` |
//! | `add_column(t, sa.Column(c, nullable=False, server_default=…))` | `ALTER TABLE t ADD COLUMN c … NOT NULL DEFAULT …` |
//! | `drop_column(t, c)` | `ALTER TABLE t DROP COLUMN c` |
//! | `alter_column(t, c, type_=…, nullable=False, new_column_name=…)` | `ALTER COLUMN c TYPE …` / `SET NOT NULL` / `RENAME COLUMN` |
//! | `create_index(i, t, […], unique=, postgresql_concurrently=)` | `CREATE [UNIQUE] INDEX [CONCURRENTLY] i ON t (…)` |
//! | `drop_index(i, postgresql_concurrently=)` | `DROP INDEX [CONCURRENTLY] i` |
//! | `create_foreign_key / create_unique_constraint / create_primary_key / create_check_constraint` | `ALTER TABLE … ADD CONSTRAINT …` |
//! | `drop_constraint(n, t)` | `ALTER TABLE t DROP CONSTRAINT n` |
//! | `rename_table(a, b)` | `ALTER TABLE a RENAME TO b` |
//! | `execute("SQL")`, `execute(sa.text("SQL"))` | the SQL |
//! | `bulk_insert(t, …)` | `INSERT INTO t …` |
//!
//! Inside `with op.batch_alter_table("t") as batch_op:` the table argument is
//! implied. Calls sluice does not know are `Other` (no rule fires on them).

mod calls;
mod sql;

use calls::*;
use sql::*;

use crate::analysis::{Analysis, AnalyzedStatement};
use sluice_core::config::Dialect;
use sluice_core::Migration;
use sluice_sql::facts::Facts;
use sluice_sql::{Comment, Statement};

const DIALECT_NAMES: &[(&str, &[&str])] = &[
    ("postgres", &["postgresql", "postgres"]),
    ("mysql", &["mysql", "mariadb"]),
    ("sqlite", &["sqlite"]),
    ("mssql", &["mssql"]),
];

/// Whether the call at `offset` sits in an `if`/`elif`/`else` branch that is
/// guarded for another database dialect than `dialect` (Alembic revisions often
/// branch on `dialect_name == "mysql"`). Such calls never run here.
fn other_dialect_branch(text: &str, offset: usize, dialect: Dialect) -> bool {
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut want = indent(&text[line_start..offset]);
    let ours: &[&str] = DIALECT_NAMES
        .iter()
        .find(|(d, _)| *d == dialect.as_str())
        .map(|(_, n)| *n)
        .unwrap_or(&[]);
    let mentions = |cond: &str, names: &[&str]| {
        names
            .iter()
            .any(|n| cond.contains(&format!("\"{n}\"")) || cond.contains(&format!("'{n}'")))
    };
    let others: Vec<&str> = DIALECT_NAMES
        .iter()
        .filter(|(d, _)| *d != dialect.as_str())
        .flat_map(|(_, n)| n.iter().copied())
        .collect();
    let mut seen_else = false;
    for l in text[..line_start].lines().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent(l) >= want {
            continue;
        }
        want = indent(l);
        if t.starts_with("else:") {
            // Its `if` is at the same indentation, above it.
            seen_else = true;
            want += 1;
            continue;
        }
        if t.starts_with("if ") || t.starts_with("elif ") {
            let cond = t.split(" not in ").next().unwrap_or(t);
            let negated = t.contains("!=") || t.contains(" not in ");
            let (ours_hit, others_hit) = (mentions(cond, ours), mentions(cond, &others));
            let about_ours = if seen_else {
                !ours_hit && others_hit
            } else {
                ours_hit
            };
            let about_others = if seen_else {
                ours_hit
            } else {
                others_hit && !ours_hit
            };
            if (about_others && !negated) || (about_ours && negated) {
                return true;
            }
            if t.starts_with("if ") {
                seen_else = false;
            } else {
                // An `elif`: keep looking at its chain's `if`.
                want += 1;
            }
        }
        if t.starts_with("def ") {
            return false;
        }
    }
    false
}

/// Whether the call at `offset` sits inside
/// `with op.get_context().autocommit_block():`, where Alembic runs it outside
/// the migration's transaction (so `CREATE INDEX CONCURRENTLY` is allowed).
fn in_autocommit_block(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut want = indent(&text[line_start..offset]);
    for l in text[..line_start].lines().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent(l) >= want {
            continue;
        }
        want = indent(l);
        if t.starts_with("with ") && t.contains("autocommit_block()") {
            return true;
        }
        if t.starts_with("def ") {
            return false;
        }
    }
    false
}

fn line_at(text: &str, offset: usize) -> (usize, usize) {
    sluice_sql::line_col(text, offset)
}

/// Analyses an Alembic revision's `upgrade()` and `downgrade()` bodies.
pub fn analyze(m: &Migration, dialect: Dialect) -> Analysis {
    let mut a = Analysis::default();
    let sections = std::iter::once((&m.up, false)).chain(m.down.as_ref().map(|d| (d, true)));
    for (section, down) in sections {
        let range = section.range.clone();
        // `with op.batch_alter_table("t") as NAME:` blocks, by receiver name.
        let mut batches: Vec<(String, String, usize)> = Vec::new();
        for c in calls(m.text(), range.clone()) {
            if c.name == "batch_alter_table" {
                if let Some(t) = c.pos_str(0) {
                    let rest = &m.text()[c.end..];
                    let alias = rest
                        .split_once(" as ")
                        .map(|(_, r)| r.split(':').next().unwrap_or("").trim().to_string())
                        .unwrap_or_default();
                    batches.push((alias, t.to_string(), c.end));
                }
                continue;
            }
            let batch = batches
                .iter()
                .rev()
                .find(|(alias, _, at)| *alias == c.receiver && *at < c.start)
                .map(|(_, t, _)| t.as_str());
            if c.receiver != "op" && batch.is_none() {
                continue;
            }
            let (line, column) = line_at(m.text(), c.start);
            let (end_line, _) = line_at(m.text(), c.end);
            let stmt = Statement {
                range: c.start..c.end,
                line,
                column,
                end_line,
                meta_command: false,
            };
            let guarded = other_dialect_branch(m.text(), c.start, dialect);
            let facts = match equivalent_sql(&c, batch).filter(|_| !guarded) {
                Some(sqls) => {
                    let mut merged = Facts::default();
                    let mut err = None;
                    for sql in sqls {
                        let parts = sluice_sql::split(&sql, dialect).unwrap_or_default();
                        for p in parts {
                            let one = p.text(&sql);
                            let f = match dialect {
                                Dialect::Postgres => {
                                    sluice_sql::pg::analyze(one).map_err(|e| e.message)
                                }
                                _ => Ok(sluice_sql::generic::analyze(one, dialect)),
                            };
                            match f {
                                Ok(f) => {
                                    if merged.kind.is_empty() {
                                        merged.kind = f.kind.clone();
                                    }
                                    for (rel, mode) in &f.locks {
                                        merged.lock(rel, *mode);
                                    }
                                    merged.no_transaction |= f.no_transaction;
                                    merged.actions.extend(f.actions);
                                }
                                Err(e) => err = Some(format!("in op.{}: {e}", c.name)),
                            }
                        }
                    }
                    match err {
                        Some(e) if c.name == "execute" => Err(e),
                        _ => Ok(merged),
                    }
                }
                None => Ok(Facts {
                    kind: format!("op.{}", c.name),
                    actions: vec![sluice_sql::facts::Action::Other {
                        kind: format!("op.{}", c.name),
                    }],
                    ..Default::default()
                }),
            };
            a.statements.push(AnalyzedStatement {
                no_transaction: in_autocommit_block(m.text(), stmt.range.start),
                stmt,
                down,
                facts,
            });
        }
        // Comments: `# …` to the end of the line (not inside strings; good
        // enough for the bypass and suppression markers sluice looks for).
        let body = &m.text()[range.clone()];
        let mut offset = range.start;
        for l in body.split_inclusive('\n') {
            if let Some(hash) = l
                .find("# CI:DESTRUCTIVE_OK")
                .or_else(|| l.find("# sluice:allow"))
            {
                let (line, _) = line_at(m.text(), offset);
                let code_before = !l[..hash].trim().is_empty();
                a.comments.push(Comment {
                    range: offset + hash + 1..offset + l.trim_end().len(),
                    line,
                    trailing: code_before,
                });
            }
            offset += l.len();
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{lint_migration, Policy};
    use sluice_core::config::PolicySection;

    fn lint(body: &str) -> Vec<crate::Diagnostic> {
        let text = format!("\"\"\"x\n\nMIGRATION_ID: b2\nTITLE: t\nCHANGE_TYPE: Table\nRISK_LEVEL: High\nFORWARD_ONLY: No\nROLLBACK_STRATEGY: x\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = \"b2\"\ndown_revision = \"a1\"\n\n\ndef upgrade():\n{body}\n\ndef downgrade():\n    pass\n");
        let (m, _) =
            sluice_core::alembic::parse_revision("b2.py".into(), "b2.py".into(), text.as_bytes())
                .unwrap();
        let section = PolicySection::default();
        let p = Policy {
            dialect: Dialect::Postgres,
            policy: &section,
            bypass: regex::Regex::new(&section.bypass_reference).unwrap(),
            lock_timeout_everywhere: true,
            statement_timeout_everywhere: true,
            risk_overrides: Default::default(),
            domains: Default::default(),
        };
        let a = analyze(&m, Dialect::Postgres);
        lint_migration(&m, &a, &p).diagnostics
    }

    fn rules(body: &str) -> Vec<&'static str> {
        lint(body).iter().map(|d| d.rule).collect()
    }

    /// Inside `autocommit_block()` Alembic runs the call outside the
    /// transaction: CONCURRENTLY there is not `concurrently-in-transaction`;
    /// outside it, it is.
    #[test]
    fn autocommit_block_runs_outside_the_transaction() {
        let inside = rules("    with op.get_context().autocommit_block():\n        op.create_index(\"ix_a\", \"users\", [\"a\"], postgresql_concurrently=True)");
        assert!(
            !inside.contains(&"concurrently-in-transaction"),
            "{inside:?}"
        );
        let outside = rules(
            "    op.create_index(\"ix_a\", \"users\", [\"a\"], postgresql_concurrently=True)",
        );
        assert!(
            outside.contains(&"concurrently-in-transaction"),
            "{outside:?}"
        );
    }

    #[test]
    fn op_calls_map_to_rules() {
        assert!(rules("    op.drop_table(\"legacy\")").contains(&"drop-table"));
        assert!(
            !rules("    op.drop_table(\"legacy\")  # CI:DESTRUCTIVE_OK ADR-7 retired")
                .contains(&"drop-table")
        );
        assert!(rules("    op.drop_column(\"users\", \"legacy\")").contains(&"drop-column"));
        assert!(rules(
            "    op.add_column(\"users\", sa.Column(\"tenant\", sa.Integer(), nullable=False))"
        )
        .contains(&"not-null-without-default"));
        assert!(!rules("    op.add_column(\"users\", sa.Column(\"tenant\", sa.Integer(), nullable=False, server_default=\"0\"))").contains(&"not-null-without-default"));
        assert!(rules("    op.create_index(\"ix_a\", \"users\", [\"a\"])")
            .contains(&"index-not-concurrent"));
        assert!(!rules("    with op.get_context().autocommit_block():\n        op.create_index(\"ix_a\", \"users\", [\"a\"], postgresql_concurrently=True)").contains(&"index-not-concurrent"));
        assert!(
            rules("    op.alter_column(\"users\", \"a\", type_=sa.BigInteger())")
                .contains(&"column-type-change")
        );
        assert!(
            rules("    op.alter_column(\"users\", \"a\", new_column_name=\"b\")")
                .contains(&"rename-column")
        );
        assert!(rules("    op.execute(\"DELETE FROM users\")").contains(&"delete-without-where"));
        assert!(rules("    op.execute(sa.text(\"UPDATE users SET a = 1\"))")
            .contains(&"delete-without-where"));
        assert!(rules("    with op.batch_alter_table(\"users\") as batch_op:\n        batch_op.drop_column(\"legacy\")").contains(&"drop-column"));
        assert!(rules(
            "    op.create_foreign_key(\"fk\", \"posts\", \"users\", [\"user_id\"], [\"id\"])"
        )
        .contains(&"constraint-not-valid"));
    }

    #[test]
    fn calls_guarded_for_another_dialect_are_not_judged() {
        let body = "    if conn.dialect.name == \"mysql\":\n        op.execute(\"ALTER TABLE t MODIFY a INT AUTO_INCREMENT\")\n    elif dialect_name == \"sqlite\":\n        op.execute(\"PRAGMA foreign_keys=off\")\n    else:\n        op.execute(\"DELETE FROM users\")\n    op.execute(f\"UPDATE {table} SET a = 1\")";
        let r = rules(body);
        assert!(!r.contains(&"syntax-error"), "{r:?}");
        assert!(
            r.contains(&"delete-without-where"),
            "the else branch runs on Postgres: {r:?}"
        );
        let r = rules("    if dialect_name == \"postgresql\":\n        op.execute(\"DELETE FROM users\")\n    else:\n        op.execute(\"ALTER TABLE t MODIFY a INT AUTO_INCREMENT\")");
        assert!(
            r.contains(&"delete-without-where") && !r.contains(&"syntax-error"),
            "{r:?}"
        );
    }

    #[test]
    fn locations_point_at_the_call() {
        let d = lint("    x = 1\n    op.drop_table(\n        \"legacy\",\n    )");
        let f = d.iter().find(|d| d.rule == "drop-table").unwrap();
        assert_eq!((f.line, f.column), (19, 5));
    }
}
