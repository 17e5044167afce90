//! `sluice docs [TOPIC]`: the guides shipped in the binary (the `docs/`
//! directory of sluice's repository, as of this build), so a project's
//! `sluice.toml` can point at a reference that is always there and always
//! matches the binary. Without a topic, the list.

use crate::cli::Outcome;
use anyhow::{bail, Result};
use clap::Args;

/// Options for `docs`.
#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The guide to print (`configuration`, `governance`, ...); none lists them.
    pub topic: Option<String>,
}

/// Every guide, by topic.
pub const GUIDES: &[(&str, &str)] = &[
    ("analysis", include_str!("../../../../docs/analysis.md")),
    (
        "architecture",
        include_str!("../../../../docs/architecture.md"),
    ),
    ("cache", include_str!("../../../../docs/cache.md")),
    (
        "configuration",
        include_str!("../../../../docs/configuration.md"),
    ),
    ("drift", include_str!("../../../../docs/drift.md")),
    ("governance", include_str!("../../../../docs/governance.md")),
    ("guard", include_str!("../../../../docs/guard.md")),
    ("json", include_str!("../../../../docs/json.md")),
    ("layouts", include_str!("../../../../docs/layouts.md")),
    ("migrations", include_str!("../../../../docs/migrations.md")),
    ("mysql", include_str!("../../../../docs/mysql.md")),
    ("plan", include_str!("../../../../docs/plan.md")),
    ("runner", include_str!("../../../../docs/runner.md")),
    ("runners", include_str!("../../../../docs/runners.md")),
];

/// Runs `docs`.
pub fn run(a: &DocsArgs) -> Result<Outcome> {
    match &a.topic {
        None => {
            println!("guides (sluice docs TOPIC):");
            for (topic, text) in GUIDES {
                let title = text.lines().next().unwrap_or("").trim_start_matches("# ");
                println!("  {topic:<14} {title}");
            }
        }
        Some(t) => match GUIDES.iter().find(|(topic, _)| topic == t) {
            Some((_, text)) => print!("{text}"),
            None => bail!(
                "no guide `{t}`; the guides are: {}",
                GUIDES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
    Ok(Outcome::Ok)
}
