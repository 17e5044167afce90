//! Rule documentation pages, generated from each rule file's `//!` block.
//!
//! `docs/rules/<id>.md` and `docs/rules/README.md` are checked in; the test
//! `docs_are_current` fails when they differ from what the sources say. Run it
//! with `SLUICE_UPDATE_DOCS=1` to rewrite them.

use crate::registry::{Group, RULES};
use crate::rules::RULE_SOURCES;

fn doc_block(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The page for one rule.
pub fn page(id: &str) -> Option<String> {
    let info = RULES.iter().find(|r| r.id == id)?;
    let body = RULE_SOURCES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, src)| doc_block(src))
        .unwrap_or_else(|| format!("`{id}`: {}.", info.summary));
    let risk = info.risk.map(|r| r.as_str()).unwrap_or("—");
    Some(format!(
        "# {id}\n\n| default severity | risk | group | dialects |\n|---|---|---|---|\n| {} | {risk} | {} | {} |\n\n{body}\n\nSeverity can be changed in `sluice.toml`: `[rules]` `{id} = \"error\" | \"warn\" | \"off\"`.\n",
        info.severity.as_str(),
        group(info.group),
        dialects(info.dialects),
    ))
}

fn dialects(d: crate::registry::Dialects) -> &'static str {
    use crate::registry::Dialects;
    match d {
        Dialects::All => "all",
        Dialects::Postgres => "postgres",
        Dialects::Mysql => "mysql, mariadb",
        Dialects::NotMysql => "postgres, sqlite",
    }
}

fn group(g: Group) -> &'static str {
    match g {
        Group::Contract => "contract",
        Group::Statement => "statement",
        Group::Destructive => "destructive (needs a `CI:DESTRUCTIVE_OK` bypass)",
        Group::Gate => "gate (checked at apply time)",
    }
}

/// The index of every rule.
pub fn index() -> String {
    let mut s = String::from("# Rules\n\nEvery diagnostic sluice reports carries one of these ids. Generated from the rule sources; do not edit by hand.\n\n| id | severity | risk | group | dialects | fires when |\n|---|---|---|---|---|---|\n");
    for r in RULES {
        let link = if RULE_SOURCES.iter().any(|(i, _)| *i == r.id) {
            format!("[`{}`]({}.md)", r.id, r.id)
        } else {
            format!("`{}`", r.id)
        };
        s.push_str(&format!(
            "| {link} | {} | {} | {} | {} | {}{} |\n",
            r.severity.as_str(),
            r.risk.map(|x| x.as_str()).unwrap_or("—"),
            group(r.group),
            dialects(r.dialects),
            r.summary,
            if r.implemented {
                ""
            } else {
                " (not enforced yet)"
            }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn docs_are_current() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
        let update = std::env::var("SLUICE_UPDATE_DOCS").is_ok_and(|v| v == "1");
        let mut expected: Vec<(PathBuf, String)> = vec![(dir.join("README.md"), index())];
        for (id, _) in RULE_SOURCES {
            expected.push((dir.join(format!("{id}.md")), page(id).expect("registered")));
        }
        let mut stale = Vec::new();
        for (path, text) in &expected {
            if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                if update {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(path, text).unwrap();
                } else {
                    stale.push(path.display().to_string());
                }
            }
        }
        assert!(stale.is_empty(), "rule docs are stale; run `SLUICE_UPDATE_DOCS=1 cargo test -p sluice-lint docs_are_current`:\n{}", stale.join("\n"));
    }

    #[test]
    fn every_rule_with_a_file_has_a_real_page() {
        for (id, src) in RULE_SOURCES {
            assert!(RULES.iter().any(|r| r.id == *id), "{id} is not registered");
            let d = doc_block(src);
            assert!(
                d.contains("**Why.**") && d.contains("**Example.**") && d.contains("**Instead.**")
                    || [
                        "filename-contract",
                        "duplicate-version",
                        "ledger-missing",
                        "ledger-mismatch",
                        "ledger-orphan",
                        "ledger-tampered",
                        "header-missing",
                        "header-invalid"
                    ]
                    .contains(id),
                "{id}: its doc needs Why, Example and Instead"
            );
        }
    }
}
