//! Whether a name says its value is a credential (`DB_PASSWORD`, `npmToken`, `API_KEY`), whether
//! a value has a well-known credential format whatever its name, and whether a value is
//! obviously not a real secret. One implementation for every family that reads names and
//! values (Dockerfile ARG/ENV, compose and Kubernetes env, workflow env, Jenkins environment and
//! arguments, Terraform arguments and variables); the secrets engine's detectors are the other,
//! format-based, half.

/// Words that name a credential (also plural, and as the end of a longer word: `PGPASSWORD`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "privatekey",
    "secretkey",
    "accesskey",
];

/// Suffixes of a single word that make it a credential (`pgpassword`, `authtoken`).
const SECRET_SUFFIXES: &[&str] = &["password", "passwd", "token", "secret"];

/// `<qualifier>_KEY` pairs that are credentials (a bare `KEY`, `GPG_KEY`… is usually public).
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

/// Words after the credential word that still name the value itself (`SECRET_KEY_BASE`,
/// `TOKEN_VALUE`).
const VALUE_WORDS: &[&str] = &[
    "value",
    "base",
    "plain",
    "plaintext",
    "raw",
    "b64",
    "base64",
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

/// Whether `w` (the word at `i` of `all`) names a credential.
fn secret_word(all: &[String], i: usize) -> bool {
    let w = all[i].as_str();
    let singular = w.strip_suffix('s').unwrap_or(w);
    SECRET_WORDS.contains(&w)
        || SECRET_WORDS.contains(&singular)
        || SECRET_SUFFIXES
            .iter()
            .any(|s| w.ends_with(s) || singular.ends_with(s))
        || (w == "pass" && (i > 0 || all.len() == 1))
        || (w == "key" && i > 0 && KEY_QUALIFIERS.contains(&all[i - 1].as_str()))
}

/// The name says its value is a credential: its last word names one (`NPM_TOKEN`,
/// `dbPassword`, `AWS_SECRET_ACCESS_KEY`), possibly followed by a word that still names the
/// value (`SECRET_KEY_BASE`). Names of *where* a secret is (`TOKEN_URL`, `PASSWORD_FILE`,
/// `credentialsId`, `passwordVariable`) and of its properties (`TOKEN_LIFETIME`) are not.
pub fn is_secret_name(name: &str) -> bool {
    let w = words(name);
    let n = w.len();
    if n == 0 {
        return false;
    }
    if secret_word(&w, n - 1) {
        return true;
    }
    n >= 2 && VALUE_WORDS.contains(&w[n - 1].as_str()) && secret_word(&w, n - 2)
}

/// Values in a well-known credential format, whatever the variable is called: (prefix, least
/// number of characters after it).
const FORMATS: &[(&str, usize)] = &[
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
    ("SG.", 40),
];

/// A value in a well-known credential format (a provider token prefix with enough characters
/// after it, or a PEM private key).
pub fn looks_like_secret_value(v: &str) -> bool {
    let v = v.trim();
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return true;
    }
    FORMATS.iter().any(|(p, min)| {
        v.strip_prefix(p).is_some_and(|rest| {
            rest.len() >= *min
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        })
    })
}

/// Words that make a whole value a placeholder when it is exactly one of them.
const PLACEHOLDER_VALUES: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "null",
    "none",
    "nil",
    "changeme",
    "change-me",
    "change_me",
    "dummy",
    "redacted",
    "todo",
    "tbd",
];

/// A value that is obviously not a real secret: empty or very short, a boolean, a reference or
/// template (`$X`, `${X}`, `$(cmd)`, `{{ x }}`, `<your-key>`), a mask (`xxxx`, `****`), an
/// example or placeholder word, an absolute path.
pub fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    t.chars().count() < 4
        || PLACEHOLDER_VALUES.contains(&lower.as_str())
        || t.starts_with('$')
        || t.contains("{{")
        || (t.starts_with('<') && t.ends_with('>'))
        || lower.chars().all(|c| c == 'x' || c == '*')
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.contains("changeme")
        // `yourpassword`, `your-api-key`, `your_token`: the value to put here, not one.
        || (lower.starts_with("your") && lower.len() > 4)
        || t.starts_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for n in [
            "DB_PASSWORD",
            "NPM_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "api_key",
            "apiKey",
            "PGPASSWORD",
            "secret",
            "SECRET_KEY_BASE",
            "master_password",
            "client_secret",
            "GITHUB_TOKEN",
            "mysqlRootPassword",
            "PASS",
            "DB_PASS",
            "SMTP_PWD",
            "credentials",
            "private_key",
            "sas_token",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "TOKEN_URL",
            "PASSWORD_FILE",
            "credentialsId",
            "passwordVariable",
            "TOKEN_LIFETIME",
            "GPG_KEY",
            "KEY",
            "SSH_KEY_PATH",
            "secret_name",
            "kms_key_id",
            "password_length",
            "secret_arn",
            "PASSPORT",
            "USERNAME",
            "",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn credential_values_and_placeholders() {
        assert!(looks_like_secret_value(
            "ghp_0123456789abcdefghijABCDEFGHIJ012345"
        ));
        assert!(looks_like_secret_value("AKIAIOSFODNN7EXAMPL3"));
        assert!(!looks_like_secret_value("ghp_short"));
        for v in [
            "",
            "abc",
            "true",
            "${TOKEN}",
            "$(cat f)",
            "{{ .Values.x }}",
            "<your-key>",
            "xxxxxx",
            "changeme",
            "/run/secrets/db",
            "yourpassword",
            "your-api-key",
        ] {
            assert!(is_placeholder(v), "{v}");
        }
        assert!(!is_placeholder("s3cr3t-Pa55"));
    }
}
