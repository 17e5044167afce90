//! A diagnostic is plain data.

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Reported, does not fail the run.
    Warn,
    /// Fails the run (exit 1).
    Error,
}

impl Severity {
    /// `error` or `warn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule id.
    pub rule: &'static str,
    /// Its severity after configuration.
    pub severity: Severity,
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl Diagnostic {
    /// A diagnostic at the rule's default severity.
    pub fn new(
        rule: crate::RuleId,
        path: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            rule: rule.as_str(),
            severity: rule.info().severity,
            path: path.into(),
            line: line.max(1),
            column: column.max(1),
            message: message.into(),
            help: help.into(),
        }
    }
}
