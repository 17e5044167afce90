//! What the run loop refuses to send.

use super::{Direction, Step};

/// The first word of a statement that may be transaction control.
const TRANSACTION_WORDS: [&str; 7] = [
    "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE",
];

/// Transaction control (`BEGIN`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`,
/// `ROLLBACK AND CHAIN`, `PREPARE TRANSACTION`, `COMMIT/ROLLBACK PREPARED`) in
/// a section that sluice runs in one transaction, as `transaction-nesting`
/// gate findings. Such a statement would end sluice's transaction early: what
/// ran before it would stay committed while the history said otherwise. `apply`,
/// `down` and `plan` refuse the run before anything touches the database.
pub fn transaction_control(steps: &[Step<'_>]) -> Vec<sluice_lint::Diagnostic> {
    let mut out = Vec::new();
    for step in steps {
        // Wrapped in sluice's transaction, or run statement by statement with
        // progress recorded after each (no-transaction, and every MySQL
        // migration): either way a migration's own transaction control
        // breaks the record.
        let wrapped = !step.no_transaction && !step.dialect.is_mysql();
        let text = step.migration.text();
        for st in &step.statements {
            let sql = st.text(text);
            let first: String = sql
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<String>()
                .to_ascii_uppercase();
            if !TRANSACTION_WORDS.contains(&first.as_str()) {
                continue;
            }
            let facts = match step.dialect {
                sluice_core::config::Dialect::Postgres => sluice_sql::pg::analyze(sql).ok(),
                d => Some(sluice_sql::generic::analyze(sql, d)),
            };
            let (runs, help) = if wrapped {
                (
                    "which sluice runs in one transaction: it would end that transaction early, leaving part of the migration committed",
                    "remove it: the migration is atomic already",
                )
            } else {
                (
                    "which sluice runs statement by statement, recording its progress after each: the transaction would hold those records, and a failure would lose them",
                    "remove it, and put work that needs its own commit in a separate migration",
                )
            };
            let kind = facts
                .iter()
                .flat_map(|f| &f.actions)
                .filter(|a| a.is_transaction_control())
                .find_map(|a| match a {
                    sluice_sql::facts::Action::Transaction { kind } => Some(kind.clone()),
                    _ => None,
                });
            if let Some(kind) = kind {
                let section = match step.direction {
                    Direction::Up => "",
                    Direction::Down => " (down section)",
                };
                let (path, line, _) = step.migration.locate(st.line, None);
                out.push(sluice_lint::Diagnostic::new(
                    sluice_lint::RuleId::TransactionNesting,
                    path,
                    line,
                    st.column,
                    format!(
                        "{}{section} inside migration {}, {runs}; nothing was run",
                        {
                            let shown = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                            if shown.eq_ignore_ascii_case(&kind) {
                                format!("`{shown}`")
                            } else {
                                format!("`{shown}` ({kind})")
                            }
                        },
                        step.migration.version
                    ),
                    help,
                ));
            }
        }
    }
    out
}
