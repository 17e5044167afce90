//! `rls-weakened` (error, High, destructive): `DISABLE` / `NO FORCE ROW LEVEL
//! SECURITY`, `DROP POLICY`, `ALTER POLICY`.
//!
//! **Why.** Row-level security is what keeps one tenant's rows from another
//! (Supabase exposes tables to clients through it). Weakening it is a data leak
//! waiting to happen, and a changed policy is as risky as a dropped one.
//!
//! **Example.** `ALTER TABLE profiles DISABLE ROW LEVEL SECURITY;`
//!
//! **Instead.** Create the new policy first and review it; bypass with
//! `-- CI:DESTRUCTIVE_OK <ADR> <why>` once security has signed off.

use super::define::*;
use super::prelude::*;

/// This rule's registry entry.
pub const RULE: Def = Def {
    id: "rls-weakened",
    severity: Severity::Error,
    risk: Some(RiskLevel::High),
    group: Group::Destructive,
    dialects: Dialects::All,
    summary: "row-level security disabled or a policy dropped/altered",
    check: Check::Statement(check),
};

pub(crate) fn check(s: &Stmt<'_>, _p: &Policy<'_>, out: &mut Vec<Finding>) {
    for a in &s.facts.actions {
        let msg = match a {
            Action::RowSecurity { table, change }
                if change == "disable" || change == "no-force" =>
            {
                format!(
                    "{} ROW LEVEL SECURITY on {table} weakens row-level security",
                    if change == "disable" {
                        "DISABLE"
                    } else {
                        "NO FORCE"
                    }
                )
            }
            Action::DropPolicy { policy, table } => {
                format!("DROP POLICY {policy} on {table} removes a row-level security policy")
            }
            Action::AlterPolicy { policy, table } => {
                format!("ALTER POLICY {policy} on {table} changes who can see which rows")
            }
            _ => continue,
        };
        if a.table().is_some_and(|t| s.created.certainly(t)) {
            continue;
        }
        out.push(s.finding(crate::RuleId::RlsWeakened, msg, "have the change reviewed for security, then bypass with `-- CI:DESTRUCTIVE_OK <ADR> <why>`"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn fires() {
        lint_err(
            "rls-weakened",
            "ALTER TABLE profiles DISABLE ROW LEVEL SECURITY;",
        );
        lint_err("rls-weakened", "DROP POLICY owner_only ON profiles;");
        lint_err(
            "rls-weakened",
            "ALTER POLICY owner_only ON profiles USING (true);",
        );
        lint_ok(
            "rls-weakened",
            "ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;",
        );
    }
}
