//! `adopt` in the alembic layout: the retroactive migration is an Alembic
//! revision (`op.execute` of the DDL, the docstring header, the bypass on
//! destructive statements) whose `down_revision` is the graph's head (or
//! every head, as a merge), so `alembic heads` still returns one head; it is
//! recorded in `alembic_version` in place of its parents, in the same
//! transaction as sluice's `adopted` row.

use super::*;
use sha2::Digest as _;
use sluice_schema::Ddl;

/// A new Alembic revision id: 12 hex digits, as Alembic makes them.
fn revision_id(name: &str) -> String {
    let seed = format!(
        "{}:{}:{name}",
        sluice_core::clock::now_rfc3339(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let digest = sha2::Sha256::digest(seed.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The graph's heads: revisions no other revision follows.
pub(super) fn heads(catalog: &sluice_core::Catalog) -> Vec<String> {
    let parents: std::collections::HashSet<&str> = catalog
        .migrations
        .iter()
        .flat_map(|m| m.parents.iter().map(String::as_str))
        .collect();
    catalog
        .migrations
        .iter()
        .map(|m| m.version.as_str())
        .filter(|v| !parents.contains(v))
        .map(str::to_string)
        .collect()
}

/// `sql` as a Python string literal the analysis reads as written.
fn python_literal(sql: &str) -> Result<String> {
    for q in ["\"\"\"", "'''"] {
        let last = q.as_bytes()[0] as char;
        if !sql.contains(q) && !sql.ends_with(last) && !sql.ends_with('\\') {
            return Ok(format!("r{q}{sql}{q}"));
        }
    }
    bail!("a statement of the drift cannot be written as a Python string literal: {sql}")
}

/// What the revision file says, for one risk level.
struct Revision<'a> {
    id: &'a str,
    parents: &'a [String],
    env: &'a str,
    incident: &'a str,
    diffs: &'a [Difference],
}

impl Revision<'_> {
    fn text(&self, risk: &str, upgrade: &str) -> String {
        let title = format!(
            "Adopt out-of-band change on {} ({})",
            self.env, self.incident
        );
        let down = match self.parents {
            [] => "None".to_string(),
            [p] => format!("\"{p}\""),
            ps => format!(
                "({})",
                ps.iter()
                    .map(|p| format!("\"{p}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let date = &sluice_core::clock::now_rfc3339()[..10];
        format!(
            "\"\"\"{title}.\n\nRevision ID: {id}\nRevises: {revises}\nMIGRATION_ID: {id}\nTITLE: {title}\nCHANGE_TYPE: {ct}\nRISK_LEVEL: {risk}\nFORWARD_ONLY: Yes\nJUSTIFICATION: Retroactive migration for incident {incident}: records {n} change{s} made directly on {env} (found by sluice verify, {date}); already applied there, recorded as adopted\nROLLBACK_STRATEGY: Forward only: the change is live on {env}; reverse it with a new revision if needed\n\"\"\"\nfrom alembic import op\n\nrevision = \"{id}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{upgrade}\n\ndef downgrade():\n    # Forward only: see ROLLBACK_STRATEGY.\n    pass\n",
            id = self.id,
            revises = if self.parents.is_empty() { "None".to_string() } else { self.parents.join(", ") },
            ct = super::adopt::change_type(self.diffs),
            incident = self.incident,
            env = self.env,
            n = self.diffs.len(),
            s = if self.diffs.len() == 1 { "" } else { "s" },
        )
    }
}

/// Writes the revision (and extends the ledger); its path, id and parents.
pub(super) fn write(
    project: &Project,
    catalog: &sluice_core::Catalog,
    a: &super::AdoptArgs,
    env: &str,
    diffs: &[Difference],
    ddl: &[Ddl],
) -> Result<(PathBuf, String, Vec<String>)> {
    let name = crate::commands::new::snake(&a.name);
    if name.is_empty() {
        bail!(
            "the name {:?} has no letters or digits; use something like `fix_orders_index`",
            a.name
        );
    }
    let ledger = crate::commands::new::ledger_to_extend(project, catalog)?;
    let id = revision_id(&name);
    let parents = heads(catalog);
    let mut upgrade = String::new();
    for d in ddl {
        if let Some(why) = &d.destructive {
            let _ = writeln!(upgrade, "    # destructive: {why}");
        }
        let _ = write!(upgrade, "    op.execute({})", python_literal(&d.sql)?);
        if d.destructive.is_some() {
            let _ = write!(upgrade, "  # CI:DESTRUCTIVE_OK {}", a.incident);
        }
        upgrade.push('\n');
    }
    let rev = Revision {
        id: &id,
        parents: &parents,
        env,
        incident: &a.incident,
        diffs,
    };
    let file_name = format!("{id}_{name}.py");
    let path = project.config.migrations_dir.join(&file_name);
    let lint = |text: &str| -> Result<sluice_lint::MigrationLint> {
        let (m, _) = sluice_core::alembic::parse_revision(
            path.clone(),
            project.rel(&path),
            text.as_bytes(),
        )?;
        let policy = crate::risk::policy(project)?;
        Ok(crate::risk::lint(project, &policy, &m))
    };
    let risk = lint(&rev.text("Low", &upgrade))?.risk;
    let mut text = rev.text(risk.as_str(), &upgrade);
    // Findings of error severity are suppressed on the call they name, with
    // the reason: the change is already live, the file records it.
    let errors: std::collections::BTreeSet<(usize, &'static str)> = lint(&text)?
        .diagnostics
        .iter()
        .filter(|d| d.severity == sluice_lint::Severity::Error)
        .map(|d| (d.line, d.rule))
        .collect();
    if !errors.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (l, rule) in errors.into_iter().rev() {
            if l == 0 || l > lines.len() || !lines[l - 1].trim_start().starts_with("op.") {
                continue;
            }
            lines.insert(
                l - 1,
                format!(
                    "    # sluice:allow {rule} reason: retroactive record of {}, already live on {env}",
                    a.incident
                ),
            );
        }
        text = lines.join("\n");
        text.push('\n');
    }
    let path = crate::commands::new::write_new(project, &ledger, &id, &[(file_name, text)])?;
    Ok((path, id, parents))
}
