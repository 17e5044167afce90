//! A migration another program runs (`[migrations] run` / `run_down`): one
//! child process per migration, under sluice's lock and gates.
//!
//! The history row says `dirty` before the child starts, so a crash or a kill
//! of sluice or the child at any point leaves the migration dirty, never
//! applied. The child gets the database URL in the variable its
//! configuration reads (`url_env`), never on its command line, and the
//! environment's timeouts in `PGOPTIONS` (read by libpq-based clients). It
//! exits 0: the migration is recorded applied (or, for a down, removed) with
//! its audit row in one transaction. It exits otherwise, or cannot start: the
//! migration stays dirty, with the exit code and the tail of its output
//! (scrubbed of secrets), until `sluice resolve`.

use super::*;
use sluice_db::HistoryStore as _;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};

/// How to run one migration with another program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The command line for this migration (placeholders already filled),
    /// run with `sh -c`.
    pub line: String,
    /// The variable the child reads the database URL from.
    pub url_env: String,
    /// Where the child runs (the project root).
    pub cwd: PathBuf,
    /// The tool's own record of what is applied, read before and after the
    /// child (Alembic's `alembic_version`), when the migration has one.
    pub record: Option<sluice_db::foreign::Tool>,
}

/// The project's runner: `[migrations] run` and `run_down`, with `{path}`
/// (the migration's file, relative to the project root and shell-quoted),
/// `{version}` (also `{revision}`), `{name}` and, in a revision graph,
/// `{previous}` (the downgrade target that reverses this revision alone)
/// filled per migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    /// Applies one migration.
    pub run: String,
    /// Reverses one migration, when the project has a way to.
    pub run_down: Option<String>,
    /// The variable the child reads the database URL from.
    pub url_env: String,
    /// The project root.
    pub cwd: PathBuf,
}

impl Runner {
    /// The command for `m` in `direction`.
    pub fn command_for(&self, m: &Migration, direction: Direction) -> anyhow::Result<Command> {
        let template = match direction {
            Direction::Up => &self.run,
            Direction::Down => self.run_down.as_ref().ok_or_else(|| {
                anyhow::anyhow!(
                    "migration {} is run by another program and [migrations] run_down is not set: say how to reverse one migration (for example `node db/migrate.mjs down {{path}}`)",
                    m.version
                )
            })?,
        };
        let line = template
            .replace("{path}", &crate::shell_word(m.header_path()))
            .replace("{version}", &crate::shell_word(m.version.as_str()))
            .replace("{revision}", &crate::shell_word(m.version.as_str()))
            .replace(
                "{previous}",
                &crate::shell_word(m.previous.as_deref().unwrap_or("base")),
            )
            .replace("{name}", &crate::shell_word(&m.name));
        Ok(Command {
            line,
            url_env: self.url_env.clone(),
            cwd: self.cwd.clone(),
            record: m
                .previous
                .is_some()
                .then_some(sluice_db::foreign::Tool::Alembic),
        })
    }
}

/// How much of the child's output is kept.
const TAIL: usize = 2000;

/// Runs a step through its command.
pub(super) fn run(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    command: &Command,
) -> Result<MigrationRecord, Box<Stop>> {
    let step = cx.step;
    let m = step.migration;
    if let Some(program) = missing_program(command) {
        return Err(Box::new(Stop {
            at: None,
            record: record(step, RecordResult::Failed, 0, cx.start, Some(format!("`{program}` not found"))),
            message: format!(
                "migration {}: `{program}` (the program in `{}`) was not found on PATH or under {}: nothing ran and nothing was recorded; install it, or set [migrations] run (and run_down) to the command that applies one migration",
                m.version,
                command.line,
                command.cwd.display()
            ),
        }));
    }
    let mut row = info.row(
        step,
        Status::Dirty,
        0,
        Some(format!(
            "{} in progress: `{}` started",
            cx.verb, command.line
        )),
    );
    row.execution_ms = Some(0);
    let mark = db.upsert_sql(&row);
    if let Err(f) = db.run_in_transaction(&[], &[mark]) {
        return Err(Box::new(Stop {
            at: None,
            record: record(
                step,
                RecordResult::Failed,
                0,
                cx.start,
                Some(f.error.to_string()),
            ),
            message: format!(
                "migration {}: could not record that it is starting: {}; nothing was run",
                m.version, f.error
            ),
        }));
    }
    let before = heads(db, command);
    let outcome = spawn(info, command).and_then(|()| recorded_by_tool(db, cx, command));
    match outcome {
        Ok(()) => {
            let book = done_bookkeeping(db, info, cx, Some(cx.start.elapsed().as_millis() as i64));
            match db.run_in_transaction(&[], &book) {
                Ok(()) => Ok(completed(step, 0, cx.start)),
                Err(f) => Err(Box::new(Stop {
                    at: None,
                    record: record(step, RecordResult::Dirty, 0, cx.start, Some(f.error.to_string())),
                    message: format!(
                        "migration {}: `{}` succeeded, but recording that failed ({}); it stays dirty: run `sluice resolve {} --env {} --applied --reason \"...\"`",
                        m.version,
                        command.line,
                        f.error,
                        m.version,
                        crate::shell_word(&info.env.name)
                    ),
                })),
            }
        }
        // The tool's record is as before and its transaction covers DDL:
        // nothing of the migration remains.
        Err(why) if before.is_some() && before == heads(db, command) && rolls_back(db, command) => {
            Err(rolled_back(db, info, cx, command, why))
        }
        Err(why) => Err(failed(db, info, cx, command, why)),
    }
}

/// The heads the tool records (None: it keeps no record, or it cannot be
/// read).
fn heads(db: &mut LockGuard, command: &Command) -> Option<Vec<String>> {
    let tool = command.record?;
    match sluice_db::foreign::read(tool, db.executor()) {
        Ok(Some(sluice_db::foreign::History::Heads(h))) => Some(h),
        Ok(None) => Some(vec![]),
        _ => None,
    }
}

/// Whether the tool runs a migration in one transaction that DDL takes part
/// in on this database, so that a failure leaves nothing.
fn rolls_back(db: &LockGuard, command: &Command) -> bool {
    command
        .record
        .is_some_and(|tool| tool.rolls_back_on(db.backend()))
}

/// A child that exited 0 must have left the tool's record saying so: after
/// an upgrade the revision is a head, after a downgrade it is not.
fn recorded_by_tool(db: &mut LockGuard, cx: &StepCx<'_>, command: &Command) -> Result<(), String> {
    let (Some(tool), Some(now)) = (command.record, heads(db, command)) else {
        return Ok(());
    };
    let id = cx.step.migration.version.as_str();
    let holds = now.iter().any(|h| h == id);
    let up = cx.step.direction == Direction::Up;
    if holds == up {
        return Ok(());
    }
    Err(format!(
        "`{}` exited 0, but {} {} revision {id} (it holds: {})",
        command.line,
        tool.table(),
        if up {
            "does not record"
        } else {
            "still records"
        },
        if now.is_empty() {
            "nothing".to_string()
        } else {
            now.join(", ")
        }
    ))
}

/// The child failed and the tool's record shows its transaction rolled
/// back: an up is `failed` (the next apply runs it again), a down leaves the
/// migration applied; an audit row either way.
fn rolled_back(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    command: &Command,
    why: String,
) -> Box<Stop> {
    let step = cx.step;
    let m = step.migration;
    let up = step.direction == Direction::Up;
    let mut row = if up {
        info.row(step, Status::Failed, 0, Some(why.clone()))
    } else {
        info.row(step, Status::Applied, 0, None)
    };
    row.execution_ms = Some(cx.start.elapsed().as_millis() as i64);
    let book = [
        db.upsert_sql(&row),
        db.audit_sql(&info.audit(
            sluice_db::AuditKind::Failure,
            Some(m),
            sluice_db::AuditOutcome::Failed,
            Some(format!("{} failed: {why}", cx.verb)),
            cx.details(serde_json::json!({ "command": command.line })),
        )),
    ];
    let mut message = format!(
        "migration {} ({}): {why}\n  its runner rolled its transaction back (its record is unchanged): nothing of it was {}, and nothing after it ran",
        m.version,
        m.display_path,
        if up { "applied" } else { "reverted" }
    );
    if let Err(e) = db.run_in_transaction(&[], &book) {
        message.push_str(&format!(
            "\n  recording the failure also failed: {}",
            e.error
        ));
    }
    Box::new(Stop {
        at: None,
        record: record(step, RecordResult::Failed, 0, cx.start, Some(why)),
        message,
    })
}

/// The program a command line starts, when it can be told and is not there
/// (so that a missing tool fails before the migration is marked dirty).
/// Shell syntax and builtins are left to the shell.
fn missing_program(command: &Command) -> Option<String> {
    let words = shlex::split(&command.line)?;
    let program = words
        .iter()
        .find(|w| !(w.contains('=') && !w.starts_with('=') && !w.contains('/')))?;
    const SHELL: &[&str] = &[
        "cd", "exec", "env", "set", "export", ".", "source", "if", "for", "while", "case", "!",
        "(", "{", "test", "[", "true", "false", "echo", "printf", "command", "eval",
    ];
    if SHELL.contains(&program.as_str()) || program.contains(['$', '`', '(', ';', '|', '&']) {
        return None;
    }
    let found = if program.contains('/') {
        command.cwd.join(program).exists()
    } else {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
    };
    (!found).then(|| program.clone())
}

/// Runs the child; Err says how it failed (exit code and output tail).
fn spawn(info: &RunInfo<'_>, command: &Command) -> Result<(), String> {
    let mut options = Vec::new();
    if let Some(t) = info.env.lock_timeout {
        options.push(format!("-c lock_timeout={}ms", t.as_millis()));
    }
    if let Some(t) = info.env.statement_timeout {
        options.push(format!("-c statement_timeout={}ms", t.as_millis()));
    }
    for v in &info.env.session {
        // libpq splits PGOPTIONS at spaces; a backslash keeps one.
        let value = v.value.replace('\\', "\\\\").replace(' ', "\\ ");
        options.push(format!("-c {}={value}", v.name));
    }
    let mut child = Process::new("sh");
    child
        .arg("-c")
        .arg(&command.line)
        .current_dir(&command.cwd)
        .env(&command.url_env, &info.env.url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !options.is_empty() {
        child.env("PGOPTIONS", options.join(" "));
    }
    let out = child
        .output()
        .map_err(|e| format!("`{}` could not be started: {e}", command.line))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let text = text.trim();
    let tail: String = {
        let skip = text.chars().count().saturating_sub(TAIL);
        text.chars().skip(skip).collect()
    };
    let how = match out.status.code() {
        // The shell reports a command killed by signal N as 128 + N.
        Some(c) if (129..=192).contains(&c) => {
            format!("was killed by a signal ({}; its shell exited {c})", c - 128)
        }
        Some(c) => format!("exited with code {c}"),
        None => "was killed by a signal".into(),
    };
    Err(crate::secrets::scrub(&format!(
        "`{}` {how}{}",
        command.line,
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        }
    )))
}

/// The child failed: the migration stays dirty, with why and an audit row.
fn failed(
    db: &mut LockGuard,
    info: &RunInfo<'_>,
    cx: &StepCx<'_>,
    command: &Command,
    why: String,
) -> Box<Stop> {
    let step = cx.step;
    let m = step.migration;
    let recorded = record_dirty(
        db,
        info,
        cx,
        0,
        &format!("{} failed: {why}", cx.verb),
        serde_json::json!({ "command": command.line }),
    );
    let mut message = format!(
        "migration {} ({}): {why}\n  another program ran it, so sluice cannot tell what it left behind: the migration is now dirty\n  inspect the database, then run `sluice resolve {} --env {} --applied|--rolled-back --reason \"...\"`; nothing runs against this database until then",
        m.version,
        m.display_path,
        m.version,
        crate::shell_word(&info.env.name)
    );
    message.push_str(&recorded);
    Box::new(Stop {
        at: None,
        record: record(step, RecordResult::Dirty, 0, cx.start, Some(why)),
        message,
    })
}
