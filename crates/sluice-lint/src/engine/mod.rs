//! Statement and migration rules over an [`Analysis`], then the two mechanisms
//! every rule shares: destructive bypasses and `sluice:allow` suppressions.
//!
//! - A finding of the destructive group is allowed only with a comment on the
//!   statement's line(s) `-- CI:DESTRUCTIVE_OK <reference> <why>` whose text
//!   matches `policy.bypass_reference`; a bypass without such a reference turns
//!   the finding into `bypass-invalid`. A bypass lowers no risk: the statement is
//!   still destructive, and still needs its approvals.
//! - `-- sluice:allow RULE[, RULE] reason: TEXT` suppresses those rules on the
//!   next statement (or, written after a statement on its line, on that
//!   statement). Suppressed findings do not count toward the computed risk: the
//!   reason says why the statement is safe. A suppression with an unknown rule or
//!   no reason is `suppression-invalid`; one that suppresses nothing is
//!   `suppression-unused`.
//!
//! A down section that drops what the up section creates (its tables,
//! columns, named constraints, indexes, other objects) reverses the
//! migration: those drops are not destructive findings. Dropping anything
//! else in a down section is.
//!
//! The migration's computed risk is the highest risk of its up-section
//! statements: each finding's risk (from the registry, or set by the rule), and
//! at least Medium for a statement that is not purely additive and takes a lock
//! that blocks writes on an existing table.

mod allow;

use crate::analysis::{Analysis, AnalyzedStatement, Created};
use crate::diagnostic::Fix;
use crate::history::{Model, UnindexedForeignKey};
use crate::registry::{lookup, Group};
use crate::Diagnostic;
use allow::{bypasses, suppressions};
use regex::Regex;
use sluice_core::config::{Dialect, PolicySection};
use sluice_core::header::RiskLevel;
use sluice_core::Migration;
use sluice_sql::facts::{Action, Facts, LockMode};

/// What the rules may consult besides the SQL.
pub struct Policy<'a> {
    /// The dialect.
    pub dialect: Dialect,
    /// `[policy]`.
    pub policy: &'a PolicySection,
    /// Compiled `bypass_reference`.
    pub bypass: Regex,
    /// Whether every environment considered sets `lock_timeout`.
    pub lock_timeout_everywhere: bool,
    /// Whether every environment considered sets `statement_timeout`.
    pub statement_timeout_everywhere: bool,
    /// `[risk]`: the team's own risk for a rule's findings (rule id →
    /// level), in place of the registry's.
    pub risk_overrides: std::collections::BTreeMap<&'static str, RiskLevel>,
    /// `[domains.<name>]`: data domains and the header flags that declare
    /// them.
    pub domains: Vec<crate::rules::domain_undeclared::Domain>,
}

/// One statement as a rule sees it.
pub struct Stmt<'a> {
    /// The statement.
    pub a: &'a AnalyzedStatement,
    /// Its facts.
    pub facts: &'a Facts,
    /// Its SQL.
    pub sql: &'a str,
    /// Objects created earlier in the same section.
    pub created: &'a Created,
    /// Its section runs in a transaction.
    pub transactional: bool,
    /// `SET lock_timeout` ran earlier in this section.
    pub lock_timeout_set: bool,
    /// `SET statement_timeout` ran earlier in this section.
    pub statement_timeout_set: bool,
    /// The schema as of this statement: the history before the migration,
    /// then the up section's statements before this one.
    pub model: &'a Model,
}

/// A rule's finding before severity, bypass and suppression.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule.
    pub rule: crate::RuleId,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
    /// Risk it carries (registry default unless the rule says otherwise).
    pub risk: Option<RiskLevel>,
    /// Index of the statement it is about, when it is about one.
    pub statement: Option<usize>,
    /// The byte range of the file it is about (its statement), when known.
    pub span: Option<std::ops::Range<usize>>,
    /// A suggested fix, when the rule has one.
    pub fix: Option<Fix>,
}

impl Finding {
    /// This finding with a suggested fix.
    pub fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }
}

impl Stmt<'_> {
    /// A finding at this statement.
    pub fn finding(
        &self,
        rule: crate::RuleId,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            line: self.a.stmt.line,
            column: self.a.stmt.column,
            message: message.into(),
            help: help.into(),
            risk: rule.info().risk,
            statement: None,
            span: Some(self.a.stmt.range.clone()),
            fix: None,
        }
    }

    /// A finding about one action of this statement: in a statement of
    /// several clauses (`ALTER TABLE t ADD COLUMN a int, DROP COLUMN b`
    /// over several lines), at the clause that names the action's column
    /// or constraint, not at the statement's first line.
    pub fn finding_for(
        &self,
        action: &Action,
        rule: crate::RuleId,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        let mut f = self.finding(rule, message, help);
        let Some(needle) = clause_subject(action) else {
            return f;
        };
        if let Some(at) = clause_offset(self.sql, needle) {
            let before = &self.sql[..at];
            let lines = before.matches('\n').count();
            f.line = self.a.stmt.line + lines;
            f.column = if lines == 0 {
                self.a.stmt.column + before.chars().count()
            } else {
                before.rsplit('\n').next().unwrap_or("").chars().count() + 1
            };
            let start = self.a.stmt.range.start + at;
            let end = start + clause_len(&self.sql[at..]);
            f.span = Some(start..end);
        }
        f
    }

    /// A fix that inserts `text` after the part of this statement's SQL that
    /// `anchor` matches at its start (a keyword prefix such as `CREATE INDEX`),
    /// or, when `anchor` does not match, only describes what to do.
    pub fn insert_after(&self, anchor: &Regex, text: &str, description: &str) -> Fix {
        let edit = anchor.find(self.sql).filter(|m| m.start() == 0).map(|m| {
            let at = self.a.stmt.range.start + m.end();
            (at..at, text.to_string())
        });
        Fix {
            description: description.into(),
            edit,
        }
    }

    /// A fix that inserts `text` at the end of this statement (before its `;`),
    /// offered as an edit only when the statement does exactly one thing.
    pub fn append(&self, text: &str, description: &str) -> Fix {
        let end = self.a.stmt.range.end;
        Fix {
            description: description.into(),
            edit: (self.facts.actions.len() == 1).then(|| (end..end, text.to_string())),
        }
    }

    /// A fix that inserts `text` on its own line before this statement.
    pub fn prepend_line(&self, text: &str, description: &str) -> Fix {
        let at = self.a.stmt.range.start;
        Fix {
            description: description.into(),
            edit: Some((at..at, format!("{text}\n"))),
        }
    }

    /// The first lock this statement takes that blocks writes on a
    /// relation that exists before the migration (not one created earlier
    /// in it): what makes a statement lock-heavy, for the baseline risk,
    /// `missing-lock-timeout` and `missing-statement-timeout` alike.
    pub fn write_lock(&self) -> Option<&(sluice_sql::facts::ObjectName, LockMode)> {
        self.facts.locks.iter().find(|(rel, mode)| {
            mode.blocks_writes() && !self.created.table(rel) && !self.created.index(rel)
        })
    }

    /// Whether this statement's table was created earlier in the migration.
    pub fn new_table(&self, a: &Action) -> bool {
        a.table().is_some_and(|t| self.created.table(t))
    }
}

/// A statement rule.
pub type StatementRule = fn(&Stmt<'_>, &Policy<'_>, &mut Vec<Finding>);

/// The whole migration, for migration-level rules.
pub struct MigrationView<'a> {
    /// The migration.
    pub migration: &'a Migration,
    /// Its analysis.
    pub analysis: &'a Analysis,
    /// The computed risk of its up section.
    pub risk: RiskLevel,
    /// Why (statements that set the risk), for messages.
    pub risk_reasons: Vec<String>,
    /// The schema after the up section (the history, then this migration).
    pub model: &'a Model,
    /// Per statement, the first lock it takes that blocks writes on a
    /// relation that existed before it (not created earlier in the
    /// migration).
    pub blocking: Vec<Option<(sluice_sql::facts::ObjectName, LockMode)>>,
    /// Foreign keys reported without an index, which an index added by a
    /// later migration resolves (see [`crate::history::resolve_later_indexes`]).
    pub unindexed: std::cell::RefCell<Vec<UnindexedForeignKey>>,
}

impl MigrationView<'_> {
    /// Up-section statements with facts, with their index.
    pub fn up(&self) -> impl Iterator<Item = (usize, &AnalyzedStatement, &Facts)> {
        self.analysis
            .statements
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.down)
            .filter_map(|(i, s)| s.facts.as_ref().ok().map(|f| (i, s, f)))
    }

    /// A finding at a statement.
    pub fn at(
        &self,
        index: usize,
        rule: crate::RuleId,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        let s = &self.analysis.statements[index].stmt;
        Finding {
            rule,
            line: s.line,
            column: s.column,
            message: message.into(),
            help: help.into(),
            risk: rule.info().risk,
            statement: Some(index),
            span: Some(s.range.clone()),
            fix: None,
        }
    }

    /// A finding at a line of the file (a header field).
    pub fn at_line(
        &self,
        line: usize,
        column: usize,
        rule: crate::RuleId,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            line,
            column,
            message: message.into(),
            help: help.into(),
            risk: None,
            statement: None,
            span: None,
            fix: None,
        }
    }
}

/// A migration-level rule.
pub type MigrationRule = fn(&MigrationView<'_>, &Policy<'_>, &mut Vec<Finding>);

/// The result of linting one migration.
#[derive(Debug, Clone)]
pub struct MigrationLint {
    /// Diagnostics at default severities (overrides are applied by the caller).
    pub diagnostics: Vec<Diagnostic>,
    /// Computed risk of the up section.
    pub risk: RiskLevel,
    /// What the migration does to the schema model, for the migrations
    /// after it.
    pub effects: crate::history::Effects,
    /// Its `fk-without-index` findings that a later index would resolve.
    pub unindexed: Vec<UnindexedForeignKey>,
}

fn syntax_column(sql: &str, stmt_line: usize, stmt_col: usize, message: &str) -> (usize, usize) {
    // "syntax error at or near "X"": point at X.
    let Some(tok) = message
        .split("at or near \"")
        .nth(1)
        .and_then(|r| r.rsplit_once('"'))
        .map(|(t, _)| t)
    else {
        return (stmt_line, stmt_col);
    };
    let Some(off) = sql.find(tok) else {
        return (stmt_line, stmt_col);
    };
    let before = &sql[..off];
    let lines = before.matches('\n').count();
    if lines == 0 {
        (stmt_line, stmt_col + before.chars().count())
    } else {
        (
            stmt_line + lines,
            before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
        )
    }
}

/// Lints one analysed migration on its own, without its history: any table
/// it does not create may exist ([`Model::unknown`]).
pub fn lint_migration(m: &Migration, analysis: &Analysis, p: &Policy<'_>) -> MigrationLint {
    lint_migration_in(m, analysis, p, &mut Model::unknown())
}

/// Lints one analysed migration against the schema model of the history
/// before it, and applies the migration's up section to the model.
pub fn lint_migration_in(
    m: &Migration,
    analysis: &Analysis,
    p: &Policy<'_>,
    model: &mut Model,
) -> MigrationLint {
    let effects =
        crate::history::effects(analysis, m.body != sluice_core::layout::BodyKind::Opaque);
    if effects.opaque {
        model.apply_effects(&crate::history::Effects {
            actions: vec![],
            opaque: true,
        });
    }
    let mut findings: Vec<Finding> = Vec::new();
    for e in &analysis.split_errors {
        findings.push(Finding {
            rule: crate::RuleId::SyntaxError,
            line: e.line,
            column: e.column,
            message: e.message.clone(),
            help: "close the quote, comment or dollar quote; nothing after this point can be analysed or run".into(),
            risk: None,
            statement: None,
            span: None,
            fix: None,
        });
    }
    let mut stmt_risk: Vec<RiskLevel> = vec![RiskLevel::Low; analysis.statements.len()];
    let rules_out = statement_rules(m, analysis, p, &mut findings, &mut stmt_risk, model);
    if p.dialect == Dialect::Sqlite {
        sqlite_rebuilds(analysis, &rules_out.dropped, &mut findings, &mut stmt_risk);
    }
    crate::rules::domain_undeclared::check(m, analysis, &p.domains, &mut findings);
    // The team's own risk per rule ([risk]), before it counts anywhere.
    if !p.risk_overrides.is_empty() {
        for f in &mut findings {
            if let Some(r) = p.risk_overrides.get(f.rule.info().id) {
                f.risk = Some(*r);
            }
        }
    }
    let out = bypasses(m, analysis, p, findings, &mut stmt_risk);
    let mut kept = suppressions(m, analysis, out, &mut stmt_risk);
    // Migration-level rules, with the computed risk.
    let mut risk = RiskLevel::Low;
    let mut reasons = Vec::new();
    for (i, a) in analysis
        .statements
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.down)
    {
        if stmt_risk[i] > risk {
            risk = stmt_risk[i];
            reasons.clear();
        }
        if stmt_risk[i] == risk && risk > RiskLevel::Low {
            reasons.push(format!(
                "line {}: {}",
                a.stmt.line,
                a.facts
                    .as_ref()
                    .map(|f| f.kind.as_str())
                    .unwrap_or("statement")
            ));
        }
    }
    let view = MigrationView {
        migration: m,
        analysis,
        risk,
        risk_reasons: reasons,
        model,
        blocking: rules_out.blocking,
        unindexed: Default::default(),
    };
    let mut raised = Vec::new();
    for rule in crate::rules::migration_rules() {
        rule(&view, p, &mut raised);
    }
    // As for statement rules: only the dialects a rule's entry names.
    kept.extend(
        raised
            .into_iter()
            .filter(|f| f.rule.info().applies_to(p.dialect)),
    );
    let diagnostics = kept
        .into_iter()
        .map(|f| {
            // A migration made of several files reports each finding at its
            // own file and line.
            let (path, line, span) = m.locate(f.line, f.span);
            let mut d =
                Diagnostic::new(f.rule, path, line, f.column, f.message, f.help).with_span(span);
            d.section = f
                .statement
                .and_then(|i| analysis.statements.get(i))
                .map(|s| if s.down { "down" } else { "up" });
            match f.fix {
                Some(fix) => d.with_fix(fix),
                None => d,
            }
        })
        .collect();
    let unindexed = view
        .unindexed
        .into_inner()
        .into_iter()
        .map(|u| UnindexedForeignKey {
            line: m.locate(u.line, None).1,
            ..u
        })
        .collect();
    MigrationLint {
        diagnostics,
        risk,
        effects,
        unindexed,
    }
}

/// Runs the statement rules, section by section, and computes each
/// statement's baseline risk. The up section's statements are applied to
/// `model` as they go.
fn statement_rules(
    m: &Migration,
    analysis: &Analysis,
    p: &Policy<'_>,
    findings: &mut Vec<Finding>,
    stmt_risk: &mut [RiskLevel],
    model: &mut Model,
) -> StatementRules {
    let mut out = StatementRules {
        dropped: Default::default(),
        blocking: vec![None; analysis.statements.len()],
    };
    // Statement rules, section by section.
    let mut created = Created::default();
    // What the up section creates: a down section that drops it reverses the
    // migration, which is not a destructive change.
    let mut up_created = Created::default();
    let mut section_down = false;
    let mut lock_timeout_set = false;
    let mut statement_timeout_set = false;
    for (i, a) in analysis.statements.iter().enumerate() {
        if a.down != section_down {
            section_down = a.down;
            up_created = std::mem::take(&mut created);
            lock_timeout_set = false;
            statement_timeout_set = false;
        }
        let sql = a.stmt.text(m.text());
        let facts = match &a.facts {
            Ok(f) => f,
            Err(msg) => {
                let (line, column) = syntax_column(sql, a.stmt.line, a.stmt.column, msg);
                findings.push(Finding {
                    rule: crate::RuleId::SyntaxError,
                    line,
                    column,
                    message: format!("{msg} (in {} SQL)", p.dialect.as_str()),
                    help: "fix the statement: it would fail when applied".into(),
                    risk: None,
                    statement: Some(i),
                    span: None,
                    fix: None,
                });
                continue;
            }
        };
        let s = Stmt {
            a,
            facts,
            sql,
            created: &created,
            transactional: !a.no_transaction,
            lock_timeout_set,
            statement_timeout_set,
            model,
        };
        let start = findings.len();
        for rule in crate::rules::statement_rules() {
            rule(&s, p, findings);
        }
        // A rule's findings count only in the dialects its registry entry
        // names (Postgres lock rules say nothing about SQLite).
        let reversal = a.down && reverses(facts, &up_created);
        let raised: Vec<Finding> = findings
            .drain(start..)
            .filter(|f| f.rule.info().applies_to(p.dialect))
            .filter(|f| !(reversal && f.rule.info().group == Group::Destructive))
            .map(|f| Finding {
                statement: Some(i),
                ..f
            })
            .collect();
        findings.extend(raised);
        // Baseline risk: not purely additive and blocking writes on an existing table.
        out.blocking[i] = s.write_lock().cloned();
        let blocks = out.blocking[i].is_some();
        if blocks
            && facts
                .actions
                .iter()
                .any(|a| !a.is_additive() && !s.new_table(a))
        {
            stmt_risk[i] = RiskLevel::Medium;
        }
        if facts
            .actions
            .iter()
            .any(|a| matches!(a, Action::Set { name } if name == "lock_timeout"))
        {
            lock_timeout_set = true;
        }
        if facts
            .actions
            .iter()
            .any(|a| matches!(a, Action::Set { name } if name == "statement_timeout"))
        {
            statement_timeout_set = true;
        }
        created.record(facts, model);
        if !a.down {
            for act in &facts.actions {
                if let Action::DropTable { table } = act {
                    if let Some(t) = model.table(table) {
                        out.dropped.insert(i, t.columns.clone());
                    }
                }
                model.apply(act);
            }
        }
    }
    out
}

/// What the statement pass learns for the passes after it.
struct StatementRules {
    /// Per `DROP TABLE` statement of the up section, the columns the dropped
    /// table had (when the model knows them).
    dropped: std::collections::HashMap<usize, Vec<String>>,
    /// See [`MigrationView::blocking`].
    blocking: Vec<Option<(sluice_sql::facts::ObjectName, LockMode)>>,
}

/// SQLite's documented way to change a table (create the new one, copy
/// the rows, drop the old one, rename the new one to the old name, in one
/// section) is one rebuild, not a drop and a rename: the `drop-table` and
/// `rename-table` findings of the pattern give way to one `table-rewrite`
/// (Medium: it rewrites the table and locks the database while it runs).
/// A rebuild whose new table lacks columns the old one had (as the history
/// model knows them, `dropped`) loses data: that is a `drop-column` finding.
fn sqlite_rebuilds(
    analysis: &Analysis,
    dropped: &std::collections::HashMap<usize, Vec<String>>,
    findings: &mut Vec<Finding>,
    stmt_risk: &mut [RiskLevel],
) {
    use std::collections::HashMap;
    // One pass: per (section, table name), the first statement that creates
    // it and the first that fills it; per (section, new name), the renames
    // to it. Then each drop is a few lookups, whatever the file's size.
    let mut created: HashMap<(bool, &str), usize> = HashMap::new();
    let mut new_columns: HashMap<(bool, &str), &Vec<String>> = HashMap::new();
    let mut filled: HashMap<(bool, &str), usize> = HashMap::new();
    let mut renamed_to: HashMap<(bool, &str), Vec<(usize, &sluice_sql::facts::ObjectName)>> =
        HashMap::new();
    let mut drops = Vec::new();
    for (i, st) in analysis.statements.iter().enumerate() {
        let Ok(f) = &st.facts else { continue };
        for a in &f.actions {
            match a {
                Action::CreateTable { table, columns, .. } => {
                    created.entry((st.down, table.name.as_str())).or_insert(i);
                    new_columns
                        .entry((st.down, table.name.as_str()))
                        .or_insert(columns);
                }
                Action::Insert { table } => {
                    filled.entry((st.down, table.name.as_str())).or_insert(i);
                }
                Action::RenameTable { table, new_name } => renamed_to
                    .entry((st.down, new_name.as_str()))
                    .or_default()
                    .push((i, table)),
                Action::DropTable { table } => drops.push((i, st.down, table)),
                _ => {}
            }
        }
    }
    for (drop_at, down, old) in drops {
        // The first rename of a table to `old` after the drop, of a table
        // created and filled before it.
        let Some((rename_at, new)) = renamed_to
            .get(&(down, old.name.as_str()))
            .and_then(|r| r.iter().find(|(k, _)| *k > drop_at))
            .filter(|(_, new)| {
                let before = |m: &HashMap<(bool, &str), usize>| {
                    m.get(&(down, new.name.as_str()))
                        .is_some_and(|&j| j < drop_at)
                };
                before(&created) && before(&filled)
            })
            .copied()
        else {
            continue;
        };
        findings.retain(|x| {
            !((x.statement == Some(drop_at) && x.rule == crate::RuleId::DropTable)
                || (x.statement == Some(rename_at) && x.rule == crate::RuleId::RenameTable))
        });
        let s = &analysis.statements[drop_at].stmt;
        findings.push(Finding {
            rule: crate::RuleId::TableRewrite,
            line: s.line,
            column: s.column,
            message: format!(
                "rebuilds {old} (SQLite's create, copy, drop, rename): the whole table is rewritten and the database is locked while it runs"
            ),
            help: "check that the new table keeps every column and row you need; run it when a database lock is acceptable".into(),
            risk: Some(RiskLevel::Medium),
            statement: Some(drop_at),
            span: Some(s.range.clone()),
            fix: None,
        });
        stmt_risk[drop_at] = stmt_risk[drop_at].max(RiskLevel::Medium);
        // Columns of the old table the new one does not have.
        let kept = new_columns.get(&(down, new.name.as_str()));
        let lost: Vec<&str> = dropped
            .get(&drop_at)
            .into_iter()
            .flatten()
            .filter(|c| kept.is_some_and(|k| !k.iter().any(|x| x.eq_ignore_ascii_case(c))))
            .map(String::as_str)
            .collect();
        if !lost.is_empty() {
            findings.push(Finding {
                rule: crate::RuleId::DropColumn,
                line: s.line,
                column: s.column,
                message: format!(
                    "the rebuild of {old} loses column{} {}: its data is gone once the old table is dropped",
                    if lost.len() == 1 { "" } else { "s" },
                    lost.join(", ")
                ),
                help: "keep the columns in the new table, or document the loss with a bypass (`-- CI:DESTRUCTIVE_OK <ref> <why>`)".into(),
                risk: Some(RiskLevel::High),
                statement: Some(drop_at),
                span: Some(s.range.clone()),
                fix: None,
            });
            stmt_risk[drop_at] = RiskLevel::High;
        }
    }
}

/// Whether every action of a down-section statement drops what the up
/// section creates (a table, or a column, index, constraint or trigger of
/// such a table, an index or another object it creates).
fn reverses(facts: &Facts, up: &Created) -> bool {
    !facts.actions.is_empty()
        && facts.actions.iter().all(|a| match a {
            Action::DropIndex { index, .. } => up.index(index),
            Action::DropObject { object, .. } => up.object(object),
            Action::DropColumn { table, column } => up.table(table) || up.part(table, column),
            Action::DropConstraint { table, name } => up.table(table) || up.part(table, name),
            other => other.table().is_some_and(|t| up.table(t)),
        })
}

/// Whether any lock of `facts` on a relation not created earlier is at least `mode`.
pub fn locks_existing(s: &Stmt<'_>, mode: LockMode) -> bool {
    s.facts
        .locks
        .iter()
        .any(|(rel, m)| *m >= mode && !s.created.table(rel) && !s.created.index(rel))
}

/// The name a clause of an `ALTER TABLE` gives for an action: its column or
/// its constraint.
fn clause_subject(a: &Action) -> Option<&str> {
    if let Some(column) = a.column() {
        return Some(column);
    }
    match a {
        Action::AddConstraint { name: Some(n), .. }
        | Action::DropConstraint { name: n, .. }
        | Action::ValidateConstraint { name: n, .. } => Some(n),
        Action::AddConstraint { columns, .. } => columns.first().map(String::as_str),
        _ => None,
    }
}

/// The top-level clauses of a statement (split at commas outside
/// parentheses, quotes and comments), as byte ranges.
fn clauses(sql: &str) -> Vec<std::ops::Range<usize>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' | b'`' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(start..sql.len());
    out
}

/// The offset of the first clause (of several) naming `subject` as a word,
/// at its first non-blank character.
fn clause_offset(sql: &str, subject: &str) -> Option<usize> {
    let cs = clauses(sql);
    if cs.len() < 2 {
        return None;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    cs.into_iter().find_map(|r| {
        let text = &sql[r.clone()];
        let names = text
            .split(|c: char| !word(c))
            .any(|w| w.eq_ignore_ascii_case(subject));
        names.then(|| r.start + (text.len() - text.trim_start().len()))
    })
}

/// The length of the clause starting at the beginning of `rest`.
fn clause_len(rest: &str) -> usize {
    clauses(rest)
        .first()
        .map(|r| rest[r.clone()].trim_end().len())
        .unwrap_or(rest.len())
}
