//! Passwords seen in resolved URLs, so that any text leaving the process (error
//! messages from drivers included) can be scrubbed of them.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers the password of `url`, if it has one.
pub fn register_url(url: &str) {
    if let Some(p) = sluice_core::redact::url_password(url) {
        let mut s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
        if !s.contains(&p) {
            s.push(p.clone());
            // The percent-decoded form may appear in driver messages too.
            let decoded = percent_decode(&p);
            if decoded != p {
                s.push(decoded);
            }
        }
    }
}

/// Replaces every registered password in `text`.
pub fn scrub(text: &str) -> String {
    let s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    sluice_core::redact::scrub(text, &s)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
