//! `sluice new NAME`: creates a migration in the project's layout
//! (`<version>_<name>.sql` in sluice's own; an `.up.sql`/`.down.sql` pair,
//! marked sections, a directory, as the layout has them) with a header that is
//! valid as written, and adds it to the ledger. With `--edit`, it opens the
//! file in `$VISUAL` / `$EDITOR` and records what is saved, so the first
//! edit needs no `sluice hash`.
//!
//! The version is the current Unix time in milliseconds (13 digits), or one more
//! than the newest existing version when the clock is behind it. The ledger is
//! extended from its recorded entries, never rebuilt from disk: `new` must not
//! silently bless an edited migration (that is `sluice hash`'s explicit job).

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{bail, Result};
use clap::Args;
use sluice_core::layout::NewMigration;
use sluice_core::{Checksum, Ledger, Version};

/// Options for `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. `add_users_email_index`.
    pub name: String,
    /// Create it with `-- sluice:no-transaction` (for CREATE INDEX CONCURRENTLY).
    #[arg(long)]
    pub no_transaction: bool,
    /// Open it in `$VISUAL` / `$EDITOR` and record what is saved in the
    /// ledger when the editor exits (no `sluice hash` needed).
    #[arg(long)]
    pub edit: bool,
}

/// A name in snake_case.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn title(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn change_type(name: &str) -> &'static str {
    let has = |w: &str| name.split('_').any(|p| p == w);
    if has("index") || has("idx") {
        "Index"
    } else if has("column") || has("col") {
        "Column"
    } else if has("constraint") || has("fk") {
        "Constraint"
    } else if has("backfill") || has("data") || has("seed") {
        "Data"
    } else if has("view") {
        "View"
    } else if has("function") || has("trigger") {
        "Function"
    } else {
        "Table"
    }
}

/// Runs `new`.
pub fn run(project: &Project, a: &NewArgs) -> Result<Outcome> {
    let (path, version) = create(project, &a.name, |version, name| {
        NewMigration {
        version: version.to_string(),
        name: name.to_string(),
        header: format!(
            "-- MIGRATION_ID: {version}\n-- TITLE: {}\n-- CHANGE_TYPE: {}\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section below\n",
            title(name),
            change_type(name),
        ),
        up: "-- Write the forward change here.\n".into(),
        down: Some("-- Write the statements that reverse it here.\n".into()),
        no_transaction: a.no_transaction,
    }
    })?;
    if a.edit {
        edit_and_record(project, &path, &version)?;
    }
    if project.json() {
        crate::output::print_json(&serde_json::json!({
            "schema_version": crate::output::SCHEMA_VERSION,
            "version": version.to_string(),
            "path": project.rel(&path),
        }));
    } else if !project.global.quiet {
        println!("created {}", project.rel(&path));
    }
    Ok(Outcome::Ok)
}

/// The ledger a new migration is added to: it must exist (unless the
/// directory is empty) and verify.
pub fn ledger_to_extend(project: &Project, catalog: &sluice_core::Catalog) -> Result<Ledger> {
    let ledger = match project.ledger()? {
        Some((l, _)) => l,
        None if catalog.migrations.is_empty() => Ledger::build([]),
        None => bail!(
            "the ledger {} does not exist but the directory has migrations; run `sluice hash` (after reviewing them) to create it, then `sluice new` again",
            project.rel(&project.config.ledger_path)
        ),
    };
    if let Err(b) = ledger.verify_chain() {
        bail!(
            "the ledger {} does not verify ({}); run `sluice check` and fix it before adding migrations",
            project.rel(&project.config.ledger_path),
            b.reason
        );
    }
    Ok(ledger)
}

/// Creates a migration in the project's layout (`<version>_<name>.sql` in
/// sluice's own) from what `build(version, name)` returns, and extends the
/// ledger with it (`new`, and `adopt`'s retroactive migration).
pub fn create(
    project: &Project,
    raw_name: &str,
    build: impl FnOnce(&Version, &str) -> NewMigration,
) -> Result<(std::path::PathBuf, Version)> {
    let name = snake(raw_name);
    if name.is_empty() {
        bail!("the migration name {raw_name:?} has no letters or digits; use something like `add_users_table`");
    }
    let layout = project.config.layout.imp();
    if let Some(why) = layout.authoring_refusal(&name) {
        bail!("{why}");
    }
    let catalog = project.catalog()?;
    let ledger = ledger_to_extend(project, &catalog)?;
    let now = sluice_core::clock::now_millis();
    let newest = catalog
        .migrations
        .iter()
        .map(|m| &m.version)
        .max()
        .and_then(|v| v.as_str().parse::<u128>().ok());
    let version_num = match newest {
        Some(n) if n >= now => n + 1,
        _ => now,
    };
    let version = Version::parse(&version_num.to_string()).expect("digits");
    let files = layout.author(&build(&version, &name));
    let path = write_new(project, &ledger, version.as_str(), &files)?;
    Ok((path, version))
}

/// Opens the new migration in the user's editor and, when it exits
/// successfully, records the saved text's checksum in the ledger in place
/// of the template's (the migration was added to the ledger as written).
fn edit_and_record(project: &Project, path: &std::path::Path, version: &Version) -> Result<()> {
    let set = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let editor = set("VISUAL")
        .or_else(|| set("EDITOR"))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--edit needs $VISUAL or $EDITOR; {} was created and recorded: edit it, then run `sluice hash`",
                project.rel(path)
            )
        })?;
    // Through the shell, so an editor with arguments (`code --wait`) works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| anyhow::anyhow!("could not run the editor `{editor}`: {e}"))?;
    if !status.success() {
        bail!(
            "the editor `{editor}` exited with {status}; {} keeps what was saved, and the ledger the template: run `sluice hash` when it is ready",
            project.rel(path)
        );
    }
    let catalog = project.catalog()?;
    let Some(m) = catalog.find(version.as_str()) else {
        bail!(
            "{} is no longer a migration; run `sluice check`",
            project.rel(path)
        );
    };
    let Some(ledger) = project.ledger()?.map(|(l, _)| l) else {
        bail!("the ledger is gone; run `sluice hash`");
    };
    let entries: Vec<(String, Checksum)> = ledger
        .migrations
        .iter()
        .filter_map(|e| {
            let c = if e.file == m.file_name {
                Some(m.checksum)
            } else {
                Checksum::from_hex(&e.checksum)
            };
            c.map(|c| (e.file.clone(), c))
        })
        .collect();
    Ledger::build(entries.iter().map(|(f, c)| (f.as_str(), *c))).save_as(
        &project.config.ledger_path,
        project.config.file.migrations.ledger_format,
    )?;
    Ok(())
}

/// Writes a new migration's files (paths relative to the migrations
/// directory) and adds it to the ledger (`ledger`, as read before), with the
/// key and checksum the catalog gives it; the path of its first file. Files
/// that do not make a migration `id` under the filename contract are removed
/// again, and nothing is added to the ledger.
pub fn write_new(
    project: &Project,
    ledger: &Ledger,
    id: &str,
    files: &[(String, String)],
) -> Result<std::path::PathBuf> {
    let dir = &project.config.migrations_dir;
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        if path.exists() {
            bail!("{} already exists", project.rel(&path));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        sluice_core::ledger::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    let undo = |written: &[std::path::PathBuf]| {
        for p in written {
            let _ = std::fs::remove_file(p);
            if let Some(parent) = p.parent().filter(|d| *d != dir.as_path()) {
                let _ = std::fs::remove_dir(parent);
            }
        }
    };
    let catalog = match project.catalog() {
        Ok(c) => c,
        Err(e) => {
            undo(&written);
            return Err(e);
        }
    };
    let Some(m) = catalog.find(id) else {
        undo(&written);
        bail!(
            "{} would not be a migration under the filename pattern `{}`; choose a name of lower-case letters, digits and underscores",
            files.first().map(|f| f.0.as_str()).unwrap_or(id),
            project.config.filename.as_str()
        );
    };
    let mut entries: Vec<(String, Checksum)> = ledger
        .migrations
        .iter()
        .filter_map(|e| Checksum::from_hex(&e.checksum).map(|c| (e.file.clone(), c)))
        .collect();
    entries.push((m.file_name.clone(), m.checksum));
    Ledger::build(entries.iter().map(|(f, c)| (f.as_str(), *c))).save_as(
        &project.config.ledger_path,
        project.config.file.migrations.ledger_format,
    )?;
    Ok(written.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("Add Users-Email index!"), "add_users_email_index");
        assert_eq!(title("add_users"), "Add users");
        assert_eq!(change_type("add_users_email_index"), "Index");
    }
}
