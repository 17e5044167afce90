//! Alembic revisions read in place: every `*.py` matching the contract (but
//! `__init__.py`) is a revision, ordered by the revision graph.

use super::MigrationLayout;
use crate::catalog::{display_path, Catalog, CatalogIssue, CatalogOptions};
use crate::error::CoreError;
use crate::migration::Migration;
use crate::tree::{Entry, SourceTree};
use std::collections::BTreeMap;

/// The Alembic layout.
pub struct Alembic;

impl MigrationLayout for Alembic {
    fn name(&self) -> &'static str {
        "alembic"
    }

    fn default_filename(&self) -> &'static str {
        crate::config::DEFAULT_ALEMBIC_FILENAME
    }

    fn scan(
        &self,
        opts: &CatalogOptions<'_>,
        tree: &dyn SourceTree,
        entries: Vec<Entry>,
    ) -> Result<Catalog, CoreError> {
        load_alembic(opts, tree, entries)
    }

    fn external_runner(&self) -> Option<&'static str> {
        Some("Alembic's job (`alembic upgrade head`)")
    }

    fn authoring_refusal(&self, name: &str) -> Option<String> {
        Some(format!(
            "the alembic layout's revisions are created by Alembic: run `alembic revision -m \"{name}\"`, then `sluice hash`"
        ))
    }
}

/// Each revision's downgrade target that reverses it alone: a merge goes
/// back to one of its parents (Alembic then unmerges: both stay applied); a
/// revision whose parent has other children goes back one step on its own
/// branch (`<revision>@-1`, since downgrading to the parent would also
/// reverse its siblings); otherwise its parent, or `base` for a lone root.
fn set_previous(revisions: &mut [(Migration, crate::alembic::RevisionInfo)]) {
    let mut children: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut roots = 0;
    for (_, r) in revisions.iter() {
        if r.down_revisions.is_empty() {
            roots += 1;
        }
        for p in &r.down_revisions {
            *children.entry(p.as_str()).or_default() += 1;
        }
    }
    let previous: Vec<String> = revisions
        .iter()
        .map(|(_, r)| match r.down_revisions.as_slice() {
            [] if roots == 1 => "base".to_string(),
            [p] if children.get(p.as_str()) == Some(&1) => p.clone(),
            [first, _, ..] => first.clone(),
            _ => format!("{}@-1", r.revision),
        })
        .collect();
    for ((m, r), p) in revisions.iter_mut().zip(previous) {
        m.previous = Some(p);
        m.parents = r.down_revisions.clone();
    }
}

/// Alembic: every `*.py` matching the contract (but `__init__.py`) is a
/// revision; the order is the revision graph's (parents first, ties by file).
fn load_alembic(
    opts: &CatalogOptions<'_>,
    tree: &dyn SourceTree,
    entries: Vec<Entry>,
) -> Result<Catalog, CoreError> {
    let mut catalog = Catalog {
        revision_graph: true,
        ..Catalog::default()
    };
    let mut revisions = Vec::new();
    for Entry {
        name: file_name,
        path,
        ..
    } in entries.into_iter().filter(|e| !e.is_dir)
    {
        let display = display_path(opts.root, &path);
        if file_name == "__init__.py" {
            continue;
        }
        if !file_name.ends_with(".py") || !opts.filename.is_match(&file_name) {
            catalog
                .issues
                .push(CatalogIssue::filename_contract(opts, display));
            continue;
        }
        let bytes = tree.read_listed(&path)?;
        revisions.push(crate::alembic::parse_revision(path, display, &bytes)?);
    }
    let known: std::collections::HashSet<String> =
        revisions.iter().map(|(_, r)| r.revision.clone()).collect();
    let mut is_parent: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (m, r) in &revisions {
        for p in &r.down_revisions {
            is_parent.insert(p.clone());
            if !known.contains(p) {
                catalog.issues.push(CatalogIssue::RevisionGap {
                    revision: r.revision.clone(),
                    parent: p.clone(),
                    display_path: m.display_path.clone(),
                    line: r.down_line,
                });
            }
        }
    }
    let heads: Vec<(String, String, usize)> = revisions
        .iter()
        .filter(|(_, r)| !is_parent.contains(&r.revision))
        .map(|(m, r)| (r.revision.clone(), m.display_path.clone(), r.revision_line))
        .collect();
    if heads.len() > 1 {
        catalog.issues.push(CatalogIssue::MultipleHeads { heads });
    }
    let mut by_rev: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (m, r) in &revisions {
        by_rev
            .entry(r.revision.clone())
            .or_default()
            .push(m.display_path.clone());
    }
    for (rev, paths) in by_rev.into_iter().filter(|(_, p)| p.len() > 1) {
        catalog.issues.push(CatalogIssue::DuplicateVersion {
            version: rev,
            display_paths: paths,
        });
    }
    set_previous(&mut revisions);
    // Topological order: a revision comes after all its (known) parents.
    let mut placed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut remaining = revisions;
    loop {
        let before = remaining.len();
        let (ready, rest): (Vec<_>, Vec<_>) = remaining.into_iter().partition(|(_, r)| {
            r.down_revisions
                .iter()
                .all(|p| placed.contains(p) || !known.contains(p))
        });
        for (_, r) in &ready {
            placed.insert(r.revision.clone());
        }
        catalog.migrations.extend(ready.into_iter().map(|(m, _)| m));
        remaining = rest;
        if remaining.is_empty() || remaining.len() == before {
            // A cycle: keep file order for what is left.
            catalog
                .migrations
                .extend(remaining.into_iter().map(|(m, _)| m));
            break;
        }
    }
    Ok(catalog)
}
