//! Approvals: `db/approvals.toml`, append-only by convention and reviewed in PRs.
//!
//! ```toml
//! [[approval]]
//! version = "1732190000000"
//! environment = "production"
//! checksum = "<sha256 of the migration when approved>"
//! by = "alice"
//! ref = "OPS-123"
//! at = "2026-11-21T10:00:00.000Z"
//! signature = """
//! -----BEGIN SSH SIGNATURE-----
//! ...
//! -----END SSH SIGNATURE-----
//! """
//! ```
//!
//! An approval is bound to the migration's checksum and the environment: an edit
//! to the migration makes it stale. A signed approval carries an SSH signature
//! (`ssh-keygen -Y sign`, namespace [`NAMESPACE`]) over [`Approval::message`],
//! verified in-process against the environment's `allowed_signers` file (the
//! OpenSSH/git format): the signer's key must be listed for a principal matching
//! `by`, so editing any field of a signed approval, or signing with an unlisted
//! key, voids it.

use anyhow::{anyhow, bail, Context, Result};
use ssh_key::{PublicKey, SshSig};
use std::path::Path;

pub use sluice_engine::approvals::{append, load, Approval, NAMESPACE};

/// Signs `message` with `ssh-keygen -Y sign` (the private key never enters
/// this process).
pub fn sign(key: &Path, message: &str) -> Result<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running ssh-keygen to sign the approval (is OpenSSH installed?)")?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(message.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "ssh-keygen could not sign with {}: {}",
            key.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

/// One line of an allowed_signers file.
#[derive(Debug, Clone)]
struct Signer {
    principals: Vec<String>,
    namespaces: Option<Vec<String>>,
    key: PublicKey,
}

/// An OpenSSH `allowed_signers` file: `principals [options] keytype key [comment]`.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    signers: Vec<Signer>,
}

fn glob_match(pattern: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(&p, &t)
}

impl AllowedSigners {
    /// Parses the file's text; errors name the line.
    pub fn parse(text: &str, display: &str) -> Result<AllowedSigners> {
        let mut signers = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| anyhow!("{display}:{}: {why}", i + 1);
            let (principals, rest) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| bad("expected `principals [options] keytype key`"))?;
            let rest = rest.trim_start();
            // Options come before the key type when the next word is not one.
            let is_key_type =
                |w: &str| w.starts_with("ssh-") || w.starts_with("ecdsa-") || w.starts_with("sk-");
            let first = rest.split_whitespace().next().unwrap_or("");
            let (options, key_text) = if is_key_type(first) {
                ("", rest)
            } else {
                let (o, k) = rest
                    .split_once(char::is_whitespace)
                    .ok_or_else(|| bad("missing key after options"))?;
                (o, k.trim_start())
            };
            let mut namespaces = None;
            for opt in options.split(',').filter(|o| !o.is_empty()) {
                if let Some(v) = opt.strip_prefix("namespaces=") {
                    namespaces = Some(v.trim_matches('"').split(',').map(str::to_string).collect());
                } else if opt == "cert-authority" {
                    return Err(bad(
                        "cert-authority lines are not supported by sluice; list the signers' keys",
                    ));
                }
            }
            let key = PublicKey::from_openssh(key_text)
                .map_err(|e| bad(&format!("not a public key: {e}")))?;
            signers.push(Signer {
                principals: principals
                    .trim_matches('"')
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                namespaces,
                key,
            });
        }
        Ok(AllowedSigners { signers })
    }

    /// Reads and parses a file.
    pub fn load(path: &Path, display: &str) -> Result<AllowedSigners> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading allowed_signers file {display}"))?;
        Self::parse(&text, display)
    }

    /// Verifies that `signature` over `message` was made, in [`NAMESPACE`], by a
    /// key listed for `principal`. Returns why not.
    pub fn verify(&self, principal: &str, message: &str, signature: &str) -> Result<(), String> {
        sluice_engine::approvals::SignatureVerifier::verify(self, principal, message, signature)
    }
}

impl sluice_engine::approvals::SignatureVerifier for AllowedSigners {
    fn verify(&self, principal: &str, message: &str, signature: &str) -> Result<(), String> {
        let sig = SshSig::from_pem(signature.trim())
            .map_err(|e| format!("the signature is malformed: {e}"))?;
        if sig.namespace() != NAMESPACE {
            return Err(format!(
                "the signature is for namespace `{}`, not `{NAMESPACE}`",
                sig.namespace()
            ));
        }
        let candidates: Vec<&Signer> = self
            .signers
            .iter()
            .filter(|s| s.principals.iter().any(|p| glob_match(p, principal)))
            .filter(|s| {
                s.namespaces
                    .as_ref()
                    .is_none_or(|ns| ns.iter().any(|n| glob_match(n, NAMESPACE)))
            })
            .collect();
        if candidates.is_empty() {
            return Err(format!("allowed_signers lists no key for `{principal}`"));
        }
        for s in candidates {
            if s.key.verify(NAMESPACE, message.as_bytes(), &sig).is_ok() {
                return Ok(());
            }
        }
        Err(format!("the signature does not verify against any key allowed for `{principal}` (forged, or a field was edited after signing)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_parsing() {
        assert!(glob_match("*@example.com", "alice@example.com"));
        assert!(!glob_match("bob", "alice"));
        let text = "# team\nalice,bob@x ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhlRkE6MgbFlUiEqU7fhTT8ZPqn0STeC6nyIjaBSiKy alice\ncarol namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhlRkE6MgbFlUiEqU7fhTT8ZPqn0STeC6nyIjaBSiKy\n";
        let s = AllowedSigners::parse(text, "allowed_signers").unwrap();
        assert_eq!(s.signers.len(), 2);
        let e = AllowedSigners::parse("alice ssh-ed25519 notbase64\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f:1:"), "{e}");
    }
}
