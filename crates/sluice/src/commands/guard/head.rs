//! The directory and ledger at head pass `check`'s contract rules.

use super::*;

/// The contract rules (filenames, duplicates, ledger) over the migrations
/// directory as it is at `head`, extracted with `git archive`.
pub(super) fn contract_at_head(
    project: &Project,
    repo: &Repo,
    head: &str,
    dir_repo: &str,
    ledger_repo: &str,
) -> Result<Vec<Diagnostic>> {
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
        return Ok(crate::commands::check::contract(
            project,
            &project.catalog()?,
            project.ledger()?,
        ));
    }
    let tmp = tempfile::tempdir().context("creating a temporary directory")?;
    let archive = Command::new("git")
        .arg("-C")
        .arg(&repo.top)
        .args([
            "archive",
            "--format=tar",
            head,
            "--",
            dir_repo.trim_end_matches('/'),
        ])
        .output()
        .map_err(|e| anyhow!("cannot run git archive: {e}"))?;
    if !archive.status.success() {
        // The directory does not exist at head: nothing to check.
        return Ok(vec![]);
    }
    let mut tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run tar: {e}"))?;
    {
        use std::io::Write;
        tar.stdin
            .take()
            .expect("piped")
            .write_all(&archive.stdout)?;
    }
    if !tar.wait()?.success() {
        bail!("extracting the migrations directory at {head} failed");
    }
    let root = tmp.path().join(&repo.prefix);
    let dir = tmp.path().join(dir_repo);
    let ledger_path = tmp.path().join(ledger_repo);
    let ignore = [ledger_path.clone()];
    let catalog = Catalog::load(&CatalogOptions {
        dir: &dir,
        root: &root,
        filename: &project.config.filename,
        ignore: &ignore,
        layout: project.config.layout,
        cache: None,
    })?;
    let ledger = match Ledger::load(&ledger_path)? {
        Some(l) => Some((l, std::fs::read_to_string(&ledger_path)?)),
        None => None,
    };
    Ok(crate::commands::check::contract(project, &catalog, ledger))
}
