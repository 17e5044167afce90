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
            return Err(format!("unterminated `${{` in {value:?}"));
        };
        let body = &body_and_tail[..close];
        let (name, default) = match body.find(":-") {
            Some(p) => (&body[..p], Some(&body[p + 2..])),
            None => (body, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{body}}}` is not a valid variable reference"));
        }
        match (lookup(name).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(format!(
                    "environment variable {name} is not set (write `${{{name}:-default}}` to give a default)"
                ))
            }
        }
        rest = &body_and_tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
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
}
