//! Git plumbing: resolving revisions, the changed files, and their added or
//! removed lines.

use super::*;

/// Runs git in `dir`; stdout on success.
pub(super) fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| anyhow!("cannot run git ({e}): guard needs git on PATH"))?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

pub(super) fn git_text(dir: &Path, args: &[&str]) -> Result<String> {
    Ok(String::from_utf8_lossy(&git(dir, args)?).trim().to_string())
}

pub(super) fn is_shallow(dir: &Path) -> bool {
    git_text(dir, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|s| s == "true")
}

/// Resolves a revision to a commit, with advice for shallow clones.
pub(super) fn resolve(dir: &Path, rev: &str, what: &str) -> Result<String> {
    match git_text(dir, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]) {
        Ok(sha) if !sha.is_empty() => Ok(sha),
        _ if is_shallow(dir) => bail!(
            "{what} `{rev}` is not in this clone, which is shallow: fetch it first (`git fetch origin {rev}`, or `git fetch --unshallow`; on GitHub Actions, actions/checkout with fetch-depth: 0)"
        ),
        _ => bail!("{what} `{rev}` is not a commit in this repository (a branch, tag or SHA)"),
    }
}

/// One changed path.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub(super) status: char,
    pub(super) old: Option<String>,
    pub(super) new: Option<String>,
}

/// `git diff -z --name-status -M a b`.
pub(super) fn changes(dir: &Path, a: &str, b: &str) -> Result<Vec<Change>> {
    let raw = git(
        dir,
        &["diff", "-z", "--name-status", "-M", "--no-ext-diff", a, b],
    )?;
    let mut parts = raw
        .split(|&c| c == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = Vec::new();
    while let Some(st) = parts.next() {
        if st.is_empty() {
            continue;
        }
        let status = st.chars().next().unwrap_or('M');
        let first = parts.next().unwrap_or_default();
        let change = match status {
            'R' | 'C' => Change {
                status,
                old: Some(first),
                new: parts.next(),
            },
            'A' => Change {
                status,
                old: None,
                new: Some(first),
            },
            'D' => Change {
                status,
                old: Some(first),
                new: None,
            },
            _ => Change {
                status,
                old: Some(first.clone()),
                new: Some(first),
            },
        };
        out.push(change);
    }
    Ok(out)
}

/// Where the project lives inside the repository.
pub(super) struct Repo {
    pub(super) top: PathBuf,
    /// The project root relative to the repository (`""` or `app/`).
    pub(super) prefix: String,
}

impl Repo {
    pub(super) fn rel(&self, project_rel: &str) -> String {
        format!("{}{}", self.prefix, project_rel)
    }

    /// Repository path → project-relative path, when inside the project.
    pub(super) fn project_path<'a>(&self, repo_path: &'a str) -> Option<&'a str> {
        repo_path.strip_prefix(&self.prefix)
    }
}

/// Added and removed lines of `files` between a and b, with line numbers (new
/// side for added lines, old side for removed ones).
pub(super) fn diff_lines(
    dir: &Path,
    a: &str,
    b: &str,
    files: &[String],
) -> Result<Vec<(String, usize, String)>> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    let mut args = vec![
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "-M",
        a,
        b,
        "--",
    ];
    args.extend(files.iter().map(String::as_str));
    let raw = String::from_utf8_lossy(&git(dir, &args)?).into_owned();
    let mut out = Vec::new();
    let (mut path, mut old, mut new) = (String::new(), 0usize, 0usize);
    let hunk = Regex::new(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@").expect("valid");
    for l in raw.lines() {
        if let Some(p) = l.strip_prefix("+++ ") {
            if p != "/dev/null" {
                path = unquote(p.strip_prefix("b/").unwrap_or(p));
            }
        } else if let Some(p) = l.strip_prefix("--- ") {
            if p != "/dev/null" {
                path = unquote(p.strip_prefix("a/").unwrap_or(p));
            }
        } else if let Some(c) = hunk.captures(l) {
            old = c[1].parse().unwrap_or(0);
            new = c[2].parse().unwrap_or(0);
        } else if let Some(t) = l.strip_prefix('+') {
            out.push((path.clone(), new, t.to_string()));
            new += 1;
        } else if let Some(t) = l.strip_prefix('-') {
            out.push((path.clone(), old, t.to_string()));
            old += 1;
        }
    }
    Ok(out)
}

/// git quotes paths with unusual characters: `"a\tb"`.
pub(super) fn unquote(p: &str) -> String {
    let p = p.trim_end_matches('\t');
    match p.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => p.to_string(),
    }
}
