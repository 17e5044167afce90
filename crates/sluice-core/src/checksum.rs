//! Migration checksums.
//!
//! The checksum is pinned and versioned, because a silent change would make every
//! applied migration look modified (refinery pinned its hasher for the same
//! reason): SHA-256 over the file's bytes after [`normalize`], which removes a
//! leading UTF-8 byte-order mark and turns every CRLF into LF. Editors and git's
//! `autocrlf` change exactly those bytes without changing the SQL, so such a change
//! is not a modification; any other byte is. The algorithm and normalisation are
//! named in the ledger ([`ALGORITHM`], [`NORMALIZATION`]); a ledger naming others
//! is rejected rather than reinterpreted.

use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// Name of the hash algorithm, as written in the ledger.
pub const ALGORITHM: &str = "sha256";
/// Name of the normalisation applied before hashing, as written in the ledger.
pub const NORMALIZATION: &str = "strip-utf8-bom+crlf-to-lf/v1";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// Checksum of raw migration bytes, after [`normalize`].
    pub fn of_migration(bytes: &[u8]) -> Checksum {
        Checksum::of(&normalize(bytes))
    }

    /// Plain SHA-256 of `bytes` (no normalisation).
    pub fn of(bytes: &[u8]) -> Checksum {
        Checksum(Sha256::digest(bytes).into())
    }

    /// Lower-case hex form (64 characters).
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(HEX[(b >> 4) as usize] as char);
            s.push(HEX[(b & 15) as usize] as char);
        }
        s
    }

    /// Parses the hex form; `None` unless it is exactly 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Checksum> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = (hi * 16 + lo) as u8;
        }
        Some(Checksum(out))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", self.to_hex())
    }
}

/// Removes a leading UTF-8 BOM and turns CRLF into LF. Borrows when there is
/// nothing to change, which is the common case.
pub fn normalize(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_bom_do_not_change_the_checksum() {
        let lf = b"CREATE TABLE t (id int);\nSELECT 1;\n";
        let crlf = b"CREATE TABLE t (id int);\r\nSELECT 1;\r\n";
        let bom = b"\xEF\xBB\xBFCREATE TABLE t (id int);\r\nSELECT 1;\n";
        assert_eq!(Checksum::of_migration(lf), Checksum::of_migration(crlf));
        assert_eq!(Checksum::of_migration(lf), Checksum::of_migration(bom));
    }

    #[test]
    fn a_one_byte_change_changes_the_checksum() {
        let a = b"CREATE TABLE t (id int);\n";
        let b = b"CREATE TABLE t (id int8);\n";
        assert_ne!(Checksum::of_migration(a), Checksum::of_migration(b));
        // A lone CR is content, not a line ending.
        assert_ne!(
            Checksum::of_migration(b"a\rb"),
            Checksum::of_migration(b"ab")
        );
    }

    #[test]
    fn pinned_digest_never_changes() {
        // If this fails, every applied migration in the world looks modified.
        assert_eq!(
            Checksum::of_migration(b"\xEF\xBB\xBFSELECT 1;\r\n").to_hex(),
            "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd"
        );
    }

    #[test]
    fn hex_round_trips() {
        let c = Checksum::of(b"x");
        assert_eq!(Checksum::from_hex(&c.to_hex()), Some(c));
        assert_eq!(Checksum::from_hex("zz"), None);
    }
}
