//! Structural checks on a candidate secret value: entropy, checksums, token shapes, and the
//! filters that tell placeholders, hashes and identifiers from credentials.

/// Shannon entropy in bits per byte.
pub fn shannon(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[b as usize] += 1;
    }
    let n = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// IEEE CRC-32 (the one zlib and GitHub use).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_value(s: &[u8]) -> Option<u64> {
    s.iter().try_fold(0u64, |acc, &c| {
        let d = BASE62.iter().position(|&x| x == c)? as u64;
        acc.checked_mul(62)?.checked_add(d)
    })
}

/// GitHub's (and npm's) token format: `prefix_` + 30 random base62 + 6 base62 digits of the
/// CRC-32 of the random part. A typo'd or invented token fails this; a real one never does.
pub fn github_checksum_ok(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62_value(check) == Some(u64::from(crc32(random)))
}

fn b64url_decode(s: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let trimmed: Vec<u8> = s.iter().copied().filter(|&c| c != b'=').collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

/// A JWT: three base64url parts, the first two JSON objects, the header naming an `alg`.
pub fn jwt_ok(token: &[u8]) -> bool {
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    if parts.len() != 3 || parts[2].len() < 16 {
        return false;
    }
    let Some(header) = b64url_decode(parts[0]) else {
        return false;
    };
    let Some(payload) = b64url_decode(parts[1]) else {
        return false;
    };
    let header: Result<serde_json::Value, _> = serde_json::from_slice(&header);
    let payload: Result<serde_json::Value, _> = serde_json::from_slice(&payload);
    match (header, payload) {
        (Ok(h), Ok(p)) => {
            h.get("alg")
                .and_then(|a| a.as_str())
                .is_some_and(|a| a != "none")
                && p.is_object()
                && !documented_jwt(&p)
        }
        _ => false,
    }
}

/// The tokens of JWT tutorials (jwt.io's `1234567890` / `John Doe`) and placeholder claims.
fn documented_jwt(payload: &serde_json::Value) -> bool {
    let text = payload.to_string().to_ascii_lowercase();
    text.contains("1234567890") || text.contains("john doe") || is_placeholder_word(text.as_bytes())
}

/// Decodes as standard or URL-safe base64 to at least 8 bytes.
pub fn base64_ok(value: &[u8]) -> bool {
    use base64::Engine as _;
    let v: Vec<u8> = value.iter().copied().filter(|&c| c != b'=').collect();
    v.len() >= 12
        && (base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&v)
            .is_ok()
            || base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&v)
                .is_ok())
}

/// Base64 that decodes to printable `user:password` with a non-trivial password.
pub fn basic_auth_ok(value: &[u8]) -> bool {
    use base64::Engine as _;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(value) else {
        return false;
    };
    if !raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return false;
    }
    match raw.iter().position(|&b| b == b':') {
        Some(i) if i > 0 => {
            let pass = &raw[i + 1..];
            pass.len() >= 6 && !is_placeholder(pass) && !pass.starts_with(b"$")
        }
        _ => false,
    }
}

pub fn hex_ok(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(u8::is_ascii_hexdigit)
}

/// Structural validators a rule can name in its `validator:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// GitHub/npm CRC-32 checksum in the last 6 characters.
    GithubCrc32,
    Jwt,
    Base64,
    Hex,
    /// Base64 of `user:password` (Docker `config.json` auths, HTTP Basic).
    BasicAuth,
}

impl Validator {
    pub fn check(self, value: &[u8]) -> bool {
        match self {
            Validator::GithubCrc32 => github_checksum_ok(value),
            Validator::Jwt => jwt_ok(value),
            Validator::Base64 => base64_ok(value),
            Validator::Hex => hex_ok(value),
            Validator::BasicAuth => basic_auth_ok(value),
        }
    }
}

/// Words that mark documentation, templates and test values rather than live credentials.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpass",
    "redacted",
    "dummy",
    "sample",
    "xxxx",
    "****",
    "....",
    "replaceme",
    "replace_me",
    "replace-me",
    "insert_",
    "insert-",
    "notreal",
    "not_real",
    "not-a-real",
    "fake",
    "foobar",
    "abcdefgh",
    "12345678",
    "0123456789abcdef",
    // AWS's documented example key pair, also in edited forms (`…7EXAMAAA`).
    "akiaiosfodnn7",
    "wjalrxutnfemi/k7mdeng",
];

/// Values people write when they mean "some password here" (whole value, case-insensitive).
const TRIVIAL_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "changeit",
    "admin",
    "root",
    "test",
    "user",
    "username",
    "guest",
    "postgres",
    "mysql",
    "redis",
    "rabbitmq",
    "demo",
    "default",
    "qwerty",
    "letmein",
    "123456",
    "foo",
    "bar",
    "hunter2",
    "token",
    "apikey",
    "api_key",
    "none",
    "null",
    "undefined",
    "true",
    "false",
    "todo",
    "tbd",
];

/// A placeholder, template reference or documented example, never a finding: `${VAR}`, `$VAR`,
/// `${{ secrets.X }}`, `{{ .Values.x }}`, `%VAR%`, `<your-key>`, `#{x}`, `xxxx`, `changeme`…
pub fn is_placeholder(value: &[u8]) -> bool {
    is_placeholder_word(value) || low_variety(value)
}

/// Template references and placeholder words only (no shape checks: PEM bodies have long runs).
pub fn is_placeholder_word(value: &[u8]) -> bool {
    let v = value;
    if v.is_empty() {
        return true;
    }
    // Template and variable references.
    // `\$VAR`: a `$` escaped for Groovy or make, the shell still expands it.
    if v.starts_with(b"$")
        || v.starts_with(b"\\$")
        || v.starts_with(b"#{")
        || v.starts_with(b"@") && v.ends_with(b"@")
    {
        return true;
    }
    for pair in [&b"${"[..], b"{{", b"<%", b"$("] {
        if memchr::memmem::find(v, pair).is_some() {
            return true;
        }
    }
    if v.len() >= 3 && v[0] == b'%' && v[v.len() - 1] == b'%' {
        return true;
    }
    if v.contains(&b'<') && v.contains(&b'>') {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if TRIVIAL_VALUES
        .iter()
        .any(|t| t.as_bytes() == lower.as_slice())
    {
        return true;
    }
    PLACEHOLDER_WORDS
        .iter()
        .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
}

/// Runs of one character (`aaaaaaa`, `0000000`) and values of very few distinct symbols.
fn low_variety(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    // Runs of one character (`aaaaaaa`, `0000000`) and values of very few distinct symbols.
    let mut run = 1;
    for w in lower.windows(2) {
        if w[0] == w[1] {
            run += 1;
            if run >= 6 {
                return true;
            }
        } else {
            run = 1;
        }
    }
    let mut seen = [false; 256];
    for &b in &lower {
        seen[b as usize] = true;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    v.len() >= 12 && distinct < 5
}

fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Values that are identifiers rather than credentials: UUIDs, hash digests (git SHAs, MD5,
/// SHA-1/256/512 hex), integrity strings (`sha512-…`), `sha256:` digests, version numbers,
/// paths, and plain words/identifiers. Only applied to generic (context-based) rules: some
/// providers' real tokens are UUIDs or hex.
pub fn is_not_credential(value: &[u8]) -> bool {
    let v = value;
    if is_uuid(v) {
        return true;
    }
    if hex_ok(v) && matches!(v.len(), 7..=12 | 32 | 40 | 56 | 64 | 96 | 128) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    for p in [
        &b"sha1-"[..],
        b"sha256-",
        b"sha384-",
        b"sha512-",
        b"sha256:",
        b"sha512:",
        b"md5:",
        b"sha1:",
        b"git+",
        b"http://",
        b"https://",
        b"file:",
    ] {
        if lower.starts_with(p) {
            return true;
        }
    }
    // Paths and dotted names (`/etc/ssl/key.pem`, `config.db.password`).
    if v.contains(&b'/') && !v.contains(&b'+') && memchr::memchr_iter(b'/', v).count() >= 2 {
        return true;
    }
    // Identifiers: lowercase words with `_`, `-` or `.` and no digits (`get_password`, `db.pass`).
    if v.iter()
        .all(|&c| c.is_ascii_lowercase() || matches!(c, b'_' | b'-' | b'.' | b':'))
    {
        return true;
    }
    // camelCase / PascalCase identifiers without digits (`getPassword`, `SecretValue`).
    if v.iter().all(u8::is_ascii_alphabetic) && v.len() < 24 {
        return true;
    }
    // Property paths and constant names (`settings.SECRET_KEY`, `config.jwtKey`, `DB_PASSWORD`).
    if is_identifier_path(v) {
        return true;
    }
    // Names of words joined by `_`, no digits (`NOT_YET_IMPLEMENTED_PatternMatchOf` in ruff's
    // formatter snapshots): each part reads as words; random letters do not.
    if v.contains(&b'_')
        && v.split(|&c| c == b'_')
            .all(|p| p.is_empty() || reads_as_words(p))
    {
        return true;
    }
    // Version numbers and numbers.
    if v.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
        return true;
    }
    // Function calls, property access, interpolations.
    v.contains(&b'(') || v.contains(&b'[')
}

/// A value of letters only that reads as words or a name: camelCase/PascalCase/UPPER/lower
/// words each of three letters or more holding a vowel (`adminPassword`, `MyAPIKey`,
/// `secret`), upper-case words taken for acronyms, at most one word of one or two letters;
/// random letters do not (`hsfjQzxsMU`: `hsfj` and `Qzxs` have no vowel; `ZqLwXkTnRb`).
pub fn reads_as_words(value: &[u8]) -> bool {
    if value.is_empty() || !value.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let vowel = |c: &u8| {
        matches!(
            c.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        )
    };
    // Split into runs: an uppercase letter starts a new word unless it follows another one
    // that is not followed by lowercase (`HTTPServer` = `HTTP`, `Server`).
    let mut words: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    for i in 1..value.len() {
        let (prev, cur) = (value[i - 1], value[i]);
        let next_lower = value.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = (prev.is_ascii_lowercase() && cur.is_ascii_uppercase())
            || (prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower);
        if boundary {
            words.push(&value[start..i]);
            start = i;
        }
    }
    words.push(&value[start..]);
    let lower = |w: &&[u8]| w.iter().any(u8::is_ascii_lowercase);
    let short = words.iter().filter(|w| lower(w) && w.len() <= 2).count();
    short <= 1
        && words
            .iter()
            .all(|w| !lower(w) || w.len() <= 2 || w.iter().any(vowel))
}

/// A key name that says the value is a digest or an identifier, not a credential
/// (`token_hash`, `commit_sha`, `private_key_id`, `secret_version`).
pub fn names_a_digest(name: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "hash",
        "sha",
        "md5",
        "digest",
        "checksum",
        "commit",
        "etag",
        "integrity",
        "fingerprint",
        "nonce",
        "salt",
        "uuid",
        "guid",
        "revision",
        "version",
        "_id",
        "-id",
        "keyid",
        "tokenid",
    ];
    let lower = name.to_ascii_lowercase();
    let end = lower
        .iter()
        .rposition(u8::is_ascii_alphanumeric)
        .map_or(0, |i| i + 1);
    let lower = &lower[..end];
    WORDS
        .iter()
        .any(|w| memchr::memmem::find(lower, w.as_bytes()).is_some())
        || lower.ends_with(b"id")
}

/// [`is_not_credential`] knowing the key the value is assigned to: hex of key lengths (128,
/// 160, 256 bits and up) is a credential under a credential's name, a digest only under a
/// digest's name.
pub fn is_not_credential_named(value: &[u8], name: &[u8]) -> bool {
    let key_hex = hex_ok(value)
        && matches!(value.len(), 32 | 40 | 48 | 56 | 64 | 96 | 128)
        && !names_a_digest(name);
    if key_hex {
        return is_uuid(value) || low_variety(value);
    }
    is_not_credential(value)
}

/// The key names a stored credential rather than holding one (`credentialsId: 'deploy-key'`
/// in Jenkins, `secretName: db-auth`, `secretKeyRef`, `passwordVariable: 'PW'`,
/// `IMAGE_PULL_SECRETS=regcred`), or is no credential at all (`tokenizer.type`).
pub fn names_a_reference(name: &[u8]) -> bool {
    let ident = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
    let end = name.iter().rposition(ident).map_or(0, |i| i + 1);
    let start = name[..end]
        .iter()
        .rposition(|c| !ident(c))
        .map_or(0, |i| i + 1);
    let key: Vec<u8> = name[start..end]
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    memchr::memmem::find(&key, b"tokeniz").is_some()
        || [
            &b"credentialsid"[..],
            b"credentialid",
            b"credentialsref",
            b"secretname",
            b"secretref",
            b"secretkeyref",
            b"passwordvariable",
            b"tokenvariable",
            b"pullsecret",
            b"pullsecrets",
        ]
        .iter()
        .any(|r| key.ends_with(r))
}

/// A path of lowercase names (`ci-secrets/release-signing-password`): a secret manager's entry
/// or a file, not a password (those have no `/` between dictionary words).
pub fn is_name_path(value: &[u8]) -> bool {
    value.contains(&b'/')
        && value.split(|&c| c == b'/').all(|seg| {
            seg.len() >= 2
                && seg
                    .iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// `service:Action` or `service:ConditionKey/tag`: an AWS IAM action or condition key (a
/// lowercase service prefix glued to a CamelCase name), never a value.
pub fn is_iam_key(service: &[u8], value: &[u8]) -> bool {
    let head = value.split(|&c| c == b'/').next().unwrap_or(value);
    !service.is_empty()
        && service
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && head.first().is_some_and(u8::is_ascii_uppercase)
        && head.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'*')
}

/// `a.b.c` made of identifiers with at most one digit, or a CONSTANT_CASE name with `_`.
fn is_identifier_path(v: &[u8]) -> bool {
    let ident = |seg: &[u8]| {
        !seg.is_empty()
            && (seg[0].is_ascii_alphabetic() || seg[0] == b'_' || seg[0] == b'$')
            && seg
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
    };
    let digits = v.iter().filter(|c| c.is_ascii_digit()).count();
    let segs: Vec<&[u8]> = v.split(|&c| c == b'.').collect();
    if segs.len() >= 2 && digits <= 1 && segs.iter().all(|s| ident(s)) {
        return true;
    }
    v.contains(&b'_')
        && v.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && digits <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy() {
        assert!(shannon(b"aaaaaaaa") < 0.01);
        assert!((shannon(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn github_checksum() {
        // A synthetic token with a correct checksum, and one character changed.
        let random = b"abcdefghijklmnopqrstuvwxyzABCD";
        let mut n = crc32(random);
        let mut check = Vec::new();
        for _ in 0..6 {
            check.push(BASE62[(n % 62) as usize]);
            n /= 62;
        }
        check.reverse();
        let mut tok = b"ghp_".to_vec();
        tok.extend_from_slice(random);
        tok.extend_from_slice(&check);
        assert!(github_checksum_ok(&tok));
        tok[6] = b'Z';
        assert!(!github_checksum_ok(&tok));
    }

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "xxxxxxxxxxxxxxxx",
            "<your-api-key>",
            "${API_KEY}",
            "${{ secrets.TOKEN }}",
            "%API_KEY%",
            "changeme",
            "{{ .Values.token }}",
            "$TOKEN",
            "0000000000000000",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!is_placeholder(b"wJ9aLq2Zk3Vx8Ru1Tn5Yb7Mc4Pd6Hs0G"));
    }

    #[test]
    fn identifiers_are_not_credentials() {
        for v in [
            "123e4567-e89b-12d3-a456-426614174000",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "get_password",
            "getPassword",
            "1.2.3",
            "settings.SECRET_KEY",
            "config.jwtSigningKey",
            "DB_PASSWORD",
            "NOT_YET_IMPLEMENTED_PatternMatchOf",
            "Default_Admin_Password",
        ] {
            assert!(is_not_credential(v.as_bytes()), "{v}");
        }
        assert!(!is_not_credential(b"s3cr3tP4ssw0rd!x"));
        // Random letters joined by `_` are not names.
        assert!(!is_not_credential(b"hsfjQzxsMU_ZqLwXkTnRb"));
        assert!(!is_not_credential(b"QmVydGFh_ZXhhbXBsZQ"));
    }

    #[test]
    fn letters_that_read_as_words() {
        for w in [
            "adminPassword",
            "MyAPIKey",
            "secret",
            "HTTPServer",
            "TOKEN",
            "changeit",
        ] {
            assert!(reads_as_words(w.as_bytes()), "{w}");
        }
        for r in ["hsfjQzxsMU", "ZqLwXkTnRb", "kPdRtBvQxs", "Rw8tNq3ZmX", ""] {
            assert!(!reads_as_words(r.as_bytes()), "{r}");
        }
    }
}
