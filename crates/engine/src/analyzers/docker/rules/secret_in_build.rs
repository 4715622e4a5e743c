//! `docker/secret-in-build`: an `ARG` or `ENV` whose name says it holds a credential
//! (`DB_PASSWORD`, `NPM_TOKEN`, `AWS_SECRET_ACCESS_KEY`…) or whose value looks like one (a
//! provider token format). ENV values are stored in the image config; build-arg values end up
//! in the image history of every layer that uses them. Values are redacted in the output.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::vars::Var;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerSecretInBuild, check);

/// Name parts that make a variable a credential on their own.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
];

/// `<word>_KEY` pairs that are credentials (a bare `KEY`, `GPG_KEY`… is usually public).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "encryption",
    "master",
    "auth",
    "client",
    "license",
    "account",
    "service",
];

/// Suffixes that name *where* a secret is, not the secret itself.
const NOT_A_VALUE: &[&str] = &[
    "file", "path", "dir", "url", "uri", "host", "port", "user", "username", "name", "id",
    "endpoint", "length", "type", "env", "var", "location", "ref", "version", "mode", "enabled",
    "expiry", "ttl", "header", "prefix",
];

/// Split `DB_PASSWORD`, `dbPassword`, `db-password` into lower-case words.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn is_secret_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else { return false };
    if NOT_A_VALUE.contains(&last.as_str()) {
        return false;
    }
    // The secret word must be the last one, or followed only by key/id-like qualifiers
    // (`TOKEN_VALUE` is rare; `TOKEN_URL` is not a secret).
    w.iter().enumerate().any(|(i, part)| {
        SECRET_WORDS.contains(&part.as_str())
            || (part == "key" && i > 0 && KEY_QUALIFIERS.contains(&w[i - 1].as_str()))
            || part.ends_with("password")
            || part.ends_with("token")
            || part.ends_with("secret")
    })
}

/// Values in a well-known credential format, whatever the variable is called.
pub fn looks_like_secret_value(v: &str) -> bool {
    // Prefix and the least number of characters after it.
    const PREFIXES: &[(&str, usize)] = &[
        ("ghp_", 36),
        ("gho_", 36),
        ("ghs_", 36),
        ("ghu_", 36),
        ("github_pat_", 40),
        ("glpat-", 20),
        ("xoxb-", 20),
        ("xoxp-", 20),
        ("sk_live_", 20),
        ("npm_", 36),
        ("pypi-", 50),
        ("AKIA", 16),
        ("ASIA", 16),
        ("sk-ant-", 30),
        ("hvs.", 20),
    ];
    let v = v.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    PREFIXES.iter().any(|(p, min)| {
        v.strip_prefix(p).is_some_and(|rest| {
            rest.len() >= *min
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        })
    })
}

fn report(m: &Model<'_, '_>, v: &Var, is_env: bool, out: &mut Output) {
    let value = v.value.as_deref().unwrap_or_default();
    let by_value = looks_like_secret_value(value);
    let by_name = is_secret_name(&v.name);
    if !by_name && !by_value {
        return;
    }
    // `ENV PASSWORD=""` clears a variable; nothing is stored.
    if is_env && !by_value && value.is_empty() {
        return;
    }
    let kind = if is_env { "ENV" } else { "ARG" };
    let msg = if by_value {
        format!("{kind} `{}` holds a value in a credential format", v.name)
    } else if is_env {
        format!(
            "ENV `{}` looks like a credential: ENV values are stored in the image",
            v.name
        )
    } else {
        format!(
            "ARG `{}` looks like a credential: build-arg values are recorded in the image history; use a secret mount",
            v.name
        )
    };
    let end = v.value_span.end.max(v.name_span.end);
    let mut f = RawFinding::new(ID, m.file, v.name_span.start..end, msg)
        .content(format!("{kind} {}", v.name));
    if !v.value_span.is_empty() {
        f = f.redact(m.file, v.value_span.clone());
    }
    out.push(f);
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for v in &m.global_vars {
        report(m, v, false, out);
    }
    for stage in &m.stages {
        for (_, v, is_env) in &stage.vars {
            report(m, v, *is_env, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "NPM_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "MYSQL_ROOT_PASSWORD",
            "api_key",
            "CLIENT_SECRET",
            "ACCESS_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "GPG_KEY",
            "GPG_KEYS",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "NODE_VERSION",
            "KEY",
            "SECRET_NAME",
            "TOKENIZERS_PARALLELISM",
            "DB_USER",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        assert!(looks_like_secret_value(
            "ghp_0123456789abcdefghijABCDEFGHIJ012345"
        ));
        assert!(looks_like_secret_value("AKIAABCDEFGHIJKLMNOP"));
        assert!(!looks_like_secret_value("3.12.1"));
        assert!(!looks_like_secret_value("ghp_"));
    }
}
