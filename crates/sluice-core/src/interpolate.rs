//! `${VAR}` and `${VAR:-default}` in configuration values.

/// Expands `${VAR}` and `${VAR:-default}` with `lookup`. `$$` is a literal `$`.
/// An unset `${VAR}` without a default is an error naming the variable. Like the
/// shell, `:-` also applies the default when the variable is set but empty.
pub fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let Some(body_and_tail) = after.strip_prefix('{') else {
            out.push('$');
            rest = after;
            continue;
        };
        let Some(close) = body_and_tail.find('}') else {
            return Err(format!(
                "unterminated `${{` in {:?} (write `$$` for a literal `$`)",
                crate::redact::redact_text(value)
            ));
        };
        let body = &body_and_tail[..close];
        let (name, default) = match body.find(":-") {
            Some(p) => (&body[..p], Some(&body[p + 2..])),
            None => (body, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(match shown(value, body) {
                Some(shown) => format!("`${{{body}}}` in {shown:?} is not a valid variable reference (write `$$` for a literal `$`)"),
                None => format!("a `${{…}}` in the password of {:?} is not a valid variable reference (write `$$` for a literal `$`)", crate::redact::redact_text(value)),
            });
        }
        match (lookup(name).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(match shown(value, body) {
                    Some(_) => format!(
                        "environment variable {name} is not set (write `${{{name}:-default}}` to give a default)"
                    ),
                    None => format!(
                        "a variable named in the password of {:?} is not set (write `$$` for a literal `$`)",
                        crate::redact::redact_text(value)
                    ),
                })
            }
        }
        rest = &body_and_tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The redacted value when the reference `${body}` is still visible in it (so
/// naming it reveals nothing of a password); None when it sits in a secret.
fn shown(value: &str, body: &str) -> Option<String> {
    let redacted = crate::redact::redact_text(value);
    redacted
        .contains(&format!("${{{body}}}"))
        .then_some(redacted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("db".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands() {
        assert_eq!(
            interpolate("postgres://${HOST}/x", &env).unwrap(),
            "postgres://db/x"
        );
        assert_eq!(
            interpolate("${NOPE:-sqlite://a.db}", &env).unwrap(),
            "sqlite://a.db"
        );
        assert_eq!(interpolate("${EMPTY:-d}", &env).unwrap(), "d");
        assert_eq!(interpolate("a$$b$c", &env).unwrap(), "a$b$c");
        let e = interpolate("${NOPE}", &env).unwrap_err();
        assert!(e.contains("NOPE"), "{e}");
        assert!(interpolate("${HOST", &env).is_err());
    }

    #[test]
    fn errors_never_show_a_password() {
        for v in [
            "postgres://u:pw${x@h/db",
            "postgres://u:Zq${a-b}9@h/db",
            "postgres://u:Zq${NOPE}9@h/db",
        ] {
            let e = interpolate(v, &env).unwrap_err();
            assert!(!e.contains("pw") && !e.contains("Zq"), "{e}");
            assert!(e.contains("postgres://u:***@h/db"), "{e}");
        }
    }
}
