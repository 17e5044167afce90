//! The stat cache: what reading a migration file computed (checksum, header,
//! sections), keyed by what `stat` says about the file, so that a command over
//! a directory of unchanged migrations lists and `stat`s files instead of
//! reading and hashing them.
//!
//! It lives in `<root>/.sluice/cache/catalog.json`; the directory holds a
//! `.gitignore` of `*`, so it is never committed. An entry is trusted only when the file's size, modification time,
//! change time, inode and device are all what they were when it was read. The
//! change time cannot be set by a user, so any write to the file, even one that
//! restores the old modification time, makes the entry stale.
//!
//! Timestamps are coarse (a kernel tick), so a file changed in the same tick the
//! cache was written could keep its stamps. As git does with its index, an entry
//! whose change or modification time is not strictly older than the cache file
//! itself is "racy" and is not trusted: the file is read again, and the cache
//! rewritten, after which the entry is older than the cache.
//!
//! The cache is an optimisation only: a missing, unreadable or malformed cache
//! is an empty one, and a cache that cannot be written is not an error.

use crate::checksum::Checksum;
use crate::header::Header;
use crate::migration::{Migration, Section};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Format of the file; a different one is ignored.
const FORMAT: u32 = 2;

/// What `stat` says about a file, as far as change detection goes: size,
/// modification and change times (ns), inode, device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp(u64, i128, i128, u64, u64);

impl Stamp {
    /// The stamp of a file's metadata (None where the platform has no inode
    /// and change time; the cache is then not used).
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Stamp(
                meta.size(),
                i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
                meta.ino(),
                meta.dev(),
            ))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    fn mtime_ns(&self) -> i128 {
        self.1
    }

    fn newest_ns(&self) -> i128 {
        self.1.max(self.2)
    }
}

/// One file: stamp, checksum (hex), the header block's text (parsed again on
/// use: cheaper to load than the parsed form), the up section, the down
/// section, the down marker's line. Arrays, not objects, so loading a
/// thousand entries is a few milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry(Stamp, String, String, Span, Option<Span>, Option<usize>);

/// A [`Section`]: start and end byte, first line, no-transaction.
type Span = (usize, usize, usize, bool);

fn span(s: &Section) -> Span {
    (s.range.start, s.range.end, s.first_line, s.no_transaction)
}

fn section(s: Span) -> Section {
    Section {
        range: s.0..s.1,
        first_line: s.2,
        no_transaction: s.3,
        // Only single-file layouts use the stat cache.
        alone_if_single: false,
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    format: u32,
    entries: HashMap<String, Entry>,
}

/// The stat cache of one project, loaded once per command.
#[derive(Debug)]
pub struct StatCache {
    path: PathBuf,
    /// Entries as loaded (only those older than the cache file).
    old: HashMap<String, Entry>,
    /// Entries for the files seen in this run.
    new: HashMap<String, Entry>,
    /// Whether `new` differs from what is on disk.
    dirty: bool,
}

impl StatCache {
    /// Loads `<dir>/catalog.json`, or starts empty.
    pub fn load(dir: &Path) -> StatCache {
        let path = dir.join("catalog.json");
        let mut old = HashMap::new();
        if let (Ok(bytes), Ok(meta)) = (std::fs::read(&path), std::fs::metadata(&path)) {
            if let (Ok(file), Some(own)) =
                (serde_json::from_slice::<File>(&bytes), Stamp::of(&meta))
            {
                if file.format == FORMAT {
                    // Racy entries (changed in the tick the cache was written, or
                    // later) are dropped: their file is read again.
                    old = file
                        .entries
                        .into_iter()
                        .filter(|(_, e)| e.0.newest_ns() < own.mtime_ns())
                        .collect();
                }
            }
        }
        StatCache {
            path,
            old,
            new: HashMap::new(),
            dirty: false,
        }
    }

    /// The migration at `path` rebuilt from the cache when its stamp matches
    /// (the text is then read on first use).
    pub fn get(
        &mut self,
        path: &Path,
        stamp: Stamp,
        build: impl FnOnce(Checksum, Header, Section, Option<Section>, Option<usize>) -> Migration,
    ) -> Option<Migration> {
        let key = path.to_string_lossy().into_owned();
        let entry = self.old.remove(&key).filter(|e| e.0 == stamp)?;
        let checksum = Checksum::from_hex(&entry.1)?;
        let m = build(
            checksum,
            Header::parse(&entry.2, 1),
            section(entry.3),
            entry.4.map(section),
            entry.5,
        );
        self.new.insert(key, entry);
        Some(m)
    }

    /// Records a migration that was read in this run.
    pub fn put(&mut self, stamp: Stamp, m: &Migration) {
        let text = m.text();
        let head = &text[..Header::block_len(text)];
        if Header::parse(head, 1) != m.header {
            return;
        }
        self.dirty = true;
        self.new.insert(
            m.path.to_string_lossy().into_owned(),
            Entry(
                stamp,
                m.checksum.to_hex(),
                head.to_string(),
                span(&m.up),
                m.down.as_ref().map(span),
                m.down_marker_line,
            ),
        );
    }

    /// Writes the cache when it changed: entries for files seen in this run only
    /// (a deleted or renamed file's entry goes). Written to a temporary file and
    /// renamed, so a reader never sees half a cache. Errors are ignored.
    pub fn save(self) {
        // Entries left in `old` are files not seen in this run.
        if !self.dirty && self.old.is_empty() {
            return;
        }
        let file = File {
            format: FORMAT,
            entries: self.new,
        };
        let Ok(json) = serde_json::to_vec(&file) else {
            return;
        };
        write_cache_file(&self.path, &json);
    }
}

/// Writes a file of the cache directory through a temporary file in the same
/// directory and a rename, so a reader never sees half of it. Creates the
/// directory with a `.gitignore` of `*`. Errors are ignored (a cache is
/// optional).
pub fn write_cache_file(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(
            &ignore,
            "# Written by sluice: this cache is local to the machine.\n*\n",
        );
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&tmp);
}
