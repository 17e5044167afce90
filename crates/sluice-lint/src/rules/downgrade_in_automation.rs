//! `downgrade-in-automation` (error): a deploy workflow, release command or
//! container start runs a downgrade (`alembic downgrade`, `migrate down`,
//! `node … down`, `sluice down`) for an environment that is not dev.
//!
//! **Why.** The playbooks forbid downgrades outside dev: a downgrade drops
//! what the upgrade created, with its data, and a pipeline that runs one does
//! so without the approvals and the review a destructive change needs.
//!
//! **Example.** `run: alembic downgrade -1` in `.github/workflows/deploy.yml`.
//!
//! **Instead.** Roll forward with a new migration. A job that only ever
//! targets a development database says so on the line (`--env dev`, a
//! `development` or `test` name), which this rule accepts.

use super::define::*;
use super::startup_migration::{glob_regex, scan, ProjectFiles};
use crate::Diagnostic;
use regex::Regex;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "downgrade-in-automation",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a deploy workflow or release command runs a downgrade outside dev",
    check: Check::Raised,
};

/// Where automation lives.
pub const PATHS: &[&str] = &[
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    "Procfile",
    "fly.toml",
    "app.json",
    "package.json",
    "**/Dockerfile",
    "**/Dockerfile.*",
];

/// A runner's downgrade command.
const DOWNGRADE: &str = r"(alembic\s+(-c\s+\S+\s+)?downgrade|migrate\s+(down|rollback)|node\s+\S*migrat\S*\s+down|sluice\s+down)\b";

/// A line that names a development environment.
const DEV: &str = r"(?i)\b(dev|development|test|testing|local|ci)\b";

/// Scans the project's automation for downgrades outside dev.
pub fn check(files: &ProjectFiles) -> Vec<Diagnostic> {
    let globs: Vec<Regex> = PATHS.iter().map(|g| glob_regex(g)).collect();
    let pattern = [Regex::new(DOWNGRADE).expect("valid")];
    let dev = Regex::new(DEV).expect("valid");
    scan(files, &globs, &pattern, &mut |file, line, column, text, matched| {
        (!dev.is_match(text)).then(|| {
            Diagnostic::new(
                crate::RuleId::DowngradeInAutomation,
                file,
                line,
                column,
                format!("`{}` runs a downgrade from automation, for an environment that is not dev", matched.trim()),
                "roll forward with a new migration instead; if this job only targets a development database, name it on the line (`--env dev`)",
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrades_outside_dev_fire() {
        let d = tempfile::tempdir().unwrap();
        let w = |p: &str, body: &str| {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        };
        w(
            ".github/workflows/deploy.yml",
            "jobs:\n  rollback:\n    steps:\n      - run: alembic downgrade -1\n      - run: alembic -c alembic.ini downgrade base --env dev\n",
        );
        w("package.json", "{\"scripts\": {\"rollback\": \"node db/migrate.mjs down\"}}\n");
        w("Procfile", "release: sluice down --env production\n");
        w("docs/runbook.md", "alembic downgrade -1\n");
        let found: Vec<(String, usize)> = check(&ProjectFiles::walk(d.path()))
            .into_iter()
            .map(|x| (x.path, x.line))
            .collect();
        assert_eq!(
            found,
            [
                (".github/workflows/deploy.yml".to_string(), 4),
                ("Procfile".to_string(), 1),
                ("package.json".to_string(), 1),
            ]
        );
    }
}
