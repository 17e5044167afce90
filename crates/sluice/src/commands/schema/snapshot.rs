//! `sluice snapshot`: the live schema as JSON.

use super::*;

/// Options for `snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where to write it (default: [schema] snapshot, db/schema/snapshot.json; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `snapshot`.
pub fn snapshot(project: &Project, a: &SnapshotArgs) -> Result<Outcome> {
    let session = Session::start(project, "snapshot")?;
    let schema = live(project, &session)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(&project.config.file.schema.snapshot));
    if out.as_os_str() == "-" {
        println!("{}", serde_json::to_string_pretty(&schema)?);
        return Ok(Outcome::Ok);
    }
    let full = project.config.root.join(&out);
    write_json(&full, &schema)?;
    if project.json() {
        crate::output::print_json(&json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "command": "snapshot",
            "environment": session.env.name,
            "path": project.rel(&full),
            "tables": schema.tables.len(),
        }));
    } else if !project.global.quiet {
        println!(
            "wrote {} ({} tables, {} views, {} functions) from `{}`",
            project.rel(&full),
            schema.tables.len(),
            schema.views.len(),
            schema.functions.len(),
            session.env.name
        );
    }
    Ok(Outcome::Ok)
}
