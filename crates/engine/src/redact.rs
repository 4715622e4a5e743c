//! The one redaction pass. Every secret value found in a run (by the secrets engine, and every
//! value of a secret-named field the family rules flag) is masked wherever it appears in what
//! pipeguard emits — every copy, not only the finding's span — and credentials in URLs are
//! stripped. Lockfiles keep a keyed hash of a secret instead of the value, so a changed secret
//! still shows as drift.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::finding::mask_secret;

/// Shorter values are not masked by value (they would hit ordinary words, names and numbers:
/// a `creation_token = "shared"` must not mask every `shared`); their finding's own span is
/// still masked.
pub const MIN_LEN: usize = 8;

/// Masks a set of secret values in any text.
#[derive(Default)]
pub struct Redactor {
    values: Vec<String>,
    ac: Option<AhoCorasick>,
}

impl Redactor {
    pub fn new<I, S>(values: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut values: Vec<String> = values
            .into_iter()
            .map(|v| v.as_ref().trim().to_string())
            .filter(|v| v.chars().count() >= MIN_LEN)
            .collect();
        values.sort();
        values.dedup();
        let ac = (!values.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&values)
                    .ok()
            })
            .flatten();
        Redactor { values, ac }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every known secret masked (`AKIA…[redacted 20 chars]`) and URL credentials
    /// stripped.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let masked = self.replace(text, mask_secret);
        match strip_url_credentials(&masked) {
            Cow::Borrowed(_) => masked,
            Cow::Owned(s) => Cow::Owned(s),
        }
    }

    /// In place, for the fields of a report.
    pub fn redact_string(&self, s: &mut String) {
        if let Cow::Owned(r) = self.redact(s) {
            *s = r;
        }
    }

    /// Every known secret replaced by `with(value)`.
    pub fn replace<'a>(&self, text: &'a str, with: impl Fn(&str) -> String) -> Cow<'a, str> {
        let Some(ac) = &self.ac else {
            return Cow::Borrowed(text);
        };
        let mut out = String::new();
        let mut last = 0;
        for m in ac.find_iter(text) {
            out.push_str(&text[last..m.start()]);
            out.push_str(&with(&self.values[m.pattern().as_usize()]));
            last = m.end();
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@").unwrap_or_else(|_| unreachable!())
});
static SECRET_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)([?&](?:access_token|token|private_token|auth|auth_token|password|passwd|pwd|secret|client_secret|api_key|apikey|key|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s'\x22<>]+",
    )
    .unwrap_or_else(|_| unreachable!())
});

/// URLs without their user-info (`https://user:token@host` → `https://…@host`) and without the
/// values of credential-named query parameters (`?access_token=…`).
pub fn strip_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") && !text.contains('=') {
        return Cow::Borrowed(text);
    }
    let a = URL_USERINFO.replace_all(text, "${1}…@");
    let changed = matches!(a, Cow::Owned(_));
    let b = SECRET_QUERY.replace_all(&a, "${1}…");
    if !changed && matches!(b, Cow::Borrowed(_)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(b.into_owned())
}

/// The key of the keyed hash lockfiles store for secret values: `PIPEGUARD_LOCK_KEY` when set
/// (a CI secret, so that a weak password cannot be guessed from the lockfile), else a fixed
/// domain key (the lock stays reproducible; guessing needs the candidate value).
pub fn lock_key() -> Vec<u8> {
    std::env::var("PIPEGUARD_LOCK_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .map_or_else(
            || b"pipeguard lockfile secret v1".to_vec(),
            String::into_bytes,
        )
}

/// HMAC-SHA256 (RFC 2104) as lower-case hex.
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    crate::finding::hex(&outer.finalize())
}

/// How a secret value appears in a canonical form: `‹secret:3f1c…›` (a keyed hash, 16 hex).
pub fn keyed_placeholder(key: &[u8], value: &str) -> String {
    format!("‹secret:{}›", &hmac_sha256_hex(key, value.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_is_masked() {
        let r = Redactor::new(["ghp_abcdefghijklmnopqrstuvwxyz0123456789", "shorter"]);
        let t = "a ghp_abcdefghijklmnopqrstuvwxyz0123456789 b ghp_abcdefghijklmnopqrstuvwxyz0123456789 shorter";
        let out = r.redact(t);
        assert_eq!(out.matches("ghp_…[redacted 40 chars]").count(), 2, "{out}");
        assert!(out.ends_with("shorter"), "values under MIN_LEN stay");
    }

    #[test]
    fn url_credentials_are_stripped() {
        assert_eq!(
            strip_url_credentials("git clone https://x-access-token:ghs_123@github.com/o/r.git"),
            "git clone https://…@github.com/o/r.git"
        );
        assert_eq!(
            strip_url_credentials("https://gitlab.example/o/r.git?access_token=glpat-XYZ&x=1"),
            "https://gitlab.example/o/r.git?access_token=…&x=1"
        );
        assert_eq!(
            strip_url_credentials("see https://example.com/a?b=c"),
            "see https://example.com/a?b=c"
        );
        assert!(matches!(
            strip_url_credentials("no urls here"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
