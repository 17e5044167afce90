//! The ledger, `checksums.json`: the integrity record of a migrations directory.
//!
//! It lists every migration in version order with its checksum and a chained
//! hash: entry *i*'s `chain` covers the names and checksums of entries 0..=i, as
//! Atlas's `atlas.sum` does, and `total` seals the whole list. Editing, inserting,
//! reordering or deleting a migration changes the chain, and two branches that
//! each add a migration change the same lines, so git reports a conflict on
//! purpose. The format, algorithm and normalisation are written into the file and
//! checked on read.
//!
//! ```json
//! {
//!   "format": 1,
//!   "algorithm": "sha256",
//!   "normalization": "strip-utf8-bom+crlf-to-lf/v1",
//!   "migrations": [
//!     { "file": "1732190000000_create_users.sql", "checksum": "…", "chain": "…" }
//!   ],
//!   "total": "…"
//! }
//! ```

use crate::checksum::{Checksum, ALGORITHM, NORMALIZATION};
use crate::error::CoreError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The ledger format version written by this tool.
pub const FORMAT: u32 = 1;

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// The migration's file name.
    pub file: String,
    /// Hex checksum of the file's normalised content.
    pub checksum: String,
    /// Hex chained hash over this and every earlier entry.
    pub chain: String,
}

/// The ledger file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// Format version.
    pub format: u32,
    /// Hash algorithm name.
    pub algorithm: String,
    /// Normalisation name.
    pub normalization: String,
    /// Entries in version order.
    pub migrations: Vec<LedgerEntry>,
    /// Hex seal over the whole list.
    pub total: String,
}

/// How the ledger file is written (`[migrations] ledger_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LedgerFormat {
    /// sluice's own: checksums, a chain and a total.
    #[default]
    Chain,
    /// A JSON object mapping file name to SHA-256 hex, as some teams keep
    /// (read and written as is).
    Map,
}

/// A JSON object of file name → 64-hex checksum, in file order; None for
/// anything else.
fn as_map(text: &str) -> Option<Vec<(String, Checksum)>> {
    // sluice's own ledger names its format: do not parse it twice (a ledger of
    // thousands of migrations is read on every command).
    if text.contains("\"format\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let obj = v.as_object()?;
    if obj.contains_key("format") {
        return None;
    }
    obj.iter()
        .map(|(k, v)| Some((k.clone(), Checksum::from_hex(v.as_str()?)?)))
        .collect()
}

/// Where a ledger's own chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Index of the first entry whose checksum or chain is wrong; `None` when only
    /// the total is wrong.
    pub entry: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

fn chain_step(prev: Option<&Checksum>, file: &str, checksum: &Checksum) -> Checksum {
    let mut h = Sha256::new();
    h.update(b"sluice-ledger-chain/v1\0");
    if let Some(p) = prev {
        h.update(p.0);
    }
    h.update((file.len() as u64).to_be_bytes());
    h.update(file.as_bytes());
    h.update(checksum.0);
    Checksum(h.finalize().into())
}

fn seal(count: usize, last: Option<&Checksum>) -> Checksum {
    let mut h = Sha256::new();
    h.update(b"sluice-ledger-total/v1\0");
    h.update((count as u64).to_be_bytes());
    if let Some(l) = last {
        h.update(l.0);
    }
    Checksum(h.finalize().into())
}

impl Ledger {
    /// Builds the ledger for `(file name, checksum)` pairs in version order.
    pub fn build<'a>(files: impl IntoIterator<Item = (&'a str, Checksum)>) -> Ledger {
        let mut migrations = Vec::new();
        let mut prev: Option<Checksum> = None;
        for (file, checksum) in files {
            let chain = chain_step(prev.as_ref(), file, &checksum);
            migrations.push(LedgerEntry {
                file: file.to_string(),
                checksum: checksum.to_hex(),
                chain: chain.to_hex(),
            });
            prev = Some(chain);
        }
        let total = seal(migrations.len(), prev.as_ref()).to_hex();
        Ledger {
            format: FORMAT,
            algorithm: ALGORITHM.into(),
            normalization: NORMALIZATION.into(),
            migrations,
            total,
        }
    }

    /// Reads a ledger; `Ok(None)` when the file does not exist. A file that is
    /// not valid JSON, or names another format, algorithm or normalisation, is an
    /// error with its line and column.
    pub fn load(path: &Path) -> Result<Option<Ledger>, CoreError> {
        Ok(Ledger::read_from(&crate::tree::WorkDir, path)?.map(|(l, _)| l))
    }

    /// Reads the ledger at `path` in `tree` (the working tree or a commit):
    /// the ledger and its text (for line numbers), `Ok(None)` when absent.
    pub fn read_from(
        tree: &dyn crate::tree::SourceTree,
        path: &Path,
    ) -> Result<Option<(Ledger, String)>, CoreError> {
        let Some(bytes) = tree.read(path)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|_| CoreError::LedgerSyntax {
            path: path.into(),
            line: 1,
            column: 1,
            message: "the file is not UTF-8".into(),
        })?;
        let ledger = Ledger::parse(path, &text)?;
        Ok(Some((ledger, text)))
    }

    /// Parses a ledger's text (read from `path`, named in errors): sluice's
    /// chained ledger, or a team's own map of file name to SHA-256 hex
    /// (`{"1700000000001_a.mjs": "<hex>", ...}`, [`LedgerFormat::Map`]),
    /// whose chain sluice computes.
    fn parse(path: &Path, text: &str) -> Result<Ledger, CoreError> {
        if let Some(entries) = as_map(text) {
            return Ok(Ledger::build(entries.iter().map(|(f, c)| (f.as_str(), *c))));
        }
        let ledger: Ledger = serde_json::from_str(text).map_err(|e| CoreError::LedgerSyntax {
            path: path.into(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: e.to_string(),
        })?;
        let mismatch = |what: &str, found: &str, expected: &str| CoreError::LedgerSyntax {
            path: path.into(),
            line: line_of(text, &format!("\"{what}\"")),
            column: 1,
            message: format!("`{what}` is {found:?}, this sluice writes {expected:?}"),
        };
        if ledger.format != FORMAT {
            return Err(mismatch(
                "format",
                &ledger.format.to_string(),
                &FORMAT.to_string(),
            ));
        }
        if ledger.algorithm != ALGORITHM {
            return Err(mismatch("algorithm", &ledger.algorithm, ALGORITHM));
        }
        if ledger.normalization != NORMALIZATION {
            return Err(mismatch(
                "normalization",
                &ledger.normalization,
                NORMALIZATION,
            ));
        }
        Ok(ledger)
    }

    /// Writes the ledger in `format`, atomically.
    pub fn save_as(&self, path: &Path, format: LedgerFormat) -> Result<(), CoreError> {
        match format {
            LedgerFormat::Chain => self.save(path),
            LedgerFormat::Map => {
                let map: serde_json::Map<String, serde_json::Value> = self
                    .migrations
                    .iter()
                    .map(|e| {
                        (
                            e.file.clone(),
                            serde_json::Value::String(e.checksum.clone()),
                        )
                    })
                    .collect();
                let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(map))
                    .expect("serialises");
                text.push('\n');
                write_atomic(path, text.as_bytes())
            }
        }
    }

    /// Writes the ledger atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), CoreError> {
        let mut text = serde_json::to_string_pretty(self).expect("ledger serialises");
        text.push('\n');
        write_atomic(path, text.as_bytes())
    }

    /// Verifies the ledger against its own entries: every chain and the total.
    pub fn verify_chain(&self) -> Result<(), ChainBreak> {
        let mut prev: Option<Checksum> = None;
        for (i, e) in self.migrations.iter().enumerate() {
            let Some(sum) = Checksum::from_hex(&e.checksum) else {
                return Err(ChainBreak {
                    entry: Some(i),
                    reason: format!("entry for {} has a malformed checksum", e.file),
                });
            };
            let chain = chain_step(prev.as_ref(), &e.file, &sum);
            if chain.to_hex() != e.chain {
                return Err(ChainBreak {
                    entry: Some(i),
                    reason: format!(
                        "the chained hash of the entry for {} does not match the entries up to it",
                        e.file
                    ),
                });
            }
            prev = Some(chain);
        }
        if seal(self.migrations.len(), prev.as_ref()).to_hex() != self.total {
            return Err(ChainBreak {
                entry: None,
                reason: "`total` does not match the entries (an entry was removed, added or reordered by hand)".into(),
            });
        }
        Ok(())
    }

    /// The entry for a file name (a linear search: to look up many, use
    /// [`Ledger::by_file`]).
    pub fn entry(&self, file: &str) -> Option<&LedgerEntry> {
        self.migrations.iter().find(|e| e.file == file)
    }

    /// The entries by file name (the first, should a name repeat).
    pub fn by_file(&self) -> std::collections::HashMap<&str, &LedgerEntry> {
        let mut map = std::collections::HashMap::with_capacity(self.migrations.len());
        for e in &self.migrations {
            map.entry(e.file.as_str()).or_insert(e);
        }
        map
    }
}

/// 1-based line of the first occurrence of `needle` in `text` (1 when absent).
pub fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Writes a file atomically: a temporary file beside it, then a rename, so a
/// crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| CoreError::io(d, e))?;
    }
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| CoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CoreError::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ledger {
        Ledger::build([
            ("1_a.sql", Checksum::of(b"a")),
            ("2_b.sql", Checksum::of(b"b")),
            ("3_c.sql", Checksum::of(b"c")),
        ])
    }

    #[test]
    fn built_ledger_verifies() {
        assert_eq!(sample().verify_chain(), Ok(()));
        assert_eq!(Ledger::build([]).verify_chain(), Ok(()));
    }

    #[test]
    fn edits_reorders_and_deletions_break_the_chain() {
        let mut edited = sample();
        edited.migrations[1].checksum = Checksum::of(b"B").to_hex();
        assert_eq!(edited.verify_chain().unwrap_err().entry, Some(1));

        let mut reordered = sample();
        reordered.migrations.swap(0, 1);
        assert_eq!(reordered.verify_chain().unwrap_err().entry, Some(0));

        let mut deleted_last = sample();
        deleted_last.migrations.pop();
        assert_eq!(deleted_last.verify_chain().unwrap_err().entry, None);
    }

    #[test]
    fn save_and_load_round_trip_and_truncation_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checksums.json");
        sample().save(&path).unwrap();
        assert_eq!(Ledger::load(&path).unwrap(), Some(sample()));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        match Ledger::load(&path).unwrap_err() {
            CoreError::LedgerSyntax { line, .. } => assert!(line > 1),
            other => panic!("{other}"),
        }
        assert_eq!(Ledger::load(&dir.path().join("none.json")).unwrap(), None);
    }
}
