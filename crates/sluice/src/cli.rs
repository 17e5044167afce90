//! Command-line interface: clap definitions, dispatch, and the one place where
//! outcomes become exit codes.

use crate::commands;
use crate::project::Project;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// What a command concluded (errors are the third outcome, exit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: findings, a refusal by a gate, or (with `--exit-code`) a state
    /// that is not clean.
    Findings,
    /// Exit 2 after the command has already reported what failed (a migration
    /// that failed while applying).
    Failed,
    /// Exit 3: warnings and no error, with `--fail-on warn` (`check`,
    /// `guard`).
    Warnings,
}

/// What makes `check` and `guard` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Error-severity findings (exit 1).
    Error,
    /// Warnings too: exit 3 when warnings remain and no error does.
    Warn,
}

/// The outcome of a linting command (`check`, `guard`) over its findings.
pub fn lint_outcome(g: &Global, diags: &[sluice_lint::Diagnostic]) -> Outcome {
    use sluice_lint::Severity;
    if diags.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else if g.fail_on == FailOn::Warn && diags.iter().any(|d| d.severity == Severity::Warn) {
        Outcome::Warnings
    } else {
        Outcome::Ok
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON object (see docs/json.md).
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// GitLab Code Quality JSON (`check`, `guard`, `plan`).
    Gitlab,
    /// JUnit XML, one test case per migration (`check`, `guard`, `plan`).
    Junit,
    /// One self-contained HTML page for reviewers (`report`, `plan`).
    Html,
    /// GitHub Actions workflow annotations.
    Github,
    /// Markdown (`report`).
    Markdown,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Run as if started in DIR (the project root).
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Configuration file [env: SLUICE_CONFIG] (default: ./sluice.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Environment from sluice.toml [env: SLUICE_ENV] (default: dev).
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Database URL, overriding the environment's url and DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print only errors: error-severity findings and failures, no warnings.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The work order this run belongs to: `{work_order}` in `[evidence]
    /// path`.
    #[arg(long, global = true, env = "SLUICE_WORK_ORDER", value_name = "ID")]
    pub work_order: Option<String>,
    /// What fails `check` and `guard`: `error` findings (exit 1), or `warn`
    /// too (exit 3 when only warnings remain).
    #[arg(long, global = true, value_enum, default_value_t = FailOn::Error, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Say more (where the URL came from, timings).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Read every migration file and analyse every migration again, ignoring
    /// and not writing `.sluice/cache/` [env: SLUICE_NO_CACHE=1].
    #[arg(long, global = true, env = "SLUICE_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

/// sluice: database migrations as enforced policy.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write sluice.toml, the migrations directory and an empty ledger.
    Init(commands::init::InitArgs),
    /// Print a guide shipped with this binary (configuration, governance, ...).
    Docs(commands::docs::DocsArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one per command into --out DIR.
    Man(ManArgs),
    /// The configuration: its JSON Schema, or the resolved values with their sources.
    Config(commands::config::ConfigArgs),
    /// Create a migration with a valid header, and add it to the ledger.
    New(commands::new::NewArgs),
    /// Run the static rules over the migrations directory (no database).
    Check,
    /// Rewrite the ledger (checksums.json) after an intended change.
    Hash(commands::hash::HashArgs),
    /// The pull-request check over a git diff: immutability, ordering, model changes without a migration.
    Guard(commands::guard::GuardArgs),
    /// What apply would do now, proven on a scratch database: pending, risk, gates, observed locks, sizes, rollback guide.
    Plan(commands::plan::PlanArgs),
    /// Apply pending migrations.
    Apply(commands::apply::ApplyArgs),
    /// Show applied, pending, modified, missing and dirty migrations.
    Status(commands::status::StatusArgs),
    /// Reverse applied migrations where the environment allows it.
    Down(commands::down::DownArgs),
    /// Drop everything and apply every migration again (only where allow_reset = true).
    Reset(commands::reset::ResetArgs),
    /// Clear a dirty migration after inspecting it, with an audited reason.
    Resolve(commands::resolve::ResolveArgs),
    /// Record an approval of a migration for an environment.
    Approve(commands::approve::ApproveArgs),
    /// Compare the live schema with the expected one (drift); exit 1 on drift.
    Verify(commands::schema::VerifyArgs),
    /// Write the live schema as a JSON snapshot.
    Snapshot(commands::schema::SnapshotArgs),
    /// Postgres DDL that turns one schema (URL or snapshot) into another.
    Diff(commands::schema::DiffArgs),
    /// Turn drift into a retroactive migration recorded as adopted; append to EXCEPTIONS.md.
    Adopt(commands::schema::AdoptArgs),
    /// Take over a database's history: another tool's table (--from), or a database migrated by hand (--to).
    Baseline(commands::baseline::BaselineArgs),
    /// Evidence pack for a pull request: per pending migration, what changes and how to roll back.
    Report(commands::report::ReportArgs),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    // `sluice check | head` closes stdout early: leave quietly, as Unix tools do,
    // instead of panicking in `println!`.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        // A panic message may quote its input (a URL, say): never print it
        // unredacted.
        if msg.is_empty() {
            default_hook(info);
        } else {
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!(
                "sluice panicked{at}: {}\nthis is a bug in sluice: please report it",
                crate::secrets::scrub_nonblocking(msg)
            );
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let json = cli.global.format == Format::Json;
    let command = command_name(&cli.command);
    match run(cli) {
        Ok(Outcome::Ok) => 0,
        Ok(Outcome::Findings) => 1,
        Ok(Outcome::Failed) => 2,
        Ok(Outcome::Warnings) => 3,
        Err(e) => {
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{}", crate::secrets::scrub(&msg));
            // `--format json` readers get one object on stdout, whatever
            // stopped the command (a bad config, a refused connection).
            if json {
                crate::output::print_json(&error_json(command, &e));
            }
            2
        }
    }
}

/// The subcommand's name, as typed (`check`, `apply`, `snapshot`).
fn command_name(c: &Command) -> String {
    use clap::CommandFactory;
    let debug = format!("{c:?}");
    let variant = debug
        .split(|ch: char| !ch.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .find(|n| n.replace('-', "") == variant)
        .unwrap_or(variant)
}

/// The JSON document of a command that failed before or during its work:
/// `error.kind` (`config`, `io`, `not-utf8`, `ledger`, `connection`,
/// `error`), `error.message` (secrets redacted), and `error.path` /
/// `error.line` when the error is about a place in a file.
fn error_json(command: String, e: &anyhow::Error) -> serde_json::Value {
    use sluice_core::CoreError;
    let message = crate::secrets::scrub(
        &e.chain()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(": "),
    );
    let line_in = |m: &str| {
        m.split("line ")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<usize>().ok())
    };
    let (kind, path, line) = match e.chain().find_map(|c| c.downcast_ref::<CoreError>()) {
        Some(CoreError::Config { path, message }) => {
            ("config", Some(path.clone()), line_in(message))
        }
        Some(CoreError::Io { path, .. }) => ("io", Some(path.clone()), None),
        Some(CoreError::NotUtf8 { path, line, .. }) => {
            ("not-utf8", Some(path.clone()), Some(*line))
        }
        Some(CoreError::LedgerSyntax { path, line, .. }) => {
            ("ledger", Some(path.clone()), Some(*line))
        }
        _ if [
            "cannot connect",
            "could not connect",
            "cannot open the database",
            "onnection refused",
        ]
        .iter()
        .any(|m| message.contains(m)) =>
        {
            ("connection", None, None)
        }
        _ => ("error", None, None),
    };
    let mut error = serde_json::json!({ "kind": kind, "message": message });
    if let Some(p) = path {
        error["path"] = serde_json::Value::String(p.display().to_string());
    }
    if let Some(l) = line {
        error["line"] = serde_json::json!(l);
    }
    serde_json::json!({
        "schema_version": crate::output::SCHEMA_VERSION,
        "command": command,
        "outcome": "error",
        "error": error,
    })
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let g = &cli.global;
    match &cli.command {
        Command::Init(a) => return commands::init::run(g, a),
        Command::Docs(a) => return commands::docs::run(a),
        Command::Completions(a) => return completions(a),
        Command::Man(a) => return man(a),
        Command::Config(commands::config::ConfigArgs {
            what: commands::config::ConfigCommand::Schema,
        }) => return commands::config::run_schema(),
        _ => {}
    }
    let project = Project::load(g)?;
    match &cli.command {
        Command::Init(_) | Command::Docs(_) | Command::Completions(_) | Command::Man(_) => {
            unreachable!("handled above")
        }
        Command::Config(a) => match a.what {
            commands::config::ConfigCommand::Schema => commands::config::run_schema(),
            commands::config::ConfigCommand::Show => commands::config::run_show(&project),
        },
        Command::New(a) => commands::new::run(&project, a),
        Command::Check => commands::check::run(&project),
        Command::Hash(a) => commands::hash::run(&project, a),
        Command::Guard(a) => commands::guard::run(&project, a),
        Command::Plan(a) => commands::plan::run(&project, a),
        Command::Apply(a) => commands::apply::run(&project, a),
        Command::Status(a) => commands::status::run(&project, a),
        Command::Down(a) => commands::down::run(&project, a),
        Command::Reset(a) => commands::reset::run(&project, a),
        Command::Resolve(a) => commands::resolve::run(&project, a),
        Command::Approve(a) => commands::approve::run(&project, a),
        Command::Report(a) => commands::report::run(&project, a),
        Command::Verify(a) => commands::schema::verify(&project, a),
        Command::Snapshot(a) => commands::schema::snapshot(&project, a),
        Command::Diff(a) => commands::schema::diff(&project, a),
        Command::Adopt(a) => commands::schema::adopt(&project, a),
        Command::Baseline(a) => commands::baseline::run(&project, a),
    }
}

/// Options for `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Options for `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `sluice.1` and one `sluice-COMMAND.1` per command into DIR
    /// (created) instead of printing `sluice.1`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Prints the completion script for a shell, generated from the same clap
/// definitions that parse the command line.
fn completions(a: &CompletionsArgs) -> anyhow::Result<Outcome> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "sluice", &mut std::io::stdout());
    Ok(Outcome::Ok)
}

/// Prints `sluice.1`, or writes every page into `--out`.
fn man(a: &ManArgs) -> anyhow::Result<Outcome> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    match &a.out {
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(cmd, dir)?;
        }
    }
    Ok(Outcome::Ok)
}
