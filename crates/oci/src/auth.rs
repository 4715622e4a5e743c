//! Registry credentials and the distribution spec's token flow.
//!
//! Credentials, in order: `--registry-token-env` (a token or password, with
//! `--registry-username`), then the docker config (`$DOCKER_CONFIG/config.json` or
//! `~/.docker/config.json`): `credHelpers[host]`, `credsStore`, then `auths[host]`
//! (`auth` = base64 `user:password`, or `username`/`password`, or `identitytoken`). Helpers are
//! the `docker-credential-<name>` executables on PATH (`get`, server on stdin, JSON on stdout).
//!
//! Secrets are held in [`Secret`], whose Debug and Display print nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// A secret string that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// Username and password (or a token used as the password).
    Basic { username: String, password: Secret },
    /// An OAuth2 refresh token (docker config `identitytoken`, helper username `<token>`).
    IdentityToken(Secret),
}

/// Where the credentials for a registry come from.
#[derive(Clone, Debug, Default)]
pub struct CredentialSource {
    /// From `--registry-token-env` (+ `--registry-username`): used for every registry.
    pub explicit: Option<Credentials>,
    /// The docker config file; `None`: the default location.
    pub docker_config: Option<PathBuf>,
    /// Do not read the docker config at all.
    pub no_docker_config: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

const MAX_CONFIG: u64 = 4 * 1024 * 1024;
const MAX_HELPER_OUTPUT: usize = 64 * 1024;
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

impl CredentialSource {
    fn config_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.docker_config {
            return Some(p.clone());
        }
        if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(d).join("config.json"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
    }

    /// Credentials for `registry` (`host[:port]` as in the reference), if any.
    pub fn lookup(&self, registry: &str) -> anyhow::Result<Option<Credentials>> {
        if let Some(c) = &self.explicit {
            return Ok(Some(c.clone()));
        }
        if self.no_docker_config {
            return Ok(None);
        }
        let Some(path) = self.config_path() else {
            return Ok(None);
        };
        let Some(cfg) = read_config(&path)? else {
            return Ok(None);
        };
        let keys = config_keys(registry);
        for k in &keys {
            if let Some(helper) = cfg.cred_helpers.get(k) {
                return run_helper(helper, k);
            }
        }
        if let Some(store) = &cfg.creds_store {
            for k in &keys {
                if let Some(c) = run_helper(store, k)? {
                    return Ok(Some(c));
                }
            }
        }
        for (key, entry) in &cfg.auths {
            if !keys.contains(&normalize_key(key)) {
                continue;
            }
            if let Some(t) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
                return Ok(Some(Credentials::IdentityToken(Secret::new(t))));
            }
            if let Some(a) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
                let decoded = STANDARD
                    .decode(a.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: auths[{key}].auth is not base64 of user:password",
                            path.display()
                        )
                    })?;
                let (u, p) = decoded.split_once(':').ok_or_else(|| {
                    anyhow!(
                        "{}: auths[{key}].auth is not base64 of user:password",
                        path.display()
                    )
                })?;
                return Ok(Some(Credentials::Basic {
                    username: u.to_string(),
                    password: Secret::new(p),
                }));
            }
            if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
                return Ok(Some(Credentials::Basic {
                    username: u.clone(),
                    password: Secret::new(p.clone()),
                }));
            }
        }
        Ok(None)
    }
}

fn read_config(path: &Path) -> anyhow::Result<Option<DockerConfig>> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    let mut bytes = Vec::new();
    f.take(MAX_CONFIG + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_CONFIG {
        bail!("{}: larger than {MAX_CONFIG} bytes", path.display());
    }
    // The parse error names the position, never the content (it holds credentials).
    let cfg: DockerConfig = pipeguard_attest::strict::from_slice(&bytes).map_err(|e| {
        anyhow!(
            "{}: not a docker config ({})",
            path.display(),
            e.split(" at ").nth(1).map_or_else(
                || "invalid JSON".to_string(),
                |pos| format!("invalid JSON at {pos}")
            )
        )
    })?;
    Ok(Some(cfg))
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `https://host:5000/` → `host:5000`.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k).to_ascii_lowercase()
}

/// The config keys that name `registry` (Docker Hub has its historical names).
fn config_keys(registry: &str) -> Vec<String> {
    let r = registry.to_ascii_lowercase();
    if r == crate::reference::DOCKER_HUB || r == crate::reference::DOCKER_HUB_API {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![r]
    }
}

#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// `docker-credential-NAME get` with `server` on stdin; `None` when it has nothing.
fn run_helper(name: &str, server: &str) -> anyhow::Result<Option<Credentials>> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bail!("credential helper name `{name}` is not valid");
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| anyhow!("cannot run the credential helper {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(MAX_HELPER_OUTPUT as u64 + 1).read_to_end(&mut out);
        }
        out
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > HELPER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the credential helper {program} did not answer within {HELPER_TIMEOUT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => bail!("the credential helper {program} failed: {e}"),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        // "credentials not found" is the helper protocol's way of saying nothing is stored.
        let text = String::from_utf8_lossy(&out);
        if text.contains("credentials not found") || out.is_empty() {
            return Ok(None);
        }
        bail!("the credential helper {program} failed ({status})");
    }
    if out.len() > MAX_HELPER_OUTPUT {
        bail!("the credential helper {program} printed more than {MAX_HELPER_OUTPUT} bytes");
    }
    let o: HelperOutput = pipeguard_attest::strict::from_slice(&out)
        .map_err(|_| anyhow!("the credential helper {program} did not print its JSON answer"))?;
    if o.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if o.username == "<token>" {
        Credentials::IdentityToken(Secret::new(o.secret))
    } else {
        Credentials::Basic {
            username: o.username,
            password: Secret::new(o.secret),
        }
    }))
}

/// A `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parse `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (key, after) = s.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            (out, &q[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.insert(key, value);
        s = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: params.remove("realm")?,
        service: params.remove("service"),
        scope: params.remove("scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn docker_config_entries_and_secrets_do_not_print() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(
            &p,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpzM2NyZXQ="},"reg.example:5000":{"username":"u","password":"p4ss"},"tok.example":{"identitytoken":"idt0k"}}}"#,
        )
        .unwrap();
        let src = CredentialSource {
            docker_config: Some(p.clone()),
            ..CredentialSource::default()
        };
        let c = src.lookup("docker.io").unwrap().unwrap();
        assert_eq!(
            c,
            Credentials::Basic {
                username: "user".into(),
                password: Secret::new("s3cret")
            }
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(matches!(
            src.lookup("reg.example:5000").unwrap(),
            Some(Credentials::Basic { .. })
        ));
        assert!(matches!(
            src.lookup("tok.example").unwrap(),
            Some(Credentials::IdentityToken(_))
        ));
        assert_eq!(src.lookup("other.example").unwrap(), None);
        std::fs::write(&p, r#"{"auths":{"x":{"auth":"s3cret-not-base64!"}}}"#).unwrap();
        let e = src.lookup("x").unwrap_err().to_string();
        assert!(!e.contains("s3cret"), "{e}");
        std::fs::write(
            &p,
            r#"{"auths":{"x":{"auth":"c2VjcmV0"}, "password":"s3cret"#,
        )
        .unwrap();
        let e = src.lookup("x").unwrap_err().to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
