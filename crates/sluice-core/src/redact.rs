//! Secrets never reach output: database URLs are redacted before they are
//! printed, serialised or written to evidence.

/// The text that stands in for a password.
pub const MASK: &str = "***";

/// Redacts the password in a database URL (`scheme://user:password@host`), in a
/// `password=` query parameter, and in a libpq key/value string
/// (`host=… password=…`). Anything else is returned unchanged.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let auth_start = scheme_end + 3;
        let rest = &out[auth_start..];
        let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                let start = auth_start + colon + 1;
                let end = auth_start + at;
                if end > start {
                    out.replace_range(start..end, MASK);
                }
            }
        }
    }
    redact_params(&out)
}

/// Redacts `password=value` and `sslpassword=value` pairs (URL query or libpq
/// key/value form).
fn redact_params(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(rel) = lower[i..].find("password=") {
        let key_start = i + rel;
        let boundary_ok = key_start == 0
            || matches!(
                s.as_bytes()[key_start - 1],
                b'?' | b'&' | b' ' | b'\t' | b'l' /* sslpassword */
            );
        let value_start = key_start + "password=".len();
        out.push_str(&s[i..value_start]);
        if !boundary_ok {
            i = value_start;
            continue;
        }
        let rest = &s[value_start..];
        let value_len = if let Some(quoted) = rest.strip_prefix('\'') {
            quoted.find('\'').map(|e| e + 2).unwrap_or(rest.len())
        } else {
            rest.find(['&', ' ', '\t', '#']).unwrap_or(rest.len())
        };
        if value_len > 0 {
            out.push_str(MASK);
        }
        i = value_start + value_len;
    }
    out.push_str(&s[i..]);
    out
}

/// The password in a URL, if any, so it can also be scrubbed from free text such
/// as driver error messages.
pub fn url_password(url: &str) -> Option<String> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..auth_end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    let pw = &rest[colon + 1..at];
    (!pw.is_empty()).then(|| pw.to_string())
}

/// Replaces every occurrence of each secret in `text` with [`MASK`].
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 2) {
        out = out.replace(s.as_str(), MASK);
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
    fn finds_and_scrubs_passwords() {
        let pw = url_password("postgres://u:hunter2@h/d").unwrap();
        assert_eq!(pw, "hunter2");
        assert_eq!(
            scrub("auth failed for hunter2", &[pw]),
            "auth failed for ***"
        );
    }
}
