//! `domain-reference-missing` (error): a migration's header declares a
//! data domain (`TOUCHES_PRIVACY: Yes`) but no header field cites what the
//! domain's `reference` pattern asks for (such as a document under
//! `docs/privacy/`). Raised by the engine with `domain-undeclared`.
//!
//! **Why.** The playbooks require the review document of every domain a
//! change touches; a bare `Yes` gives the reviewer nothing to check.
//!
//! **Example.** `-- TOUCHES_PRIVACY: Yes` with no field matching
//! `docs/privacy/[a-z0-9_-]+\.md`.
//!
//! **Instead.** Add the reference to the header, for example
//! `-- PRIVACY_DOC: docs/privacy/email-removal.md`.

use super::define::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "domain-reference-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Contract,
    dialects: Dialects::All,
    summary: "a declared data domain without its reference",
    check: Check::Raised,
};
