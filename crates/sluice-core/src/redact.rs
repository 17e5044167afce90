//! Secrets never reach output: database URLs are redacted before they are
//! printed, serialised or written to evidence.
//!
//! Redaction follows a URL's structure rather than searching for the password
//! text, so a password that is also an ordinary word (`postgres`) does not mask
//! the same word elsewhere:
//!
//! - the userinfo password of `scheme://user:password@host/…` runs from the first
//!   `:` of the userinfo to the last `@` before the host, so a raw `/`, `?`, `#`,
//!   `:` or `@` inside it (which the drivers accept) is masked with the rest;
//! - `password=` and `sslpassword=` pairs are masked wherever they stand: a URL's
//!   query, a libpq keyword/value string (`host=… password='a b'`), or free text
//!   such as a TOML error's excerpt;
//! - free text is also scrubbed of registered passwords, but only of those that
//!   could not appear there by chance ([`is_distinctive`]).

use regex::Regex;
use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

/// The text that stands in for a password.
pub const MASK: &str = "***";

/// Where `scheme://` ends (the index just past `//`), for a URL-shaped string.
fn authority_start(url: &str) -> Option<usize> {
    let i = url.find("://")?;
    let scheme = &url[..i];
    let ok = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then_some(i + 3)
}

/// The byte range of the userinfo password of a URL, if it has one.
///
/// The userinfo ends at the last `@` before the host. Which `@` that is cannot
/// be known for sure when the password holds raw `@`, `/` or `?`, so the choice
/// errs towards masking more: the last `@` in the URL, except one in the query
/// string (after a `?` or `#` that follows the path's first `/` after the first
/// `@`, or the first `?`/`#` after the first `@` when there is no path).
fn userinfo_password(url: &str) -> Option<Range<usize>> {
    let start = authority_start(url)?;
    let rest = &url[start..];
    let first_at = rest.find('@')?;
    let after = &rest[first_at..];
    let query = match after.find('/') {
        Some(slash) => after[slash..]
            .find(['?', '#'])
            .map(|q| first_at + slash + q),
        None => after.find(['?', '#']).map(|q| first_at + q),
    };
    let region = &rest[..query.unwrap_or(rest.len())];
    let at = region.rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some(start + colon + 1..start + at)
}

fn params_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?i)(^|[\s?&;,(\[{"'`])((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s&]+)"#,
        )
        .expect("valid regex")
    })
}

fn url_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'`<>]*"#).expect("valid regex"))
}

/// Masks `password=value` and `sslpassword=value` pairs (URL query, libpq
/// keyword/value form, or free text; values quoted with `'` or `"` included).
fn redact_params(s: &str) -> Cow<'_, str> {
    params_regex().replace_all(s, |c: &regex::Captures<'_>| {
        format!("{}{}{MASK}", &c[1], &c[2])
    })
}

/// Redacts the password in a database URL (`scheme://user:password@host`), in
/// `password=` / `sslpassword=` parameters, and in a libpq keyword/value string
/// (`host=… password=…`). Anything else is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(r) = userinfo_password(&out) {
        if !r.is_empty() {
            out.replace_range(r, MASK);
        }
    }
    redact_params(&out).into_owned()
}

/// Redacts every URL-shaped substring and every `password=` pair in free text
/// (error messages, a configuration file's excerpt), by structure.
pub fn redact_text(text: &str) -> String {
    let urls = url_regex().replace_all(text, |c: &regex::Captures<'_>| redact_url(&c[0]));
    redact_params(&urls).into_owned()
}

/// [`redact_text`] for text quoted from a file (a configuration error's
/// excerpt): a URL there runs to the end of its line (less a closing quote), so
/// a password with a raw space or quote is masked whole too.
pub fn redact_lines(text: &str) -> String {
    text.lines()
        .map(|line| match url_regex().find(line) {
            Some(m) => {
                let tail = &line[m.start()..];
                let body = tail.trim_end_matches(['"', '\'', ' ', ',', '}', ']']);
                format!(
                    "{}{}{}",
                    redact_params(&line[..m.start()]),
                    redact_url(body),
                    &tail[body.len()..]
                )
            }
            None => redact_params(line).into_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Percent-decodes `s` byte by byte (an invalid escape stays as written; bytes
/// that are not UTF-8 become U+FFFD). Never panics.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Removes libpq quoting from a keyword/value value (`'a \' b'` → `a ' b`).
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('\'').or_else(|| v.strip_prefix('"')) else {
        return v.to_string();
    };
    let inner = inner.strip_suffix(&v[..1]).unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every form in which the passwords of a connection string may show up in
/// other text: the userinfo password and `password=`/`sslpassword=` values, as
/// written and percent-decoded.
pub fn passwords(url: &str) -> Vec<String> {
    let mut raw = Vec::new();
    if let Some(r) = userinfo_password(url) {
        raw.push(url[r].to_string());
    }
    for c in params_regex().captures_iter(url) {
        raw.push(unquote(&c[3]));
    }
    let mut out: Vec<String> = Vec::new();
    for p in raw {
        let decoded = percent_decode(&p);
        for v in [p, decoded] {
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The userinfo password of a URL (as written), if any.
pub fn url_password(url: &str) -> Option<String> {
    userinfo_password(url)
        .map(|r| url[r].to_string())
        .filter(|p| !p.is_empty())
}

/// Whether a password could not appear in ordinary text by chance, so that
/// scrubbing free text of it masks nothing but the password: at least three
/// characters of at least two kinds (lower case, upper case, digits, others),
/// or at least twelve characters. `postgres`, `secret` or `x` are not: they are
/// redacted wherever they stand in a URL or a `password=` pair, never as words.
pub fn is_distinctive(password: &str) -> bool {
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|&&k| k)
    .count();
    let n = password.chars().count();
    (n >= 3 && kinds >= 2) || n >= 12
}

/// Redacts `text` by structure ([`redact_text`]), then replaces every
/// distinctive secret ([`is_distinctive`]) that is still there.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = redact_text(text);
    for s in secrets.iter().filter(|s| is_distinctive(s)) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cr%40t@db.example:5432/prod?sslmode=require"),
            "postgres://app:***@db.example:5432/prod?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://app@db/prod"),
            "postgres://app@db/prod"
        );
        assert_eq!(redact_url("sqlite://sluice.db"), "sqlite://sluice.db");
        assert_eq!(
            redact_url("postgres://db/prod?user=a&password=hunter2&x=1"),
            "postgres://db/prod?user=a&password=***&x=1"
        );
        assert_eq!(
            redact_url("host=db password='a b' user=x"),
            "host=db password=*** user=x"
        );
        assert_eq!(
            redact_url("host=db sslpassword=k"),
            "host=db sslpassword=***"
        );
    }

    #[test]
    fn raw_reserved_characters_in_a_password_are_masked() {
        for (url, want) in [
            (
                "postgres://app:Zq9a/b@host:5432/db",
                "postgres://app:***@host:5432/db",
            ),
            (
                "postgres://app:Zq9a?b@host:5432/db",
                "postgres://app:***@host:5432/db",
            ),
            (
                "postgres://app:Zq9a#b@host:5432/db",
                "postgres://app:***@host:5432/db",
            ),
            ("postgres://app:a@b/c@host/db", "postgres://app:***@host/db"),
            ("postgres://app:p:w@host/db", "postgres://app:***@host/db"),
            ("postgres://u:x@h/db", "postgres://u:***@h/db"),
            (
                "postgres://u:pw@h/db?application_name=a@b",
                "postgres://u:***@h/db?application_name=a@b",
            ),
            ("postgres://u:p%xé@h/db", "postgres://u:***@h/db"),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn free_text_is_redacted_by_structure() {
        let t = "3 | url = \"postgres://u:Zq9a/b@h/db\n  | password = 'x y' and password=abc&z";
        let r = redact_text(t);
        assert!(!r.contains("Zq9a"), "{r}");
        assert!(!r.contains("x y"), "{r}");
        assert!(!r.contains("abc"), "{r}");
        assert!(r.contains("postgres://u:***@h/db"), "{r}");
    }

    #[test]
    fn quoted_lines_are_redacted_to_their_end() {
        let t = "3 | url = \"postgres://u:Zq9 a\"b@h/db\"\n  |       ^";
        let r = redact_lines(t);
        assert!(!r.contains("Zq9"), "{r}");
        assert!(r.contains("postgres://u:***@h/db\""), "{r}");
        assert!(r.ends_with("  |       ^"), "{r}");
    }

    #[test]
    fn passwords_in_every_form() {
        let p = passwords("postgres://u:a%2Fb@h/d?sslpassword=k%20k");
        assert_eq!(p, vec!["a%2Fb", "a/b", "k%20k", "k k"]);
        assert_eq!(passwords("host=h password='it\\'s' dbname=x"), vec!["it's"]);
        // Byte-safe: no panic on a `%` before a multi-byte character.
        assert_eq!(passwords("postgres://u:p%xé@h/db"), vec!["p%xé"]);
        assert_eq!(percent_decode("%e9%"), "\u{fffd}%");
    }

    #[test]
    fn finds_and_scrubs_passwords() {
        let pw = url_password("postgres://u:hunter2@h/d").unwrap();
        assert_eq!(pw, "hunter2");
        assert_eq!(
            scrub("auth failed for hunter2", &[pw]),
            "auth failed for ***"
        );
        // An ordinary word is redacted in URLs, never as a word.
        let secrets = passwords("postgres://postgres:postgres@h/postgres");
        assert_eq!(
            scrub(
                "postgres://postgres:postgres@h/postgres on postgres",
                &secrets
            ),
            "postgres://postgres:***@h/postgres on postgres"
        );
        assert!(!is_distinctive("x"));
        assert!(!is_distinctive("postgres"));
        assert!(is_distinctive("Zq9"));
    }
}
