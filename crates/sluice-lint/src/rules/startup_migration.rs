//! `startup-migration` (error): a deploy or config file migrates at start-up
//! (`[startup]` in sluice.toml).
//!
//! Each default file is read as its format (see [`crate::deploy`]): `.env`
//! files, a `Procfile`'s process types, `app.json` `env` and `scripts`,
//! `package.json` scripts that run at install, build or start (and the
//! scripts they call), `fly.toml`'s release command, processes and `[env]`,
//! a Dockerfile's `CMD`/`ENTRYPOINT` and `ENV`, GitHub workflow steps that
//! migrate a non-development environment, and Python settings that turn
//! `RUN_DB_MIGRATIONS_ON_STARTUP` (or `RUN_MIGRATIONS_ON_STARTUP`,
//! `MIGRATE_ON_STARTUP`, `AUTO_MIGRATE`) on. Setting `paths` in `[startup]`
//! replaces the default files (a file of none of these formats is searched
//! for the flag); setting `patterns` replaces the readers with those
//! regular expressions, searched line by line.
//!
//! **Why.** Migrations that run when the app boots run once per instance, race
//! each other, run without review or approval, and turn a bad migration into a
//! crash loop. The playbooks require migrations to be an explicit step.
//!
//! **Example.** `RUN_DB_MIGRATIONS_ON_STARTUP=true` in `.env.production`.
//!
//! **Instead.** Run `sluice apply --env production` as its own deploy step, and
//! call `sluice::verify_current` at start-up to fail fast when the schema is
//! behind.

use super::define::*;
use crate::Diagnostic;
use regex::Regex;
use std::path::Path;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "startup-migration",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a deploy/config file migrates at start-up",
    check: Check::Raised,
};

/// Default file globs.
pub const DEFAULT_PATHS: &[&str] = &[
    "**/fly.toml",
    "**/Procfile",
    "**/app.json",
    "**/package.json",
    "**/*.env*",
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "**/Dockerfile",
    "**/Dockerfile.*",
    "**/settings.py",
    "**/config.py",
    "**/settings/*.py",
    "**/config/*.py",
];

/// What a file of no known format (a `paths` entry of the team's own) is
/// searched for: a start-up flag set to a true value.
pub const DEFAULT_PATTERNS: &[&str] = &[
    r#"(?i)\b(RUN_DB_MIGRATIONS_ON_STARTUP|RUN_MIGRATIONS_ON_STARTUP|MIGRATE_ON_STARTUP|AUTO_MIGRATE)\s*[=:]\s*["']?(1|true|yes|on)\b"#,
];

/// Turns a glob (`**/`, `*`, `?`) into an anchored regex over `/` paths.
pub fn glob_regex(glob: &str) -> Regex {
    let mut re = String::from("^");
    let mut rest = glob;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**/") {
            re.push_str("(?:.*/)?");
            rest = r;
        } else if let Some(r) = rest.strip_prefix("**") {
            re.push_str(".*");
            rest = r;
        } else {
            let c = rest.chars().next().expect("non-empty");
            match c {
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    re.push('$');
    Regex::new(&re).expect("escaped glob is a valid regex")
}

const SKIP_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    "vendor",
    ".artifacts",
    ".sluice",
    ".venv",
    "venv",
    "__pycache__",
];

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(root, &path, out);
            }
        } else if ft.is_file() {
            out.push(crate::rules::display(root, &path));
        }
    }
}

/// Scans the project for start-up migrations. `paths`/`patterns` empty means
/// the defaults. Invalid patterns are returned as errors naming them.
pub fn check(
    files: &ProjectFiles,
    paths: &[String],
    patterns: &[String],
) -> Result<Vec<Diagnostic>, String> {
    let globs: Vec<Regex> = if paths.is_empty() {
        DEFAULT_PATHS.iter().map(|g| glob_regex(g)).collect()
    } else {
        paths.iter().map(|g| glob_regex(g)).collect()
    };
    let finding = |f: &str, line: usize, column: usize, message: String| {
        Diagnostic::new(
            crate::RuleId::StartupMigration,
            f,
            line,
            column,
            message,
            "run `sluice apply --env ENV` as an explicit deploy step instead, and call `sluice::verify_current` at start-up to fail fast when the schema is behind",
        )
    };
    let on_match = &mut |f: &str, line, column, _: &str, matched: &str| {
        Some(finding(
            f,
            line,
            column,
            format!("`{}` runs migrations when the application starts", matched.trim()),
        ))
    };
    if !patterns.is_empty() {
        let res: Vec<Regex> = patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| {
                    format!("[startup] patterns: {p:?} is not a valid regular expression: {e}")
                })
            })
            .collect::<Result<_, _>>()?;
        return Ok(scan(files, &globs, &res, on_match));
    }
    let flags: Vec<Regex> = DEFAULT_PATTERNS
        .iter()
        .map(|p| Regex::new(p).expect("default patterns compile"))
        .collect();
    let set = regex::RegexSet::new(globs.iter().map(Regex::as_str)).expect("globs compile");
    let mut out = Vec::new();
    for f in files.files.iter().filter(|f| set.is_match(f)) {
        let Ok(text) = std::fs::read_to_string(files.root.join(f)) else {
            continue;
        };
        // A file read as its format; one that does not parse as it (or of
        // no known format) is searched for the flag.
        match crate::deploy::format_of(f).map(|k| crate::deploy::detect(k, f, &text)) {
            Some(Ok(hits)) => out.extend(
                hits.into_iter()
                    .map(|h| finding(f, h.line, h.column, h.message)),
            ),
            _ => scan_text(f, &text, &flags, on_match, &mut out),
        }
    }
    Ok(out)
}

/// A finding for a match: (file, line, column, the whole line, the match).
pub(crate) type OnMatch<'a> = dyn FnMut(&str, usize, usize, &str, &str) -> Option<Diagnostic> + 'a;

/// The project's files (build and dependency directories left out), listed
/// once for every check that scans deploy and automation files.
#[derive(Debug, Clone)]
pub struct ProjectFiles {
    root: std::path::PathBuf,
    files: Vec<String>,
}

impl ProjectFiles {
    /// Lists the files under `root`, sorted.
    pub fn walk(root: &Path) -> ProjectFiles {
        let mut files = Vec::new();
        walk(root, root, &mut files);
        files.sort();
        ProjectFiles {
            root: root.to_path_buf(),
            files,
        }
    }
}

/// Every match of `patterns` in the project's files that `globs` name, in
/// file order.
pub(crate) fn scan(
    project: &ProjectFiles,
    globs: &[Regex],
    patterns: &[Regex],
    on: &mut OnMatch<'_>,
) -> Vec<Diagnostic> {
    // One automaton for every glob: each of the project's files (thousands of
    // migrations among them) is matched once.
    let set = regex::RegexSet::new(globs.iter().map(Regex::as_str)).expect("globs compile");
    let mut out = Vec::new();
    for f in project.files.iter().filter(|f| set.is_match(f)) {
        let Ok(text) = std::fs::read_to_string(project.root.join(f)) else {
            continue;
        };
        scan_text(f, &text, patterns, on, &mut out);
    }
    out
}

/// Every match of `patterns` in `text` (the file `f`).
fn scan_text(
    f: &str,
    text: &str,
    patterns: &[Regex],
    on: &mut OnMatch<'_>,
    out: &mut Vec<Diagnostic>,
) {
    for re in patterns {
        for m in re.find_iter(text) {
            let before = &text[..m.start()];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = text[start..m.start()].chars().count() + 1;
            let end = text[m.start()..]
                .find('\n')
                .map_or(text.len(), |i| m.start() + i);
            out.extend(on(f, line, column, &text[start..end], m.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_regex("**/*.env*").is_match(".env.production"));
        assert!(glob_regex("**/*.env*").is_match("deploy/prod.env"));
        assert!(glob_regex(".github/workflows/*.yml").is_match(".github/workflows/deploy.yml"));
        assert!(!glob_regex(".github/workflows/*.yml").is_match(".github/workflows/x/deploy.yml"));
        assert!(glob_regex("app/models/**/*.py").is_match("app/models/a/b.py"));
    }

    #[test]
    fn every_default_pattern_fires_and_zero_does_not() {
        let d = tempfile::tempdir().unwrap();
        let w = |p: &str, body: &str| {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        };
        w(
            ".env.production",
            "PORT=3000\nRUN_DB_MIGRATIONS_ON_STARTUP=1\n",
        );
        w(
            "deploy/staging.env",
            "RUN_DB_MIGRATIONS_ON_STARTUP = \"true\"\n",
        );
        w(
            ".github/workflows/deploy.yml",
            "env:\n  RUN_DB_MIGRATIONS_ON_STARTUP: true\n",
        );
        w(
            "fly.toml",
            "[deploy]\n  release_command = \"npx prisma migrate deploy\"\n",
        );
        w(
            "Procfile",
            "web: node server.js\nrelease: npx prisma migrate deploy\n",
        );
        w(
            "app.json",
            "{\"scripts\": {\"postdeploy\": \"dbmate migrate up\"}}\n",
        );
        w(
            "package.json",
            "{\"scripts\": {\"start\": \"prisma migrate deploy && node index.js\"}}\n",
        );
        w("Dockerfile", "FROM python:3.12\nCMD alembic -c alembic.ini upgrade head && gunicorn app\n");
        w("Procfile.dev", "web: node db/migrate.mjs up && node server.js\n");
        w(".env.local", "RUN_DB_MIGRATIONS_ON_STARTUP=0\n");
        w("src/.env.example", "RUN_DB_MIGRATIONS_ON_STARTUP=false\n");
        w(
            "docs/notes.md",
            "RUN_DB_MIGRATIONS_ON_STARTUP=1 (a file that is not configured)\n",
        );
        let found = check(&ProjectFiles::walk(d.path()), &[], &[]).unwrap();
        let files: Vec<(&str, usize)> = found.iter().map(|d| (d.path.as_str(), d.line)).collect();
        assert_eq!(
            files,
            vec![
                (".env.production", 2),
                (".github/workflows/deploy.yml", 2),
                ("Dockerfile", 2),
                ("Procfile", 2),
                ("app.json", 1),
                ("deploy/staging.env", 1),
                ("fly.toml", 2),
                ("package.json", 1),
            ]
        );
        assert!(check(&ProjectFiles::walk(d.path()), &[], &["(".into()]).is_err());
    }
}
