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

use crate::analysis::{Analysis, AnalyzedStatement};
use sluice_core::config::Dialect;
use sluice_core::Migration;
use sluice_sql::facts::Facts;
use sluice_sql::{Comment, Statement};

/// One argument: a string literal's value, or the raw expression.
#[derive(Debug, Clone)]
enum Arg {
    Str(String),
    Raw(String),
}

impl Arg {
    fn text(&self) -> &str {
        match self {
            Arg::Str(s) | Arg::Raw(s) => s,
        }
    }
}

struct Call {
    name: String,
    receiver: String,
    start: usize,
    end: usize,
    positional: Vec<Arg>,
    keywords: Vec<(String, Arg)>,
}

impl Call {
    fn kw(&self, k: &str) -> Option<&Arg> {
        self.keywords.iter().find(|(n, _)| n == k).map(|(_, a)| a)
    }

    fn kw_true(&self, k: &str) -> bool {
        self.kw(k).is_some_and(|a| a.text().trim() == "True")
    }

    fn pos_str(&self, i: usize) -> Option<&str> {
        match self.positional.get(i) {
            Some(Arg::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Reads a Python string literal at `i` (prefixes r/b/u/f, single or triple
/// quotes); returns its value and the index after it.
fn string_at(b: &[u8], s: &str, mut i: usize) -> Option<(String, usize)> {
    let start = i;
    while i < b.len()
        && matches!(b[i], b'r' | b'R' | b'b' | b'B' | b'u' | b'U' | b'f' | b'F')
        && i - start < 2
    {
        i += 1;
    }
    let q = *b.get(i)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let triple = b.len() >= i + 3 && b[i + 1] == q && b[i + 2] == q;
    let open = if triple { 3 } else { 1 };
    let body = i + open;
    let mut j = body;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q && (!triple || (j + 2 < b.len() && b[j + 1] == q && b[j + 2] == q)) {
            return Some((s[body..j].to_string(), j + open));
        }
        if !triple && b[j] == b'\n' {
            return None;
        }
        j += 1;
    }
    None
}

/// Splits a call's argument text at top-level commas; also returns the end
/// (index after the closing parenthesis).
fn parse_args(s: &str, open: usize) -> Option<(Vec<String>, usize)> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    let mut args = Vec::new();
    let mut cur = open + 1;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    let last = s[cur..i].trim();
                    if !last.is_empty() {
                        args.push(last.to_string());
                    }
                    return Some((args, i + 1));
                }
            }
            b',' if depth == 1 => {
                args.push(s[cur..i].trim().to_string());
                cur = i + 1;
            }
            b'"' | b'\'' => {
                let (_, end) = string_at(b, s, i)?;
                i = end;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// An f-string with placeholders is only known at run time.
fn is_fstring(token: &str) -> bool {
    let prefix: String = token
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    prefix.to_ascii_lowercase().contains('f') && token.contains('{')
}

fn to_arg(raw: &str) -> Arg {
    let t = raw.trim();
    let inner_of_text = ["sa.text(", "text(", "sqlalchemy.text("]
        .iter()
        .find_map(|p| t.strip_prefix(p).and_then(|r| r.strip_suffix(')')))
        .map(str::trim);
    if is_fstring(t) || inner_of_text.is_some_and(is_fstring) {
        return Arg::Raw(t.to_string());
    }
    let b = t.as_bytes();
    // sa.text("…") / text("…") unwrap to their string.
    for prefix in ["sa.text(", "text(", "sqlalchemy.text("] {
        if let Some(inner) = t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            if let Some((v, end)) = string_at(inner.as_bytes(), inner, 0) {
                if end == inner.trim_end().len() {
                    return Arg::Str(v);
                }
            }
        }
    }
    match string_at(b, t, 0) {
        Some((v, end)) if end == t.len() => Arg::Str(v),
        _ => Arg::Raw(t.to_string()),
    }
}

/// Every `op.NAME(` / `batch_op.NAME(` call in `body` (absolute offsets).
fn calls(text: &str, range: std::ops::Range<usize>) -> Vec<Call> {
    let body = &text[range.clone()];
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = body[from..].find("op.") {
        let at = range.start + from + rel;
        from += rel + 3;
        // The receiver: `op` or an identifier ending in `op` (batch_op).
        let mut r = at;
        while r > range.start && (b[r - 1].is_ascii_alphanumeric() || b[r - 1] == b'_') {
            r -= 1;
        }
        if r > range.start && b[r - 1] == b'.' {
            continue;
        }
        let receiver = text[r..at + 2].to_string();
        let name_start = at + 3;
        let mut n = name_start;
        while n < b.len() && (b[n].is_ascii_alphanumeric() || b[n] == b'_') {
            n += 1;
        }
        if n >= b.len() || b[n] != b'(' {
            continue;
        }
        let Some((raw, end)) = parse_args(text, n) else {
            continue;
        };
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        for a in raw {
            match a.split_once('=') {
                Some((k, v))
                    if k.trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !v.starts_with('=') =>
                {
                    keywords.push((k.trim().to_string(), to_arg(v)))
                }
                _ => positional.push(to_arg(&a)),
            }
        }
        out.push(Call {
            name: text[name_start..n].to_string(),
            receiver,
            start: r,
            end,
            positional,
            keywords,
        });
    }
    out
}

fn ident(name: &str, schema: Option<&str>) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    match schema {
        Some(s) => format!("{}.{}", q(s), q(name)),
        None => q(name),
    }
}

/// Column names inside `[...]` or a list of string arguments.
fn names_in(a: Option<&Arg>) -> Vec<String> {
    let Some(a) = a else { return vec![] };
    let t = a.text();
    let mut out = Vec::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' || b[i] == b'\'' {
            if let Some((v, end)) = string_at(b, t, i) {
                out.push(v);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// `sa.Column("c", …, nullable=False, server_default=…)` as a SQL column.
fn column_sql(raw: &str) -> Option<String> {
    let open = raw.find('(')?;
    let (args, _) = parse_args(raw, open)?;
    let mut name = None;
    let mut not_null = false;
    let mut default = None;
    let mut generated = false;
    let mut primary = false;
    for a in &args {
        match a.split_once('=') {
            Some((k, v)) if !v.starts_with('=') => match k.trim() {
                "nullable" => not_null = v.trim() == "False",
                "server_default" => default = Some(v.trim().to_string()),
                "primary_key" => primary = v.trim() == "True",
                "autoincrement" => generated |= v.trim() == "True",
                _ => {}
            },
            _ => {
                if name.is_none() {
                    if let Arg::Str(s) = to_arg(a) {
                        name = Some(s);
                    }
                }
                generated |= a.contains("Identity(") || a.contains("Computed(");
            }
        }
    }
    let mut sql = format!("{} text", ident(&name?, None));
    if generated {
        sql = sql.replace(" text", " int GENERATED BY DEFAULT AS IDENTITY");
    }
    if primary {
        sql.push_str(" PRIMARY KEY");
    }
    if not_null {
        sql.push_str(" NOT NULL");
    }
    if let Some(d) = default {
        let expr = match to_arg(&d) {
            Arg::Str(s) if d.contains("text(") => s,
            Arg::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Arg::Raw(r) if r.contains("func.") => {
                let f = r
                    .split("func.")
                    .nth(1)
                    .unwrap_or("now()")
                    .split('(')
                    .next()
                    .unwrap_or("now");
                format!("{f}()")
            }
            Arg::Raw(_) => "0".into(),
        };
        sql.push_str(&format!(" DEFAULT {expr}"));
    }
    Some(sql)
}

/// The SQL an op call is equivalent to (None: unknown call).
fn equivalent_sql(c: &Call, batch_table: Option<&str>) -> Option<Vec<String>> {
    let schema = c.kw("schema").and_then(|a| match a {
        Arg::Str(s) => Some(s.as_str()),
        _ => None,
    });
    // In a batch, the table is implied and arguments shift left by one.
    let (table, shift) = match batch_table {
        Some(t) => (Some(t.to_string()), 0),
        None => (None, 1),
    };
    let arg = |i: usize| c.pos_str(i);
    let tbl = |i: usize| table.clone().or_else(|| arg(i).map(str::to_string));
    let concurrently = if c.kw_true("postgresql_concurrently") {
        " CONCURRENTLY"
    } else {
        ""
    };
    let t = |name: &str| ident(name, schema);
    Some(vec![match c.name.as_str() {
        "create_table" => {
            let name = arg(0)?;
            let cols: Vec<String> = c
                .positional
                .iter()
                .skip(1)
                .filter_map(|a| match a {
                    Arg::Raw(r) if r.contains("Column(") => column_sql(r),
                    _ => None,
                })
                .collect();
            format!("CREATE TABLE {} ({})", t(name), cols.join(", "))
        }
        "drop_table" => format!("DROP TABLE {}", t(arg(0)?)),
        "add_column" => {
            let raw = c.positional.get(shift)?.text();
            format!(
                "ALTER TABLE {} ADD COLUMN {}",
                t(&tbl(0)?),
                column_sql(raw)?
            )
        }
        "drop_column" => format!(
            "ALTER TABLE {} DROP COLUMN {}",
            t(&tbl(0)?),
            ident(arg(shift)?, None)
        ),
        "alter_column" => {
            let table = t(&tbl(0)?);
            let col = ident(arg(shift)?, None);
            let mut parts = Vec::new();
            if c.kw("type_").is_some() {
                parts.push(format!("ALTER TABLE {table} ALTER COLUMN {col} TYPE text"));
            }
            if c.kw("nullable").is_some_and(|a| a.text() == "False") {
                parts.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"
                ));
            }
            if let Some(Arg::Str(n)) = c.kw("new_column_name") {
                parts.push(format!(
                    "ALTER TABLE {table} RENAME COLUMN {col} TO {}",
                    ident(n, None)
                ));
            }
            if parts.is_empty() {
                parts.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT"
                ));
            }
            return Some(parts);
        }
        "create_index" => {
            let unique = if c.kw_true("unique") { "UNIQUE " } else { "" };
            let table = match batch_table {
                Some(b) => b.to_string(),
                None => arg(1)
                    .map(str::to_string)
                    .or_else(|| c.kw("table_name").map(|a| a.text().to_string()))?,
            };
            let cols_arg = c
                .positional
                .get(if batch_table.is_some() { 1 } else { 2 })
                .or(c.kw("columns"));
            let mut cols: Vec<String> = names_in(cols_arg).iter().map(|n| ident(n, None)).collect();
            if cols.is_empty() {
                cols.push("(1)".into());
            }
            format!(
                "CREATE {unique}INDEX{concurrently} {} ON {} ({})",
                ident(arg(0)?, None),
                t(&table),
                cols.join(", ")
            )
        }
        "drop_index" => format!("DROP INDEX{concurrently} {}", t(arg(0)?)),
        "create_unique_constraint" | "create_primary_key" => {
            let kind = if c.name == "create_primary_key" {
                "PRIMARY KEY"
            } else {
                "UNIQUE"
            };
            let cols: Vec<String> = names_in(c.positional.get(1 + shift))
                .iter()
                .map(|n| ident(n, None))
                .collect();
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {kind} ({})",
                t(&tbl(1)?),
                ident(arg(0)?, None),
                cols.join(", ")
            )
        }
        "create_foreign_key" => {
            let (source, referent, local, remote) = if batch_table.is_some() {
                (batch_table?.to_string(), arg(1)?.to_string(), 2, 3)
            } else {
                (arg(1)?.to_string(), arg(2)?.to_string(), 3, 4)
            };
            let l: Vec<String> = names_in(c.positional.get(local))
                .iter()
                .map(|n| ident(n, None))
                .collect();
            let r: Vec<String> = names_in(c.positional.get(remote))
                .iter()
                .map(|n| ident(n, None))
                .collect();
            let not_valid = if c.kw_true("postgresql_not_valid") {
                " NOT VALID"
            } else {
                ""
            };
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}){not_valid}",
                t(&source),
                ident(arg(0)?, None),
                l.join(", "),
                ident(&referent, c.kw("referent_schema").map(|a| a.text())),
                r.join(", ")
            )
        }
        "create_check_constraint" => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK (true)",
            t(&tbl(1)?),
            ident(arg(0)?, None)
        ),
        "drop_constraint" => format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            t(&tbl(1)?),
            ident(arg(0)?, None)
        ),
        "rename_table" => format!(
            "ALTER TABLE {} RENAME TO {}",
            t(arg(0)?),
            ident(arg(1)?, None)
        ),
        "bulk_insert" => format!(
            "INSERT INTO {} DEFAULT VALUES",
            t(c.positional.first()?.text().trim_matches('"'))
        ),
        "execute" => {
            return Some(vec![match c.positional.first()? {
                Arg::Str(s) => s.clone(),
                Arg::Raw(_) => return None,
            }])
        }
        _ => return None,
    }])
}

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
                stmt,
                down,
                no_transaction: false,
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
        };
        let a = analyze(&m, Dialect::Postgres);
        lint_migration(&m, &a, &p).diagnostics
    }

    fn rules(body: &str) -> Vec<&'static str> {
        lint(body).iter().map(|d| d.rule).collect()
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
