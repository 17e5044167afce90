//! `sluice verify`: the live schema against the replayed migrations or a snapshot.

use super::*;

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
    let doc = sluice_report::verify::Verification {
        expected: source,
        differences: diffs,
        rls_missing: rls,
    };
    let details = serde_json::to_value(&doc)?;
    session.finish(outcome, vec![], findings.clone(), details.clone(), None);
    let env = &session.env.name;
    match project.global.format {
        Format::Json => {
            crate::output::print_json(&session.document(outcome, &[], &findings, None, details))
        }
        Format::Markdown => print!(
            "{}",
            crate::secrets::scrub(&sluice_report::verify::markdown(env, &doc))
        ),
        _ => {
            let adopt = format!(
                "sluice adopt --env {} --name NAME --incident ID",
                crate::output::shell_word(env)
            );
            let text = sluice_report::verify::text(env, &doc, actual.tables.len(), &adopt);
            if drift {
                eprint!("{}", crate::secrets::scrub(&text));
            } else if !project.global.quiet {
                print!("{text}");
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
            let history = crate::state::load_history(&mut *session.connect()?, &catalog)
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
