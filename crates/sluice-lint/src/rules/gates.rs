//! Rules no file checks: gates that `apply`, `down`, `plan`, `guard` and the
//! approvals raise, registered here so configuration, suppressions and
//! documentation can name them.

use super::define::*;

/// `approval-missing`.
pub const APPROVAL_MISSING: Def = Def {
    id: "approval-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "fewer valid approvals than required",
    check: Check::Raised,
};

/// `approval-stale`.
pub const APPROVAL_STALE: Def = Def {
    id: "approval-stale",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "an approval for another checksum",
    check: Check::Raised,
};

/// `approval-unverified`.
pub const APPROVAL_UNVERIFIED: Def = Def {
    id: "approval-unverified",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "a signature that does not verify",
    check: Check::Raised,
};

/// `downgrade-forbidden`.
pub const DOWNGRADE_FORBIDDEN: Def = Def {
    id: "downgrade-forbidden",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "down where allow_down = true",
    check: Check::Raised,
};

/// `reset-forbidden`.
pub const RESET_FORBIDDEN: Def = Def {
    id: "reset-forbidden",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "reset where allow_reset is not true",
    check: Check::Raised,
};

/// `dirty-state`.
pub const DIRTY_STATE: Def = Def {
    id: "dirty-state",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "the target has a dirty migration",
    check: Check::Raised,
};

/// `applied-modified`.
pub const APPLIED_MODIFIED: Def = Def {
    id: "applied-modified",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "an applied migration's file changed",
    check: Check::Raised,
};

/// `applied-missing`.
pub const APPLIED_MISSING: Def = Def {
    id: "applied-missing",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "an applied version is not in the directory",
    check: Check::Raised,
};

/// `out-of-order`.
pub const OUT_OF_ORDER: Def = Def {
    id: "out-of-order",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "a pending migration is older than the newest applied one",
    check: Check::Raised,
};

/// `drift-detected`.
pub const DRIFT_DETECTED: Def = Def {
    id: "drift-detected",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "the live schema differs from the expected one",
    check: Check::Raised,
};

/// `migration-modified`.
pub const MIGRATION_MODIFIED: Def = Def {
    id: "migration-modified",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "`guard`: a migration on the base is modified, renamed or deleted",
    check: Check::Raised,
};

/// `model-change-without-migration`.
pub const MODEL_CHANGE_WITHOUT_MIGRATION: Def = Def {
    id: "model-change-without-migration",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "`guard`: a [[guard.signals]] pattern matches a changed line but the diff adds no migration",
    check: Check::Raised,
};

/// `guard-waiver-invalid`.
pub const GUARD_WAIVER_INVALID: Def = Def {
    id: "guard-waiver-invalid",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "`guard`: a waiver that is malformed, has no reason, has expired or runs too long",
    check: Check::Raised,
};

/// `replay-failed`.
pub const REPLAY_FAILED: Def = Def {
    id: "replay-failed",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "a migration fails when `plan` replays it on a scratch database",
    check: Check::Raised,
};

/// `replay-not-idempotent`.
pub const REPLAY_NOT_IDEMPOTENT: Def = Def {
    id: "replay-not-idempotent",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "after `plan`'s replay, a second apply is not a no-op or status is not clean",
    check: Check::Raised,
};

/// `rollback-mismatch`.
pub const ROLLBACK_MISMATCH: Def = Def {
    id: "rollback-mismatch",
    severity: Severity::Error,
    risk: None,
    group: Group::Gate,
    dialects: Dialects::All,
    summary: "up → down → up on the scratch database does not return to the same schema",
    check: Check::Raised,
};
