//! Signals of a schema-affecting change, and the waivers that excuse one.

use super::*;

/// A line a signal matched.
pub(super) struct SignalHit {
    pub(super) path: String,
    pub(super) line: usize,
    pub(super) text: String,
}

/// A waiver line.
pub(super) struct Waiver {
    pub(super) path: Regex,
    pub(super) signal: Regex,
}

pub(super) fn waivers(project: &Project, today: &str, diags: &mut Vec<Diagnostic>) -> Vec<Waiver> {
    let g = &project.config.file.guard;
    let path = project.config.root.join(&g.exceptions);
    let display = project.rel(&path);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return vec![];
    };
    let today_days = days(today).unwrap_or(0);
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |diags: &mut Vec<Diagnostic>, msg: String| {
            diags.push(Diagnostic::new(
                sluice_lint::RuleId::GuardWaiverInvalid,
                &display,
                i + 1,
                1,
                msg,
                "write `path_glob|signal_regex|expires_yyyy-mm-dd|reason`, expiring at most max_exception_days from today; remove waivers that expired",
            ))
        };
        let f: Vec<&str> = line.splitn(4, '|').map(str::trim).collect();
        if f.len() != 4 {
            bad(
                diags,
                format!("malformed waiver `{line}`: it needs four fields separated by `|`"),
            );
            continue;
        }
        let Some(exp) = days(f[2]) else {
            bad(
                diags,
                format!("waiver expiry `{}` is not a date (yyyy-mm-dd)", f[2]),
            );
            continue;
        };
        let signal = match Regex::new(f[1]) {
            Ok(r) => r,
            Err(e) => {
                bad(
                    diags,
                    format!("waiver signal_regex `{}` is not a valid regex: {e}", f[1]),
                );
                continue;
            }
        };
        if f[3].is_empty() {
            bad(
                diags,
                "waiver has no reason: say why the model change needs no migration".into(),
            );
            continue;
        }
        if exp < today_days {
            bad(
                diags,
                format!("waiver expired on {} (today is {today})", f[2]),
            );
            continue;
        }
        if exp - today_days > i64::from(g.max_exception_days) {
            bad(
                diags,
                format!(
                    "waiver expires on {}, {} days from today: at most {} are allowed (max_exception_days)",
                    f[2],
                    exp - today_days,
                    g.max_exception_days
                ),
            );
            continue;
        }
        out.push(Waiver {
            path: glob_regex(f[0]),
            signal,
        });
    }
    out
}

/// Days since 1970-01-01 of a `yyyy-mm-dd` date.
pub(super) fn days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > mdays[(m - 1) as usize] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `[[guard.signals]]`: (path glob as a regex, pattern, pattern as written).
pub(super) fn signals(project: &Project) -> Result<Vec<(Regex, Regex, String)>> {
    project
        .config
        .file
        .guard
        .signals
        .iter()
        .map(|s| {
            let pat = Regex::new(&s.pattern).map_err(|e| {
                anyhow!(
                    "[[guard.signals]] pattern {:?} is not a valid regex: {e}",
                    s.pattern
                )
            })?;
            let paths = s
                .paths
                .iter()
                .map(|g| {
                    glob_regex(g)
                        .as_str()
                        .trim_start_matches('^')
                        .trim_end_matches('$')
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("|");
            Ok((
                Regex::new(&format!("^(?:{paths})$"))?,
                pat,
                s.pattern.clone(),
            ))
        })
        .collect::<Result<_>>()
}

/// Schema-affecting lines in a diff that adds no migration, unless waived.
pub(super) fn signal_findings(
    repo: &Repo,
    mb: &str,
    head: &str,
    all: &[Change],
    signals: &[(Regex, Regex, String)],
    waivers: &[Waiver],
) -> Result<Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let files: Vec<String> = all
        .iter()
        .flat_map(|c| [c.old.clone(), c.new.clone()])
        .flatten()
        .filter(|p| {
            repo.project_path(p)
                .is_some_and(|pp| signals.iter().any(|(g, _, _)| g.is_match(pp)))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut hits = Vec::new();
    for (path, line, text) in diff_lines(&repo.top, mb, head, &files)? {
        let Some(pp) = repo.project_path(&path) else {
            continue;
        };
        for (g, pat, _) in signals {
            if !g.is_match(pp) {
                continue;
            }
            if let Some(m) = pat.find(&text) {
                let waived = waivers.iter().any(|w| {
                    w.path.is_match(pp)
                        && (w.signal.is_match(m.as_str()) || w.signal.is_match(&text))
                });
                if !waived {
                    hits.push(SignalHit {
                        path: pp.to_string(),
                        line,
                        text: text.trim().to_string(),
                    });
                }
                break;
            }
        }
    }
    for h in hits {
        diags.push(Diagnostic::new(
            sluice_lint::RuleId::ModelChangeWithoutMigration,
            &h.path,
            h.line.max(1),
            1,
            format!(
                "schema-affecting change `{}` ({}:{}) but this diff adds no migration",
                h.text, h.path, h.line
            ),
            "add the migration that goes with it (`sluice new NAME`), or, when no schema change is needed, a waiver line in the guard exceptions file: path_glob|signal_regex|expires_yyyy-mm-dd|reason",
        ));
    }
    Ok(diags)
}
