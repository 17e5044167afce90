//! Migration versions.

use std::cmp::Ordering;
use std::fmt;

/// A migration version as written in its filename, such as `1732190000000`.
///
/// Versions compare numerically, segment by segment (segments are separated by
/// `.`), so `9` sorts before `10` and leading zeros do not matter for order.
/// Equality is numeric too: `007` and `7` are the same version, which is what
/// `duplicate-version` needs to catch. Each segment must fit in 38 digits (a
/// `u128`); the numeric key is computed once, because versions are compared
/// O(n log n) times on every command.
#[derive(Clone, Eq)]
pub struct Version {
    text: String,
    key: Box<[u128]>,
}

impl Version {
    /// Parses a version: one or more runs of ASCII digits separated by `.`.
    pub fn parse(text: &str) -> Option<Version> {
        if text.is_empty()
            || text
                .split('.')
                .any(|seg| seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let key = text
            .split('.')
            .map(|seg| seg.parse::<u128>().ok())
            .collect::<Option<Box<[u128]>>>()?;
        Some(Version {
            text: text.to_string(),
            key,
        })
    }

    /// An opaque revision id (Alembic's `ae1027a6acf`): no numeric key, ordered
    /// after every numeric version and by text among themselves. The order of
    /// Alembic revisions comes from their `down_revision` graph, not from ids.
    pub fn revision(text: &str) -> Version {
        Version {
            text: text.to_string(),
            key: Box::new([]),
        }
    }

    /// Whether this is an opaque revision id (no numeric order).
    pub fn is_revision(&self) -> bool {
        self.key.is_empty()
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.key.is_empty(), other.key.is_empty()) {
            (false, false) => self.key.cmp(&other.key),
            (true, true) => self.text.cmp(&other.text),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        if self.key.is_empty() {
            self.text.hash(state);
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn numeric_order() {
        assert!(v("9") < v("10"));
        assert!(v("1732190000000") < v("1732190000001"));
        assert!(v("1.2") < v("1.10"));
        assert_eq!(v("007"), v("7"));
    }

    #[test]
    fn rejects_non_versions() {
        let too_long = "1".repeat(40);
        for bad in ["", "a1", "1..2", "1.", "-1", "1_2", "+1", too_long.as_str()] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }
}
