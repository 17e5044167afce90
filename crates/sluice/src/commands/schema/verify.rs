//! `sluice verify`: the live schema against the replayed migrations or a snapshot.

use super::*;
use sluice_db::HistoryStore as _;

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
    let (expected, source) = expected(project, &session, a, against, &actual)?;
    let diffs = compare(&expected, &actual);
    let rls = rls_missing(project, &actual);
    let drift = !diffs.is_empty() || !rls.is_empty();
    let outcome = if drift {
        crate::evidence::RunOutcome::Drift
    } else {
        crate::evidence::RunOutcome::Clean
    };
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
        Format::Markdown => print!(
            "{}",
            crate::secrets::scrub(&markdown(&session.env.name, &source, &diffs, &rls))
        ),
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

/// The expected schema and where it comes from: the snapshot, or the applied
/// migrations replayed on a scratch database.
fn expected(
    project: &Project,
    session: &Session<'_>,
    a: &VerifyArgs,
    against: Option<Schema>,
    actual: &Schema,
) -> Result<(Schema, String)> {
    Ok(match (&a.against, against) {
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
            let (applied, gates, _) = applied_migrations(&catalog, &history, session);
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
                    session,
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
    })
}

/// `verify --format markdown`.
fn markdown(env: &str, source: &str, diffs: &[Difference], rls: &[String]) -> String {
    let drift = !diffs.is_empty() || !rls.is_empty();
    let mut o = format!(
        "# Schema verification of `{}`\n\nExpected: {source}. **{}**\n\n",
        env,
        if drift { "Drift" } else { "No drift" }
    );
    if !diffs.is_empty() {
        o.push_str("| kind | object | change | expected | actual |\n|---|---|---|---|---|\n");
        for d in diffs {
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
                d.change.as_str(),
                cell(&d.expected),
                cell(&d.actual)
            );
        }
    }
    for t in rls {
        let _ = writeln!(
            o,
            "\n- table `{t}` has no row-level security (required in its schema)"
        );
    }
    o
}
