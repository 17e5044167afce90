//! Where a layout reads its files from: the working directory, or a git tree
//! (a commit, as `guard` reads the migrations directory at head) without
//! extracting it.
//!
//! Paths are the working tree's: a git tree's file `db/migrations/1_a.sql`
//! is `<repository top>/db/migrations/1_a.sql`, so display paths and
//! diagnostics are the same whichever tree a catalog came from.

use crate::error::CoreError;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// A tree of files a layout reads.
pub trait SourceTree: Send + Sync {
    /// The entries of `dir`, sorted by name, dot files left out; None when
    /// `dir` does not exist in this tree.
    fn list(&self, dir: &Path) -> Result<Option<Vec<Entry>>, CoreError>;

    /// The bytes of the file at `path`; None when it does not exist.
    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, CoreError>;

    /// The bytes of a file the listing named: gone since is an error naming
    /// it (the directory changed while sluice was reading it), never an empty
    /// file.
    fn read_listed(&self, path: &Path) -> Result<Vec<u8>, CoreError> {
        self.read(path)?.ok_or_else(|| {
            CoreError::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the file was listed but is gone (it changed while sluice was reading the directory); run the command again",
                ),
            )
        })
    }

    /// Whether files are on disk, so the stat cache may stand in for reading
    /// them.
    fn on_disk(&self) -> bool {
        false
    }
}

/// The working directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkDir;

impl SourceTree for WorkDir {
    fn list(&self, dir: &Path) -> Result<Option<Vec<Entry>>, CoreError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io(dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| CoreError::io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let is_dir = entry
                .file_type()
                .map_err(|e| CoreError::io(&path, e))?
                .is_dir();
            out.push(Entry { name, path, is_dir });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(out))
    }

    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, CoreError> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CoreError::io(path, e)),
        }
    }

    fn on_disk(&self) -> bool {
        true
    }
}

/// The files under some directories of a commit, read with one `git ls-tree`
/// and one `git cat-file --batch` (no checkout, no archive).
#[derive(Debug, Clone, Default)]
pub struct GitTree {
    /// Every file read: path (working-tree form) → bytes.
    files: HashMap<PathBuf, Vec<u8>>,
    /// Every directory on the way to a file: path → its entries by name.
    dirs: HashMap<PathBuf, BTreeMap<String, bool>>,
}

impl GitTree {
    /// The files under `prefixes` (paths relative to the repository's top,
    /// `/`-separated, a directory or a file) at `rev` in the repository whose
    /// top is `top`.
    pub fn read(top: &Path, rev: &str, prefixes: &[&str]) -> Result<GitTree, CoreError> {
        let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", rev, "--"];
        let trimmed: Vec<&str> = prefixes.iter().map(|p| p.trim_end_matches('/')).collect();
        args.extend(trimmed.iter().copied());
        let out = git(top, &args, None)?;
        let mut blobs: Vec<(String, String)> = Vec::new();
        for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            // `<mode> SP <type> SP <object> TAB <path>`
            let rec = String::from_utf8_lossy(rec);
            let Some((meta, path)) = rec.split_once('\t') else {
                continue;
            };
            let mut parts = meta.split(' ');
            let (_mode, kind, oid) = (parts.next(), parts.next(), parts.next());
            if kind == Some("blob") {
                blobs.push((oid.unwrap_or_default().to_string(), path.to_string()));
            }
        }
        let mut tree = GitTree::default();
        if blobs.is_empty() {
            return Ok(tree);
        }
        let input: String = blobs.iter().map(|(oid, _)| format!("{oid}\n")).collect();
        let contents = git(top, &["cat-file", "--batch"], Some(input.as_bytes()))?;
        let mut reader = BufReader::new(contents.as_slice());
        for (oid, rel) in blobs {
            let mut header = String::new();
            reader
                .read_line(&mut header)
                .map_err(|e| CoreError::Other(format!("reading git cat-file output: {e}")))?;
            // `<oid> SP <type> SP <size> LF <contents> LF`
            let size: usize = header
                .split_whitespace()
                .nth(2)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| {
                    CoreError::Other(format!(
                        "git cat-file gave no size for {oid} ({rel}): {header}"
                    ))
                })?;
            let mut bytes = vec![0; size];
            let mut nl = [0u8; 1];
            reader
                .read_exact(&mut bytes)
                .and_then(|_| reader.read_exact(&mut nl))
                .map_err(|e| CoreError::Other(format!("reading {rel} from git: {e}")))?;
            tree.insert(top, &rel, bytes);
        }
        Ok(tree)
    }

    fn insert(&mut self, top: &Path, rel: &str, bytes: Vec<u8>) {
        let mut dir = top.to_path_buf();
        let segments: Vec<&str> = rel.split('/').collect();
        for (i, seg) in segments.iter().enumerate() {
            let is_dir = i + 1 < segments.len();
            self.dirs
                .entry(dir.clone())
                .or_default()
                .insert(seg.to_string(), is_dir);
            dir.push(seg);
        }
        self.files.insert(dir, bytes);
    }
}

impl SourceTree for GitTree {
    fn list(&self, dir: &Path) -> Result<Option<Vec<Entry>>, CoreError> {
        Ok(self.dirs.get(dir).map(|names| {
            names
                .iter()
                .filter(|(n, _)| !n.starts_with('.'))
                .map(|(name, is_dir)| Entry {
                    name: name.clone(),
                    path: dir.join(name),
                    is_dir: *is_dir,
                })
                .collect()
        }))
    }

    fn read(&self, path: &Path) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self.files.get(path).cloned())
    }
}

/// Runs git in `dir`, with `stdin` when given; its stdout.
fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, CoreError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CoreError::Other(format!("cannot run git: {e}")))?;
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().expect("piped");
        let input = input.to_vec();
        // Written from a thread so a large batch cannot deadlock against
        // git's output filling its pipe.
        std::thread::spawn(move || pipe.write_all(&input))
    });
    let out = child
        .wait_with_output()
        .map_err(|e| CoreError::Other(format!("running git {}: {e}", args.join(" "))))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    if !out.status.success() {
        return Err(CoreError::Other(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }

    /// A git tree lists and reads exactly what the commit holds, not the
    /// working directory, including files in subdirectories and bytes that
    /// are not UTF-8.
    #[test]
    fn a_git_tree_is_the_commit_not_the_working_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().canonicalize().unwrap();
        sh(&top, &["init", "-q"]);
        let dir = top.join("db/migrations");
        std::fs::create_dir_all(dir.join("2024_a")).unwrap();
        std::fs::write(dir.join("1_a.sql"), "SELECT 1;\n").unwrap();
        std::fs::write(dir.join("2024_a/up.sql"), b"SELECT '\xff';\n").unwrap();
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        std::fs::write(top.join("other.txt"), "not read").unwrap();
        sh(&top, &["add", "-A"]);
        sh(
            &top,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "one",
            ],
        );
        std::fs::write(dir.join("1_a.sql"), "changed\n").unwrap();
        std::fs::write(dir.join("3_new.sql"), "new\n").unwrap();

        let tree = GitTree::read(&top, "HEAD", &["db/migrations/"]).unwrap();
        let names: Vec<(String, bool)> = tree
            .list(&dir)
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(names, [("1_a.sql".into(), false), ("2024_a".into(), true)]);
        assert_eq!(
            tree.read(&dir.join("1_a.sql")).unwrap().unwrap(),
            b"SELECT 1;\n"
        );
        assert_eq!(
            tree.read(&dir.join("2024_a/up.sql")).unwrap().unwrap(),
            b"SELECT '\xff';\n"
        );
        assert!(tree.read(&top.join("other.txt")).unwrap().is_none());
        assert!(tree.list(&top.join("nope")).unwrap().is_none());
        let work = WorkDir.list(&dir).unwrap().unwrap();
        assert_eq!(work.len(), 3, "{work:?}");
    }
}
