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
    /// The byte range in the file it is about (the statement or clause), when
    /// known: the text emitter underlines it. Not part of the JSON shape.
    #[serde(skip)]
    pub span: Option<std::ops::Range<usize>>,
    /// A suggested fix, when the rule has one. Not part of the JSON shape.
    #[serde(skip)]
    pub fix: Option<Fix>,
    /// `down` for a finding on a statement of the down section (it gates
    /// `down`, never `apply`), `up` for one of the up section; absent for
    /// findings about the file, header or directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<&'static str>,
}

/// A suggested fix: what to do, and optionally the exact edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does.
    pub description: String,
    /// Replace this byte range of the file with this text.
    pub edit: Option<(std::ops::Range<usize>, String)>,
}

impl Diagnostic {
    /// This diagnostic about the byte range `span` of its file.
    pub fn with_span(mut self, span: Option<std::ops::Range<usize>>) -> Diagnostic {
        self.span = span;
        self
    }

    /// This diagnostic with a suggested fix.
    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

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
            span: None,
            fix: None,
            section: None,
        }
    }

    /// Whether it is about a statement of a down section.
    pub fn in_down_section(&self) -> bool {
        self.section == Some("down")
    }

    /// Whether it refuses `apply` (and makes `plan` say "blocked"): an
    /// error that is not about a down section. One predicate for both, so
    /// plan's verdict and apply's refusal cannot disagree.
    pub fn gates_apply(&self) -> bool {
        self.severity == Severity::Error && !self.in_down_section()
    }

    /// Whether it refuses `down` (where the environment allows `down`): an
    /// error about a statement of a down section.
    pub fn gates_down(&self) -> bool {
        self.severity == Severity::Error && self.in_down_section()
    }
}
