//! The directory and ledger at head pass `check`'s contract rules.

use super::*;
use sluice_core::tree::{GitTree, SourceTree};

/// The contract rules (filenames, duplicates, ledger) over the migrations
/// directory as it is at `head`, read from git's tree (never extracted),
/// and how many migrations that directory holds (what the summary counts).
pub(super) fn contract_at_head(
    project: &Project,
    repo: &Repo,
    head: &str,
    dir_repo: &str,
    ledger_repo: &str,
) -> Result<(Vec<Diagnostic>, usize)> {
    // The common case (CI checks out head): the working tree's directory is
    // head's, so read it in place instead of extracting thousands of files.
    let checked_out = git_text(&repo.top, &["rev-parse", "HEAD"]).is_ok_and(|h| h == head);
    if checked_out
        && git_text(
            &repo.top,
            &[
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--",
                dir_repo.trim_end_matches('/'),
            ],
        )
        .is_ok_and(|s| s.is_empty())
    {
        let catalog = project.catalog()?;
        return Ok((
            crate::commands::check::contract(project, &catalog, project.ledger()?),
            catalog.migrations.len(),
        ));
    }
    // Otherwise read head's tree as git holds it: one `git ls-tree` and one
    // `git cat-file --batch`, nothing extracted.
    let tree = GitTree::read(&repo.top, head, &[dir_repo, ledger_repo])?;
    let root = repo.top.join(&repo.prefix);
    let dir = repo.top.join(dir_repo.trim_end_matches('/'));
    if tree.list(&dir)?.is_none() {
        // The directory does not exist at head: nothing to check.
        return Ok((vec![], 0));
    }
    let ledger_path = repo.top.join(ledger_repo);
    let ignore = [ledger_path.clone()];
    let catalog = Catalog::load_from(
        &CatalogOptions {
            dir: &dir,
            root: &root,
            filename: &project.config.filename,
            ignore: &ignore,
            layout: project.config.layout,
            cache: None,
        },
        &tree,
    )?;
    let ledger = Ledger::read_from(&tree, &ledger_path)?;
    Ok((
        crate::commands::check::contract(project, &catalog, ledger),
        catalog.migrations.len(),
    ))
}
