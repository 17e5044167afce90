//! Reading `op.*(...)` calls out of a revision's Python: arguments, strings,
//! keyword arguments.

/// One argument: a string literal's value, or the raw expression.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Str(String),
    Raw(String),
}

impl Arg {
    pub(super) fn text(&self) -> &str {
        match self {
            Arg::Str(s) | Arg::Raw(s) => s,
        }
    }
}

pub(super) struct Call {
    pub(super) name: String,
    pub(super) receiver: String,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) positional: Vec<Arg>,
    pub(super) keywords: Vec<(String, Arg)>,
}

impl Call {
    pub(super) fn kw(&self, k: &str) -> Option<&Arg> {
        self.keywords.iter().find(|(n, _)| n == k).map(|(_, a)| a)
    }

    pub(super) fn kw_true(&self, k: &str) -> bool {
        self.kw(k).is_some_and(|a| a.text().trim() == "True")
    }

    pub(super) fn pos_str(&self, i: usize) -> Option<&str> {
        match self.positional.get(i) {
            Some(Arg::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// Reads a Python string literal at `i` (prefixes r/b/u/f, single or triple
/// quotes); returns its value and the index after it.
pub(super) fn string_at(b: &[u8], s: &str, mut i: usize) -> Option<(String, usize)> {
    let start = i;
    while i < b.len()
        && matches!(b[i], b'r' | b'R' | b'b' | b'B' | b'u' | b'U' | b'f' | b'F')
        && i - start < 2
    {
        i += 1;
    }
    let q = *b.get(i)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let triple = b.len() >= i + 3 && b[i + 1] == q && b[i + 2] == q;
    let open = if triple { 3 } else { 1 };
    let body = i + open;
    let mut j = body;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q && (!triple || (j + 2 < b.len() && b[j + 1] == q && b[j + 2] == q)) {
            return Some((s[body..j].to_string(), j + open));
        }
        if !triple && b[j] == b'\n' {
            return None;
        }
        j += 1;
    }
    None
}

/// Splits a call's argument text at top-level commas; also returns the end
/// (index after the closing parenthesis).
pub(super) fn parse_args(s: &str, open: usize) -> Option<(Vec<String>, usize)> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    let mut args = Vec::new();
    let mut cur = open + 1;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    let last = s[cur..i].trim();
                    if !last.is_empty() {
                        args.push(last.to_string());
                    }
                    return Some((args, i + 1));
                }
            }
            b',' if depth == 1 => {
                args.push(s[cur..i].trim().to_string());
                cur = i + 1;
            }
            b'"' | b'\'' => {
                let (_, end) = string_at(b, s, i)?;
                i = end;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// An f-string with placeholders is only known at run time.
pub(super) fn is_fstring(token: &str) -> bool {
    let prefix: String = token
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    prefix.to_ascii_lowercase().contains('f') && token.contains('{')
}

pub(super) fn to_arg(raw: &str) -> Arg {
    let t = raw.trim();
    let inner_of_text = ["sa.text(", "text(", "sqlalchemy.text("]
        .iter()
        .find_map(|p| t.strip_prefix(p).and_then(|r| r.strip_suffix(')')))
        .map(str::trim);
    if is_fstring(t) || inner_of_text.is_some_and(is_fstring) {
        return Arg::Raw(t.to_string());
    }
    let b = t.as_bytes();
    // sa.text("…") / text("…") unwrap to their string.
    for prefix in ["sa.text(", "text(", "sqlalchemy.text("] {
        if let Some(inner) = t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            if let Some((v, end)) = string_at(inner.as_bytes(), inner, 0) {
                if end == inner.trim_end().len() {
                    return Arg::Str(v);
                }
            }
        }
    }
    match string_at(b, t, 0) {
        Some((v, end)) if end == t.len() => Arg::Str(v),
        _ => Arg::Raw(t.to_string()),
    }
}

/// Every `op.NAME(` / `batch_op.NAME(` call in `body` (absolute offsets).
pub(super) fn calls(text: &str, range: std::ops::Range<usize>) -> Vec<Call> {
    let body = &text[range.clone()];
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = body[from..].find("op.") {
        let at = range.start + from + rel;
        from += rel + 3;
        // The receiver: `op` or an identifier ending in `op` (batch_op).
        let mut r = at;
        while r > range.start && (b[r - 1].is_ascii_alphanumeric() || b[r - 1] == b'_') {
            r -= 1;
        }
        if r > range.start && b[r - 1] == b'.' {
            continue;
        }
        let receiver = text[r..at + 2].to_string();
        let name_start = at + 3;
        let mut n = name_start;
        while n < b.len() && (b[n].is_ascii_alphanumeric() || b[n] == b'_') {
            n += 1;
        }
        if n >= b.len() || b[n] != b'(' {
            continue;
        }
        let Some((raw, end)) = parse_args(text, n) else {
            continue;
        };
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        for a in raw {
            match a.split_once('=') {
                Some((k, v))
                    if k.trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !v.starts_with('=') =>
                {
                    keywords.push((k.trim().to_string(), to_arg(v)))
                }
                _ => positional.push(to_arg(&a)),
            }
        }
        out.push(Call {
            name: text[name_start..n].to_string(),
            receiver,
            start: r,
            end,
            positional,
            keywords,
        });
    }
    out
}
