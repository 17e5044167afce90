//! `sluice hash`: rewrites the ledger from the migrations as they are now, and
//! says what changed so the reviewer of the diff knows what was blessed.

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{bail, Result};
use sluice_core::Ledger;

/// Options for `hash`.
#[derive(Debug, clap::Args)]
pub struct HashArgs {
    /// Write nothing: exit 1 when the ledger does not match the migrations
    /// as they are now, listing what differs (a pre-commit hook, CI).
    #[arg(long)]
    pub check: bool,
}

/// Runs `hash`.
pub fn run(project: &Project, a: &HashArgs) -> Result<Outcome> {
    let catalog = project.catalog()?;
    let dups: Vec<String> = catalog
        .issues
        .iter()
        .filter_map(|i| match i {
            sluice_core::CatalogIssue::DuplicateVersion {
                version,
                display_paths,
            } => Some(format!("version {version}: {}", display_paths.join(", "))),
            _ => None,
        })
        .collect();
    if !dups.is_empty() {
        bail!(
            "migrations share a version ({}): give one of each a new version, then run `sluice hash` (nothing was written)",
            dups.join("; ")
        );
    }
    // A file that is not UTF-8 is not in the catalog: a ledger written now
    // would leave it out.
    if let Some(sluice_core::CatalogIssue::NotUtf8 {
        display_path,
        line,
        offset,
    }) = catalog
        .issues
        .iter()
        .find(|i| matches!(i, sluice_core::CatalogIssue::NotUtf8 { .. }))
    {
        bail!(
            "{display_path}:{line}: the file is not valid UTF-8 (invalid byte at offset {offset}); save it as UTF-8, then run `sluice hash` (nothing was written)"
        );
    }
    let old = match Ledger::load(&project.config.ledger_path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("warning: replacing an unreadable ledger: {e}");
            None
        }
    };
    let new = Ledger::build(
        catalog
            .migrations
            .iter()
            .map(|m| (m.file_name.as_str(), m.checksum)),
    );
    let mut changes = Vec::new();
    if let Some(old) = &old {
        let (old_files, new_files) = (old.by_file(), new.by_file());
        for e in &new.migrations {
            match old_files.get(e.file.as_str()) {
                None => changes.push(format!("added    {}", e.file)),
                Some(o) if o.checksum != e.checksum => changes.push(format!("changed  {}", e.file)),
                _ => {}
            }
        }
        for o in &old.migrations {
            if !new_files.contains_key(o.file.as_str()) {
                changes.push(format!("removed  {}", o.file));
            }
        }
    }
    if old.as_ref() == Some(&new) {
        if !project.global.quiet {
            println!(
                "{} is up to date ({} migrations)",
                project.rel(&project.config.ledger_path),
                new.migrations.len()
            );
        }
        return Ok(Outcome::Ok);
    }
    if a.check {
        let ledger = project.rel(&project.config.ledger_path);
        if old.is_none() {
            eprintln!(
                "{ledger} does not exist: run `sluice hash` to create it, review it, and commit it"
            );
        } else {
            eprintln!("{ledger} does not match the migrations:");
            for c in &changes {
                eprintln!("  {c}");
            }
            eprintln!("run `sluice hash` if these changes are intended (an applied migration must not change: add a new one instead)");
        }
        return Ok(Outcome::Findings);
    }
    new.save_as(
        &project.config.ledger_path,
        project.config.file.migrations.ledger_format,
    )?;
    if !project.global.quiet {
        for c in &changes {
            println!("  {c}");
        }
        println!(
            "wrote {} ({} migrations)",
            project.rel(&project.config.ledger_path),
            new.migrations.len()
        );
    }
    Ok(Outcome::Ok)
}
