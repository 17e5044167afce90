//! What the caller asks the plan for; the plan itself is the typed document
//! `sluice_report::plan::PlanReport` (its JSON shape is pinned by a test).

use super::*;

pub use sluice_report::plan::*;

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plan up to and including this version.
    pub to: Option<Version>,
    /// Server for the scratch database, overriding the environment's.
    pub scratch_url: Option<String>,
    /// Skip the scratch replay (said so in the output).
    pub no_replay: bool,
}
