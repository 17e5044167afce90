//! The splitter and the Postgres analysis over real SQL: PostgreSQL 15's
//! regression suite (`shared/corpora/postgres-regress`). Some of its statements
//! are wrong on purpose, so the measure is: every statement our splitter yields
//! that the Postgres grammar rejects must also be a statement that Postgres's own
//! scanner-based splitter yields (an intentionally bad statement), never a
//! fragment or a glued pair that our splitter produced by mistake.

use sluice_core::config::Dialect;
use std::path::PathBuf;

fn corpus(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(name);
    assert!(
        p.is_dir(),
        "corpus {} is missing (shared/ must sit beside the repository)",
        p.display()
    );
    p
}

#[allow(dead_code)]
fn normalize(s: &str) -> String {
    let body: Vec<&str> = s
        .lines()
        .skip_while(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
        .collect();
    body.join("\n")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim()
        .to_string()
}

/// psql substitutes `:name`, `:'name'` and `:"name"` before sending; a statement
/// using them is a psql script, not SQL the server accepts.
fn uses_psql_variables(sql: &str) -> bool {
    let b = sql.as_bytes();
    (0..b.len()).any(|i| {
        b[i] == b':'
            && (i == 0 || !matches!(b[i - 1], b':' | b'[' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b')' | b']'))
            && b.get(i + 1).is_some_and(|c| matches!(c, b'\'' | b'"' | b'a'..=b'z' | b'A'..=b'Z' | b'_'))
    })
}

/// psql-only constructs in the regression suite that no migration runner can send
/// to a server as written: `\\if` branches inside a query, and several
/// `COPY ... FROM STDIN` chained with `\\;` whose data blocks follow the chain.
const PSQL_ONLY: &[(&str, &str)] = &[
    (
        "copyselect.sql:93",
        "data of the second of two \\;-chained COPY FROM STDIN",
    ),
    ("psql.sql:854", "\\if inside a query"),
    ("psql.sql:856", "\\if inside a query"),
    ("psql.sql:858", "\\if inside a query"),
    ("psql.sql:1376", "data of a \\;-chained COPY FROM STDIN"),
];

#[test]
fn postgres_regress_splits_like_postgres() {
    let dir = corpus("postgres-regress/sql");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut statements, mut parsed, mut rejected_by_both, mut meta, mut psql_vars) =
        (0, 0, 0, 0, 0);
    let mut wrong = Vec::new();
    let mut unsplittable = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let ours = match sluice_sql::split(&text, Dialect::Postgres) {
            Ok(s) => s,
            Err(e) => {
                unsplittable.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        for (i, st) in ours.iter().enumerate() {
            statements += 1;
            if st.meta_command {
                meta += 1;
                continue;
            }
            let sql = st.text(&text);
            let Err(e) = sluice_sql::pg::analyze(sql) else {
                parsed += 1;
                continue;
            };
            if uses_psql_variables(sql) {
                psql_vars += 1;
                continue;
            }
            // Our boundaries must agree with Postgres's own lexer: the statement
            // alone is one statement, and with the next one it is two.
            let alone = pg_query::split_with_scanner(sql).map(|v| v.len());
            let with_next = ours.get(i + 1).filter(|n| !n.meta_command).map(|n| {
                pg_query::split_with_scanner(&text[st.range.start..n.range.end]).map(|v| v.len())
            });
            let agrees = match (alone, with_next) {
                (Err(_), _) => true, // Postgres's lexer rejects it too
                (Ok(0), _) => true,  // not a statement to Postgres's splitter either
                (Ok(1), None) => true,
                (Ok(1), Some(Ok(n))) => n >= 2,
                (Ok(1), Some(Err(_))) => true,
                _ => false,
            };
            let where_ = format!("{}:{}", f.file_name().unwrap().to_string_lossy(), st.line);
            if agrees || PSQL_ONLY.iter().any(|(w, _)| *w == where_) {
                rejected_by_both += 1;
            } else {
                wrong.push(format!(
                    "{}:{}: {} -- {}",
                    f.file_name().unwrap().to_string_lossy(),
                    st.line,
                    e.message,
                    &sql[..sql.len().min(120)]
                ));
            }
        }
    }
    println!(
        "postgres-regress: {} files, {statements} statements: {parsed} parsed, {rejected_by_both} rejected by Postgres's grammar too (intentional errors), {psql_vars} use psql variables, {meta} psql meta-commands",
        files.len()
    );
    assert!(
        unsplittable.is_empty(),
        "files our splitter refused:\n{}",
        unsplittable.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "{} statements rejected only because of our splitting:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(parsed > 40_000, "parsed only {parsed}");
}

/// ORY Hydra's MySQL history (each version's `.mysql.up.sql` file, else its
/// dialect-neutral `.up.sql`): every statement splits, and the MySQL grammar
/// accepts every one of them (MySQL 8 ran them all), so `check` raises no
/// false syntax error.
#[test]
fn hydra_mysql_history_has_no_false_syntax_error() {
    let dir = corpus("ory-hydra/migrations");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".up.sql"))
        .collect();
    files.sort();
    let mut chosen: std::collections::BTreeMap<String, String> = Default::default();
    for f in &files {
        let version = f.split('_').next().unwrap().to_string();
        // `<version>_<name>[.<dialect>][.autocommit].up.sql`
        let dialect = f
            .trim_end_matches(".up.sql")
            .split('.')
            .skip(1)
            .find(|p| ["mysql", "postgres", "sqlite", "cockroach"].contains(p))
            .unwrap_or("");
        let key = format!("{version}:{}", f.split('.').next().unwrap());
        match dialect {
            "mysql" => {
                chosen.insert(key, f.clone());
            }
            "" => {
                chosen.entry(key).or_insert_with(|| f.clone());
            }
            _ => {}
        }
    }
    let mut statements = 0;
    let mut rejected = Vec::new();
    for f in chosen.values() {
        let sql = std::fs::read_to_string(dir.join(f)).unwrap();
        let split = sluice_sql::split(&sql, sluice_core::config::Dialect::Mysql)
            .unwrap_or_else(|e| panic!("{f}: {e:?}"));
        for st in &split {
            statements += 1;
            if let Err(e) = sluice_sql::mysql::check(st.text(&sql)) {
                rejected.push(format!("{f}: {}: {}", e.message, st.text(&sql)));
            }
        }
    }
    assert!(statements > 300, "{statements}");
    assert!(
        rejected.is_empty(),
        "{} of {statements} rejected:\n{}",
        rejected.len(),
        rejected.join("\n")
    );
}
