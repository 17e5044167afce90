//! `sluice new NAME`: creates `<version>_<name>.sql` with a header that is valid
//! as written, and adds it to the ledger.
//!
//! The version is the current Unix time in milliseconds (13 digits), or one more
//! than the newest existing version when the clock is behind it. The ledger is
//! extended from its recorded entries, never rebuilt from disk: `new` must not
//! silently bless an edited migration (that is `sluice hash`'s explicit job).

use crate::cli::Outcome;
use crate::project::Project;
use anyhow::{bail, Result};
use clap::Args;
use sluice_core::{Checksum, Ledger, Version};

/// Options for `new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. `add_users_email_index`.
    pub name: String,
    /// Create it with `-- sluice:no-transaction` (for CREATE INDEX CONCURRENTLY).
    #[arg(long)]
    pub no_transaction: bool,
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
    if let Some(why) = project.config.layout.imp().authoring_refusal(&a.name) {
        bail!("{why}");
    }
    let name = snake(&a.name);
    let directive = if a.no_transaction {
        "-- sluice:no-transaction\n"
    } else {
        ""
    };
    let (path, version) = create(project, &a.name, |version| {
        format!(
            "-- MIGRATION_ID: {version}\n-- TITLE: {}\n-- CHANGE_TYPE: {}\n-- RISK_LEVEL: Low\n-- FORWARD_ONLY: No\n-- ROLLBACK_STRATEGY: down section below\n{directive}\n-- Write the forward change here.\n\n-- sluice:down\n-- Write the statements that reverse it here.\n",
            title(&name),
            change_type(&name),
        )
    })?;
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

/// Creates `<version>_<name>.sql` with the text `body(version)` returns, and
/// extends the ledger with it (`new`, and `adopt`'s retroactive migration).
pub fn create(
    project: &Project,
    raw_name: &str,
    body: impl FnOnce(&Version) -> String,
) -> Result<(std::path::PathBuf, Version)> {
    let name = snake(raw_name);
    if name.is_empty() {
        bail!("the migration name {raw_name:?} has no letters or digits; use something like `add_users_table`");
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
    let file_name = format!("{version}_{name}.sql");
    let path = write_new(project, &ledger, &file_name, &body(&version))?;
    Ok((path, version))
}

/// Writes a new migration file `file_name` in the migrations directory and
/// adds it to the ledger (`ledger`, as read before); its path.
pub fn write_new(
    project: &Project,
    ledger: &Ledger,
    file_name: &str,
    body: &str,
) -> Result<std::path::PathBuf> {
    if !project.config.filename.is_match(file_name) {
        bail!(
            "`{file_name}` would not match the filename pattern `{}`; choose a name of lower-case letters, digits and underscores",
            project.config.filename.as_str()
        );
    }
    let path = project.config.migrations_dir.join(file_name);
    sluice_core::ledger::write_atomic(&path, body.as_bytes())?;
    let mut entries: Vec<(String, Checksum)> = ledger
        .migrations
        .iter()
        .filter_map(|e| Checksum::from_hex(&e.checksum).map(|c| (e.file.clone(), c)))
        .collect();
    entries.push((
        file_name.to_string(),
        Checksum::of_migration(body.as_bytes()),
    ));
    Ledger::build(entries.iter().map(|(f, c)| (f.as_str(), *c))).save_as(
        &project.config.ledger_path,
        project.config.file.migrations.ledger_format,
    )?;
    Ok(path)
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
