//! `sluice verify` as a typed document (its `details` in JSON) and its
//! renderers: [`text`] (drift on stderr, or the one-line all-clear) and
//! [`markdown`].

use serde::Serialize;
use sluice_schema::Difference;
use std::fmt::Write;

/// What `verify` found on one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// What the live schema was compared with (`the replay of 3 applied
    /// migrations`, or a snapshot file).
    pub expected: String,
    /// How the live schema differs from it.
    pub differences: Vec<Difference>,
    /// Tables without row-level security in a schema that requires it.
    pub rls_missing: Vec<String>,
}

impl Verification {
    /// Whether anything differs.
    pub fn drift(&self) -> bool {
        !self.differences.is_empty() || !self.rls_missing.is_empty()
    }
}

/// One line per difference, indented.
pub fn differences_text(diffs: &[Difference]) -> String {
    diffs
        .iter()
        .map(|d| format!("  {}\n", d.describe()))
        .collect()
}

/// For people: on drift, what differs and how to record it (`adopt` is
/// `adopt_command`); else the all-clear naming how many tables matched.
pub fn text(env: &str, v: &Verification, tables: usize, adopt_command: &str) -> String {
    let source = &v.expected;
    if !v.drift() {
        return format!("no drift: `{env}` matches {source} ({tables} tables)\n");
    }
    let mut o = String::new();
    if !v.differences.is_empty() {
        let n = v.differences.len();
        let _ = writeln!(
            o,
            "drift on `{env}`: {n} difference{} from {source}:",
            if n == 1 { "" } else { "s" }
        );
        o.push_str(&differences_text(&v.differences));
    }
    for t in &v.rls_missing {
        let _ = writeln!(
            o,
            "table {t} has no row-level security, but its schema is in [policy] require_rls_in_schemas"
        );
    }
    let _ = writeln!(
        o,
        "if these changes were made on purpose (an emergency fix), record them: {adopt_command}"
    );
    o
}

/// For a pull request or an incident ticket.
pub fn markdown(env: &str, v: &Verification) -> String {
    let mut o = format!(
        "# Schema verification of `{}`\n\nExpected: {}. **{}**\n\n",
        env,
        v.expected,
        if v.drift() { "Drift" } else { "No drift" }
    );
    if !v.differences.is_empty() {
        o.push_str("| kind | object | change | expected | actual |\n|---|---|---|---|---|\n");
        for d in &v.differences {
            let cell = |s: &Option<String>| {
                s.as_deref()
                    .unwrap_or("")
                    .replace('|', "\\|")
                    .replace('\n', " ")
            };
            let _ = writeln!(
                o,
                "| {} | `{}` | {} | {} | {} |",
                d.kind,
                d.object,
                d.change.as_str(),
                cell(&d.expected),
                cell(&d.actual)
            );
        }
    }
    for t in &v.rls_missing {
        let _ = writeln!(
            o,
            "\n- table `{t}` has no row-level security (required in its schema)"
        );
    }
    o
}
