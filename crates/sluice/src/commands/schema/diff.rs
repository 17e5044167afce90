//! `sluice diff`: the Postgres DDL from one schema (URL or snapshot) to another.

use super::*;

/// Options for `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The schema to start from: a database URL or a snapshot file.
    #[arg(long, value_name = "URL|FILE")]
    pub from: String,
    /// The schema to reach: a database URL or a snapshot file.
    #[arg(long, value_name = "URL|FILE")]
    pub to: String,
}

/// Runs `diff`.
pub fn diff(project: &Project, a: &DiffArgs) -> Result<Outcome> {
    // Both sides at once: each is a few catalog queries on its own server.
    let (from, to) = std::thread::scope(|sc| {
        let f = sc.spawn(|| side(project, &a.from));
        let t = side(project, &a.to);
        (f.join().expect("introspection thread"), t)
    });
    let (from, to) = (from?, to?);
    if from.dialect != to.dialect {
        bail!(
            "--from is a {} schema and --to a {} one: diff compares schemas of the same kind of database",
            from.dialect,
            to.dialect
        );
    }
    let diffs = compare(&from, &to);
    if from.dialect == "sqlite" && !diffs.is_empty() {
        for d in &diffs {
            eprintln!("{}", d.describe());
        }
        eprintln!(
            "diff writes Postgres and MySQL DDL; for {} schemas it lists the differences (above)",
            from.dialect
        );
        return Ok(Outcome::Findings);
    }
    let ddl = sluice_schema::diff(&from, &to);
    if project.json() {
        crate::output::print_json(&json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "command": "diff",
            "same": diffs.is_empty(),
            "differences": diffs,
            "statements": ddl,
        }));
    } else if !diffs.is_empty() {
        print!("{}", sluice_schema::render(&ddl, None));
    } else if !project.global.quiet {
        eprintln!("the schemas are the same");
    }
    Ok(if diffs.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Findings
    })
}
