//! Passwords seen in resolved URLs, so that any text leaving the process (error
//! messages from drivers included) can be scrubbed of them.
//!
//! Text is redacted by structure first (every URL-shaped substring and every
//! `password=` pair, see [`sluice_core::redact`]); the registered passwords are
//! then replaced where they are distinctive enough not to appear by chance.

use std::sync::Mutex;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers every password of `url` (userinfo and `password=` parameters, as
/// written and percent-decoded).
pub fn register_url(url: &str) {
    let found = sluice_core::redact::passwords(url);
    if found.is_empty() {
        return;
    }
    let mut s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for p in found {
        if !s.contains(&p) {
            s.push(p);
        }
    }
    // Longest first, so a password that contains another is masked whole.
    s.sort_by_key(|p| std::cmp::Reverse(p.len()));
}

/// Redacts URLs and `password=` pairs in `text` and replaces every registered
/// distinctive password.
pub fn scrub(text: &str) -> String {
    let s = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    sluice_core::redact::scrub(text, &s)
}

/// [`scrub`] for a panic hook: never waits for the registry (the panicking
/// thread may hold it); without it, text is still redacted by structure.
pub fn scrub_nonblocking(text: &str) -> String {
    match SECRETS.try_lock() {
        Ok(s) => sluice_core::redact::scrub(text, &s),
        Err(std::sync::TryLockError::Poisoned(p)) => {
            sluice_core::redact::scrub(text, &p.into_inner())
        }
        Err(std::sync::TryLockError::WouldBlock) => sluice_core::redact::redact_text(text),
    }
}
