//! Drift: `snapshot`, `verify`, `diff` and `adopt` (see docs/drift.md).
//!
//! - `snapshot --env E [--out FILE]` writes the live schema as JSON.
//! - `verify --env E [--against FILE]` compares the live schema with the
//!   expected one (the applied migrations replayed on a scratch database, or a
//!   snapshot): exit 0 none, 1 drift (or tables without RLS in
//!   `require_rls_in_schemas`).
//! - `diff --from A --to B` prints the Postgres DDL that turns A into B (each a
//!   database URL or a snapshot file): exit 0 same, 1 differs.
//! - `adopt --env E --name N --incident ID` turns E's drift into a retroactive
//!   migration recorded as `adopted` on E, and appends to EXCEPTIONS.md.

use crate::cli::{Format, Outcome};
use crate::project::Project;
use crate::session::Session;
use crate::state;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::json;
use sluice_core::Migration;
use sluice_schema::{compare, Difference, Schema};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options for `snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where to write it (default: [schema] snapshot, db/schema/snapshot.json; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Options for `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Compare with this snapshot instead of replaying the applied migrations.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// Server for the scratch database (overrides the environment's scratch_url).
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
}

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

fn options(project: &Project) -> sluice_db::introspect::Options {
    let s = &project.config.file.schema;
    sluice_db::introspect::Options {
        include: s.include.clone(),
        exclude: s.exclude.clone(),
        history_schema: project.config.file.history.schema.clone(),
    }
}

fn live(project: &Project, session: &Session<'_>) -> Result<Schema> {
    // Postgres: two more connections let the server build the heavy parts of a
    // large schema at once. They are opened together with the first (each is a
    // backend start and an authentication); when they cannot be had, fewer are
    // used.
    let postgres =
        sluice_db::backend_of(&session.env.url).ok() == Some(sluice_db::Backend::Postgres);
    let (db, mut extra) = std::thread::scope(|sc| {
        let others: Vec<_> = (0..if postgres { 2 } else { 0 })
            .map(|_| sc.spawn(|| session.connect().ok()))
            .collect();
        let db = session.connect();
        let extra: Vec<_> = others
            .into_iter()
            .filter_map(|h| h.join().expect("connection thread panicked"))
            .collect();
        (db, extra)
    });
    let mut db = db?;
    sluice_db::introspect::introspect_parallel(&mut *db, &mut extra, &options(project))
        .map_err(|e| anyhow!("reading the schema of `{}`: {e}", session.env.name))
}

/// The top-level fields of a snapshot (`sluice snapshot` writes all of them).
const SNAPSHOT_FIELDS: [&str; 10] = [
    "snapshot_version",
    "dialect",
    "schemas",
    "extensions",
    "enums",
    "domains",
    "sequences",
    "tables",
    "views",
    "functions",
];

/// Reads a snapshot written by `sluice snapshot`. Anything else (`{}`, an
/// array, a package.json, the ledger, an evidence file) is an error naming the
/// file: it carries its `snapshot_version` and `dialect`, and no field a
/// snapshot does not have.
fn read_snapshot(project: &Project, path: &std::path::Path) -> Result<Schema> {
    let full = project.config.root.join(path);
    let shown = sluice_core::redact::redact_text(&project.rel(&full));
    let text =
        std::fs::read_to_string(&full).with_context(|| format!("reading snapshot {shown}"))?;
    let hint = "write one with `sluice snapshot`";
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{shown}:{}:{}: not a sluice schema snapshot: {e}; {hint}",
            e.line(),
            e.column()
        )
    })?;
    let Some(obj) = value.as_object() else {
        bail!("{shown}: not a sluice schema snapshot (a JSON object is expected); {hint}");
    };
    let unknown: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| !SNAPSHOT_FIELDS.contains(k))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{shown}: not a sluice schema snapshot: unknown field{} {}; {hint}",
            if unknown.len() == 1 { "" } else { "s" },
            unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let version = obj.get("snapshot_version").and_then(|v| v.as_u64());
    let Some(version) = version.filter(|v| *v >= 1) else {
        bail!("{shown}: not a sluice schema snapshot: it has no `snapshot_version`; {hint}");
    };
    if version > u64::from(sluice_schema::model::SNAPSHOT_VERSION) {
        bail!(
            "{shown} is snapshot format {version}; this sluice reads up to {}: upgrade sluice",
            sluice_schema::model::SNAPSHOT_VERSION
        );
    }
    match obj.get("dialect").and_then(|v| v.as_str()) {
        Some("postgres" | "sqlite") => {}
        Some(d) => bail!("{shown}: snapshot dialect {d:?} is not postgres or sqlite; {hint}"),
        None => bail!("{shown}: not a sluice schema snapshot: it has no `dialect`; {hint}"),
    }
    serde_json::from_value(value)
        .map_err(|e| anyhow!("{shown}: not a sluice schema snapshot: {e}; {hint}"))
}

/// `--from` / `--to`: a URL, else a file.
fn side(project: &Project, spec: &str) -> Result<Schema> {
    // A URL or a libpq key=value string, unless a file by that name exists.
    let is_file = project.config.root.join(spec).is_file();
    if !is_file
        && (spec.contains("://")
            || spec.starts_with("sqlite:")
            || sluice_db::is_keyword_value(spec))
    {
        crate::secrets::register_url(spec);
        let mut db = sluice_db::connect(
            spec,
            &sluice_db::ConnectOptions {
                root: &project.config.root,
                history_schema: &project.config.file.history.schema,
            },
        )
        .map_err(|e| {
            anyhow!(
                "{}: {}",
                sluice_core::redact::redact_url(spec),
                crate::secrets::scrub(&e.to_string())
            )
        })?;
        sluice_db::introspect::introspect(&mut *db, &options(project)).map_err(|e| {
            anyhow!(
                "reading the schema of {}: {e}",
                sluice_core::redact::redact_url(spec)
            )
        })
    } else {
        read_snapshot(project, std::path::Path::new(spec))
    }
}

fn write_json(path: &std::path::Path, v: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    sluice_core::ledger::write_atomic(path, text.as_bytes())?;
    Ok(())
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

/// Tables in `require_rls_in_schemas` without row-level security.
fn rls_missing(project: &Project, actual: &Schema) -> Vec<String> {
    let required = &project.config.file.policy.require_rls_in_schemas;
    actual
        .tables
        .values()
        .filter(|t| required.contains(&t.schema) && !t.rls_enabled)
        .filter(|t| t.partition_of.is_none())
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect()
}

/// The migrations a database has applied (clean ones, in order), the history
/// gates that make its expected schema unknown, and how many are pending.
/// Ordering is not a concern here (the schema is what was applied, in any
/// order), so `out-of-order` is not raised.
fn applied_migrations<'a>(
    catalog: &'a sluice_core::Catalog,
    history: &'a [sluice_db::HistoryRow],
    session: &Session<'_>,
) -> (Vec<&'a Migration>, Vec<sluice_lint::Diagnostic>, usize) {
    let project = session.project;
    let entries = state::join(catalog, history);
    let gates = state::apply_gates(
        catalog,
        &entries,
        &project.rel(&project.config.migrations_dir),
        &session.env.name,
        true,
    );
    let pending = entries.iter().filter(|e| e.is_pending()).count();
    let applied = entries
        .iter()
        .filter(|e| e.state.is_clean())
        .filter_map(|e| e.migration)
        .collect();
    (applied, gates, pending)
}

fn differences_text(diffs: &[Difference]) -> String {
    diffs
        .iter()
        .map(|d| format!("  {}\n", d.describe()))
        .collect()
}

/// Runs `verify`.
pub fn verify(project: &Project, a: &VerifyArgs) -> Result<Outcome> {
    let session = Session::start(project, "verify")?;
    // A snapshot is read (and refused) before anything connects.
    let against = a
        .against
        .as_ref()
        .map(|p| read_snapshot(project, p))
        .transpose()?;
    let actual = live(project, &session)?;
    let (expected, source) = match (&a.against, against) {
        (Some(p), Some(snapshot)) => {
            if snapshot.dialect != actual.dialect {
                bail!(
                    "{} is a {} snapshot but environment `{}` is {}: verify against a snapshot of the same kind of database",
                    p.display(),
                    snapshot.dialect,
                    session.env.name,
                    actual.dialect
                );
            }
            (snapshot, format!("snapshot {}", p.display()))
        }
        _ => {
            let catalog = project.catalog_with_text()?;
            let history = session
                .connect()?
                .load_history()
                .map_err(|e| anyhow!("reading sluice_history: {e}"))?;
            let (applied, gates, _) = applied_migrations(&catalog, &history, &session);
            if !gates.is_empty() {
                crate::output::print_findings(project, &gates);
                bail!(
                    "the expected schema of `{}` is unknown while its history is refused by a gate (above); fix that first, or verify --against a snapshot",
                    session.env.name
                );
            }
            let n = applied.len();
            (
                crate::plan::expected_schema(
                    &session,
                    &applied,
                    a.scratch_url.clone(),
                    &options(project),
                )?,
                format!(
                    "the {n} applied migration{}, replayed",
                    if n == 1 { "" } else { "s" }
                ),
            )
        }
    };
    let diffs = compare(&expected, &actual);
    let rls = rls_missing(project, &actual);
    let drift = !diffs.is_empty() || !rls.is_empty();
    let outcome = if drift { "drift" } else { "clean" };
    let at = project
        .config
        .config_path
        .as_ref()
        .map(|p| project.rel(p))
        .unwrap_or_else(|| "sluice.toml".into());
    let findings: Vec<sluice_lint::Diagnostic> = diffs
        .iter()
        .map(|d| {
            sluice_lint::Diagnostic::new(
                sluice_lint::RuleId::DriftDetected,
                &at,
                1,
                1,
                format!("environment `{}`: {}", session.env.name, d.describe()),
                format!("record an intended change with `sluice adopt --env {} --name NAME --incident ID`, or revert it", crate::output::shell_word(&session.env.name)),
            )
        })
        .chain(rls.iter().map(|t| {
            sluice_lint::Diagnostic::new(
                sluice_lint::RuleId::RlsMissing,
                &at,
                1,
                1,
                format!("environment `{}`: table {t} has no row-level security, but its schema is in [policy] require_rls_in_schemas", session.env.name),
                format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY in a migration"),
            )
        }))
        .collect();
    let details = json!({
        "expected": source,
        "differences": diffs,
        "rls_missing": rls,
    });
    session.finish(outcome, vec![], findings.clone(), details.clone(), None);
    match project.global.format {
        Format::Json => {
            crate::output::print_json(&session.document(outcome, &[], &findings, None, details))
        }
        Format::Markdown => {
            let mut o = format!(
                "# Schema verification of `{}`\n\nExpected: {source}. **{}**\n\n",
                session.env.name,
                if drift { "Drift" } else { "No drift" }
            );
            if !diffs.is_empty() {
                o.push_str(
                    "| kind | object | change | expected | actual |\n|---|---|---|---|---|\n",
                );
                for d in &diffs {
                    let cell = |s: &Option<String>| {
                        s.as_deref()
                            .unwrap_or("")
                            .replace('|', "\\|")
                            .replace('\n', " ")
                    };
                    let _ = writeln!(
                        o,
                        "| {} | `{}` | {} | {} | {} |",
                        d.kind,
                        d.object,
                        d.change,
                        cell(&d.expected),
                        cell(&d.actual)
                    );
                }
            }
            for t in &rls {
                let _ = writeln!(
                    o,
                    "\n- table `{t}` has no row-level security (required in its schema)"
                );
            }
            print!("{}", crate::secrets::scrub(&o));
        }
        _ => {
            if drift {
                let mut o = String::new();
                if !diffs.is_empty() {
                    let _ = writeln!(
                        o,
                        "drift on `{}`: {} difference{} from {source}:",
                        session.env.name,
                        diffs.len(),
                        if diffs.len() == 1 { "" } else { "s" }
                    );
                    o.push_str(&differences_text(&diffs));
                }
                for t in &rls {
                    let _ = writeln!(
                        o,
                        "table {t} has no row-level security, but its schema is in [policy] require_rls_in_schemas"
                    );
                }
                let _ = writeln!(
                    o,
                    "if these changes were made on purpose (an emergency fix), record them: sluice adopt --env {} --name NAME --incident ID",
                    crate::output::shell_word(&session.env.name)
                );
                eprint!("{}", crate::secrets::scrub(&o));
            } else if !project.global.quiet {
                println!(
                    "no drift: `{}` matches {source} ({} tables)",
                    session.env.name,
                    actual.tables.len()
                );
            }
        }
    }
    Ok(if drift {
        Outcome::Findings
    } else {
        Outcome::Ok
    })
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
    if from.dialect != "postgres" && !diffs.is_empty() {
        for d in &diffs {
            eprintln!("{}", d.describe());
        }
        eprintln!(
            "diff writes Postgres DDL; for {} schemas it lists the differences (above)",
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

fn change_type(diffs: &[Difference]) -> &'static str {
    let kinds: std::collections::BTreeSet<&str> = diffs.iter().map(|d| d.kind).collect();
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
    if sluice_db::backend_of(&session.env.url).ok() != Some(sluice_db::Backend::Postgres) {
        bail!(
            "adopt writes Postgres DDL and `{}` is not a Postgres database: for SQLite, write the retroactive migration by hand (`sluice verify` lists what changed)",
            session.env.name
        );
    }
    let catalog = project.catalog_with_text()?;
    let mut db = session.lock()?;
    let history = db
        .load_history()
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
    let bypass = format!("-- CI:DESTRUCTIVE_OK {}", a.incident);
    let script = sluice_schema::render(&ddl, Some(&bypass));
    let env_name = session.env.name.clone();
    let (path, version) = crate::commands::new::create(project, &a.name, |v| {
        let name = crate::commands::new::snake(&a.name);
        adopted_body(project, v, &name, &env_name, &a.incident, &diffs, &script)
    })?;
    let catalog = project.catalog_with_text()?;
    let m = catalog
        .get(&version)
        .ok_or_else(|| anyhow!("the new migration {} is not in the catalog", version))?;
    let steps = crate::runner::prepare(&[m], crate::runner::Direction::Up, project.config.dialect)?;
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
        "adopt",
        Some(m),
        "ok",
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
    let sqls = [db.upsert_sql(&row), db.audit_sql(&audit)];
    db.run_in_transaction(&[], &sqls)
        .map_err(|f| anyhow!("recording the adopted migration on `{}` failed: {}; the file {} was written: remove it (and run `sluice hash`) or run adopt again", session.env.name, f.error, m.display_path))?;
    drop(db);

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
        a.incident.replace('|', "\\|"),
        session.env.name,
        what.join("; ").replace('|', "\\|").replace('\n', " "),
        m.display_path
    );
    if let Some(dir) = register.parent() {
        std::fs::create_dir_all(dir)?;
    }
    sluice_core::ledger::write_atomic(&register, text.as_bytes())?;
    let details = json!({
        "incident": a.incident,
        "migration": m.display_path,
        "version": version.to_string(),
        "differences": diffs,
        "exceptions": project.rel(&register),
    });
    session.finish("ok", vec![], vec![], details.clone(), None);
    if project.json() {
        crate::output::print_json(&session.document("ok", &[], &[], None, details));
    } else if !project.global.quiet {
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
