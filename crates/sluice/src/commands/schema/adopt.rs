//! `sluice adopt`: drift into a retroactive migration recorded as adopted.

use super::*;
use sluice_db::HistoryStore as _;

/// Options for `adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Name of the retroactive migration (`fix_orders_index`).
    #[arg(long)]
    pub name: String,
    /// The incident the out-of-band change was made for (`INC-42`).
    #[arg(long)]
    pub incident: String,
    /// Server for the scratch database (overrides the environment's scratch_url).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
}

/// The body of an adopted migration; error-severity findings are suppressed
/// with a reason (the change is already live; the file records it).
fn adopted_body(
    project: &Project,
    version: &sluice_core::Version,
    name: &str,
    env: &str,
    incident: &str,
    diffs: &[Difference],
    script: &str,
) -> String {
    let date = &sluice_core::clock::now_rfc3339()[..10];
    let build = |risk: &str, script: &str| {
        format!(
            "-- MIGRATION_ID: {version}\n-- TITLE: Adopt out-of-band change on {env} ({incident})\n-- CHANGE_TYPE: {}\n-- RISK_LEVEL: {risk}\n-- FORWARD_ONLY: Yes\n-- JUSTIFICATION: Retroactive migration for incident {incident}: records {} change{} made directly on {env} (found by sluice verify, {date}); already applied there, recorded as adopted\n-- ROLLBACK_STRATEGY: Forward only: the change is live on {env}; reverse it with a new migration if needed\n\n{script}",
            change_type(diffs),
            diffs.len(),
            if diffs.len() == 1 { "" } else { "s" },
        )
    };
    let lint = |text: &str| {
        let file = format!("{version}_{name}.sql");
        let m = Migration::parse_native(
            version.clone(),
            name.to_string(),
            file.clone(),
            project.config.migrations_dir.join(&file),
            project.rel(&project.config.migrations_dir.join(&file)),
            text.as_bytes(),
        )
        .expect("generated text decodes");
        let policy = crate::risk::policy(project).expect("validated at load");
        crate::risk::lint(project, &policy, &m)
    };
    let first = lint(&build("Low", script));
    let risk = first.risk.as_str();
    let text = build(risk, script);
    let errors: Vec<(usize, &'static str)> = lint(&text)
        .diagnostics
        .iter()
        .filter(|d| d.severity == sluice_lint::Severity::Error)
        .map(|d| (d.line, d.rule))
        .collect();
    if errors.is_empty() {
        return text;
    }
    // Suppress each remaining error on the statement it names.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut by_line: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
    for (l, r) in errors {
        by_line.entry(l).or_default().push(r);
    }
    for (l, rules) in by_line.into_iter().rev() {
        if l == 0 || l > lines.len() || lines[l - 1].starts_with("-- ") {
            continue;
        }
        for r in rules {
            lines.insert(
                l - 1,
                format!("-- sluice:allow {r} reason: retroactive record of {incident}, already live on {env}"),
            );
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

pub(super) fn change_type(diffs: &[Difference]) -> &'static str {
    let kinds: std::collections::BTreeSet<&str> = diffs.iter().map(|d| d.kind.as_str()).collect();
    match kinds.iter().next() {
        Some(&"index") if kinds.len() == 1 => "Index",
        Some(&"column") if kinds.len() == 1 => "Column",
        Some(&"constraint") if kinds.len() == 1 => "Constraint",
        Some(&"view") if kinds.len() == 1 => "View",
        Some(&"function") if kinds.len() == 1 => "Function",
        _ => "Table",
    }
}

/// Runs `adopt`.
pub fn adopt(project: &Project, a: &AdoptArgs) -> Result<Outcome> {
    let session = Session::start(project, "adopt")?;
    if a.incident.trim().is_empty() || a.incident.contains(char::is_whitespace) {
        bail!(
            "--incident {:?}: give the incident's id, like INC-42",
            a.incident
        );
    }
    if sluice_db::backend_of(&session.env.url).ok() == Some(sluice_db::Backend::Sqlite) {
        bail!(
            "adopt writes Postgres or MySQL DDL and `{}` is a SQLite database: write the retroactive migration by hand (`sluice verify` lists what changed)",
            session.env.name
        );
    }
    let catalog = project.catalog_with_text()?;
    if let (false, Some(why)) = (
        catalog.revision_graph,
        project.config.layout.imp().authoring_refusal(&a.name),
    ) {
        bail!("adopt writes the retroactive migration in the project's layout, and {why}");
    }
    let mut db = session.lock()?;
    let history = crate::state::load_history(&mut *db, &catalog)
        .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
    let (applied, gates, pending) = applied_migrations(&catalog, &history, &session);
    if !gates.is_empty() {
        return session.refuse(&mut db, gates);
    }
    if pending > 0 {
        bail!(
            "`{}` has {pending} pending migration{}: apply them first (`sluice apply --env {}`), so the adopted migration comes after every migration it builds on",
            session.env.name,
            if pending == 1 { "" } else { "s" },
            crate::output::shell_word(&session.env.name)
        );
    }
    let opts = options(project);
    let expected = crate::plan::expected_schema(&session, &applied, a.scratch_url.clone(), &opts)?;
    let actual = sluice_db::introspect::introspect(&mut *db, &opts)
        .map_err(|e| anyhow!("reading the schema of `{}`: {e}", session.env.name))?;
    let diffs = compare(&expected, &actual);
    if diffs.is_empty() {
        if !project.global.quiet {
            println!("no drift on `{}`: nothing to adopt", session.env.name);
        }
        return Ok(Outcome::Ok);
    }
    let ddl = sluice_schema::diff(&expected, &actual);
    let env_name = session.env.name.clone();
    let (path, version, stamp) = if catalog.revision_graph {
        let (path, id, parents) =
            super::adopt_alembic::write(project, &catalog, a, &env_name, &diffs, &ddl)?;
        let stamp = sluice_db::foreign::alembic_stamp_sql(&parents, &id);
        (path, sluice_core::Version::revision(&id), stamp)
    } else {
        let bypass = format!("-- CI:DESTRUCTIVE_OK {}", a.incident);
        let script = sluice_schema::render(&ddl, Some(&bypass));
        let (path, version) = crate::commands::new::create(project, &a.name, |v, name| {
            let text = adopted_body(project, v, name, &env_name, &a.incident, &diffs, &script);
            // The header is the leading block of `-- KEY: value` lines.
            let (header, up) = text.split_once("\n\n").unwrap_or(("", &text));
            sluice_core::layout::NewMigration {
                version: v.to_string(),
                name: name.to_string(),
                header: format!("{header}\n"),
                up: up.to_string(),
                down: None,
                no_transaction: false,
            }
        })?;
        (path, version, vec![])
    };
    let catalog = project.catalog_with_text()?;
    let m = catalog
        .find(version.as_str())
        .ok_or_else(|| anyhow!("the new migration {} is not in the catalog", version))?;
    let steps = crate::runner::prepare_with(
        &[m],
        crate::runner::Direction::Up,
        project.config.dialect,
        project.runner().as_ref(),
    )?;
    let info = session.info();
    let mut row = info.row(
        &steps[0],
        sluice_db::Status::Adopted,
        steps[0].statements.len(),
        None,
    );
    row.execution_ms = Some(0);
    let what: Vec<String> = diffs.iter().map(|d| d.describe()).collect();
    let audit = info.audit(
        sluice_db::AuditKind::Adopt,
        Some(m),
        sluice_db::AuditOutcome::Ok,
        Some(format!(
            "incident {}: {} out-of-band change{} adopted as {}",
            a.incident,
            diffs.len(),
            if diffs.len() == 1 { "" } else { "s" },
            m.display_path
        )),
        json!({ "incident": a.incident, "differences": what }),
    );
    db.ensure_history()
        .map_err(|e| anyhow!("creating sluice's tables: {e}"))?;
    let mut sqls = stamp;
    sqls.extend([db.upsert_sql(&row), db.audit_sql(&audit)]);
    db.run_in_transaction(&[], &sqls)
        .map_err(|f| anyhow!("recording the adopted migration on `{}` failed: {}; the file {} was written: remove it (and run `sluice hash`) or run adopt again", session.env.name, f.error, m.display_path))?;
    drop(db);

    let register = append_exception(
        project,
        &a.incident,
        &session.env.name,
        &what,
        &m.display_path,
    )?;
    let details = json!({
        "incident": a.incident,
        "migration": m.display_path,
        "version": version.to_string(),
        "differences": diffs,
        "exceptions": project.rel(&register),
    });
    if session.conclude(details) {
        println!(
            "adopted {} change{} on `{}` as {} (recorded as adopted, not run); appended to {}",
            diffs.len(),
            if diffs.len() == 1 { "" } else { "s" },
            session.env.name,
            project.rel(&path),
            project.rel(&register)
        );
        print!("{}", differences_text(&diffs));
    }
    Ok(Outcome::Ok)
}

/// Appends the adopted change to the emergency changes register
/// (EXCEPTIONS.md by default), creating it with its table header; its path.
fn append_exception(
    project: &Project,
    incident: &str,
    env: &str,
    what: &[String],
    migration: &str,
) -> Result<std::path::PathBuf> {
    let register = project
        .config
        .root
        .join(&project.config.file.schema.exceptions);
    let mut text = std::fs::read_to_string(&register).unwrap_or_default();
    if text.trim().is_empty() {
        text = "# Emergency changes register\n\nOut-of-band changes made directly on a database, each recorded afterwards by a retroactive migration (`sluice adopt`).\n\n| date | incident | environment | what was changed in production | retroactive migration |\n|---|---|---|---|---|\n".into();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let _ = writeln!(
        text,
        "| {} | {} | {} | {} | `{}` |",
        &sluice_core::clock::now_rfc3339()[..10],
        incident.replace('|', "\\|"),
        env,
        what.join("; ").replace('|', "\\|").replace('\n', " "),
        migration
    );
    if let Some(dir) = register.parent() {
        std::fs::create_dir_all(dir)?;
    }
    sluice_core::ledger::write_atomic(&register, text.as_bytes())?;
    Ok(register)
}
