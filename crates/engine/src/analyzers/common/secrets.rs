//! Whether a name says its value is a credential (`DB_PASSWORD`, `npmToken`, `API_KEY`), and
//! whether a value has a well-known credential format whatever its name.

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
