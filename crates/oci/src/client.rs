//! The HTTP side: one `Client` per command run, async (reqwest + rustls/ring), every answer
//! bounded in size and time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

use crate::auth::{Challenge, CredentialSource, Credentials, Secret, parse_challenge};
use crate::manifest::{Index, OCI_INDEX, sha256_digest};
use crate::reference::{Reference, parse_digest};

/// Manifests and indexes: the distribution spec lets registries refuse more than 4 MiB.
pub const MAX_MANIFEST: usize = 4 * 1024 * 1024;
/// Attestation blobs (envelopes, bundles, configs) read back.
pub const MAX_BLOB: usize = 16 * 1024 * 1024;
const MAX_TOKEN: usize = 1024 * 1024;
const MAX_TAG_PAGES: usize = 200;
const MAX_TAGS: usize = 100_000;
const MAX_ERROR_BODY: usize = 8 * 1024;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// `host[:port]` of registries reached over plain HTTP (e.g. a loopback test registry).
    pub insecure: Vec<String>,
    pub credentials: CredentialSource,
    pub timeout: Duration,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: Vec::new(),
            credentials: CredentialSource::default(),
            timeout: Duration::from_mins(1),
            user_agent: concat!("pipeguard/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    opts: ClientOptions,
    /// (api host, scope) → Authorization header value.
    tokens: Mutex<HashMap<(String, String), Secret>>,
}

/// A manifest as fetched: its bytes, the media type it declares and its computed digest.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

/// What a manifest PUT answered.
#[derive(Clone, Debug)]
pub struct Put {
    pub digest: String,
    /// The `OCI-Subject` header: the registry indexed the manifest's subject (referrers API).
    pub oci_subject: Option<String>,
}

/// Strip `user:password@` from a URL before it goes into a message.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => url
            .rsplit_once('@')
            .map_or_else(|| url.to_string(), |(_, h)| h.to_string()),
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    // reqwest errors name the URL; ours never carry credentials, but be sure.
    s
}

fn is_loopback(host: &str) -> bool {
    let h = host
        .rsplit_once(':')
        .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    pub fn new(opts: ClientOptions) -> anyhow::Result<Client> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let insecure = opts.insecure.clone();
        // Redirects (blob downloads go to object storage) may not downgrade to HTTP except to a
        // host marked insecure; reqwest drops Authorization on a cross-host redirect.
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than 5 redirects");
            }
            let u = attempt.url();
            let host = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_string(),
            };
            if u.scheme() == "https" || insecure.contains(&host) {
                attempt.follow()
            } else {
                attempt.error("a redirect to plain HTTP")
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(opts.user_agent.clone())
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(15)))
            .redirect(policy)
            .build()
            .map_err(|e| anyhow!("cannot build the HTTP client: {}", chain(&e)))?;
        Ok(Client {
            http,
            opts,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    pub fn is_insecure(&self, registry: &str) -> bool {
        self.opts.insecure.iter().any(|i| i == registry)
    }

    /// Warnings about the options (an insecure registry that is not loopback).
    pub fn warnings(&self) -> Vec<String> {
        self.opts
            .insecure
            .iter()
            .filter(|h| !is_loopback(h))
            .map(|h| format!("registry {h} is reached over plain HTTP (--insecure-registry): anyone on the path can read and change what pipeguard pushes and pulls"))
            .collect()
    }

    fn base(&self, r: &Reference) -> String {
        let scheme = if self.is_insecure(&r.registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", r.api_host())
    }

    fn url(&self, r: &Reference, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base(r), r.repository)
    }

    /// Send a request; on 401 answer the challenge once (token or basic auth) and resend.
    async fn send(
        &self,
        r: &Reference,
        push: bool,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<reqwest::Response> {
        let scope = format!(
            "repository:{}:{}",
            r.repository,
            if push { "pull,push" } else { "pull" }
        );
        let key = (r.api_host().to_string(), scope.clone());
        let cached = self.tokens.lock().ok().and_then(|t| t.get(&key).cloned());
        let build = |auth: Option<&Secret>| {
            let mut req = self.http.request(method.clone(), url);
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(a) = auth {
                req = req.header(AUTHORIZATION, a.expose());
            }
            if let Some(b) = body {
                req = req.body(b.to_vec());
            }
            req
        };
        let shown = redact_url(url);
        let resp = build(cached.as_ref())
            .send()
            .await
            .map_err(|e| anyhow!("{method} {shown}: {}", chain(&e)))?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let challenge = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_challenge);
        let Some(challenge) = challenge else {
            bail!("{method} {shown}: 401 Unauthorized without a Basic or Bearer challenge");
        };
        let creds = self.opts.credentials.lookup(&r.registry)?;
        let auth = match challenge {
            Challenge::Basic => match &creds {
                Some(Credentials::Basic { username, password }) => {
                    use base64::Engine;
                    let raw = format!("{username}:{}", password.expose());
                    Secret::new(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(raw)
                    ))
                }
                _ => bail!(
                    "{method} {shown}: the registry asks for a username and password and none is configured (docker login, or --registry-token-env)"
                ),
            },
            Challenge::Bearer { realm, service, .. } => {
                let token = self
                    .token(r, &realm, service.as_deref(), &scope, creds.as_ref())
                    .await?;
                Secret::new(format!("Bearer {}", token.expose()))
            }
        };
        let resp = build(Some(&auth))
            .send()
            .await
            .map_err(|e| anyhow!("{method} {shown}: {}", chain(&e)))?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            bail!(
                "{method} {shown}: 401 Unauthorized: the registry refused the credentials{}",
                if creds.is_some() {
                    ""
                } else {
                    " (none configured: docker login, or --registry-token-env)"
                }
            );
        }
        if let Ok(mut t) = self.tokens.lock() {
            t.insert(key, auth);
        }
        Ok(resp)
    }

    /// The token flow: GET realm?service=…&scope=… (basic credentials when configured), or the
    /// OAuth2 POST with a refresh token for an identity token.
    async fn token(
        &self,
        r: &Reference,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        creds: Option<&Credentials>,
    ) -> anyhow::Result<Secret> {
        let shown = redact_url(realm);
        let url = Url::parse(realm)
            .map_err(|_| anyhow!("the registry's token realm `{shown}` is not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            bail!("the registry's token realm `{shown}` embeds credentials");
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        // Credentials go to the realm: never over plain HTTP unless the user marked that host.
        if url.scheme() != "https" && !(url.scheme() == "http" && self.is_insecure(&host)) {
            bail!(
                "the registry {} sends credentials to `{shown}`, which is not HTTPS",
                r.registry
            );
        }
        let resp = match creds {
            Some(Credentials::IdentityToken(refresh)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token".to_string()),
                    ("refresh_token", refresh.expose().to_string()),
                    ("client_id", "pipeguard".to_string()),
                    ("scope", scope.to_string()),
                ];
                if let Some(s) = service {
                    form.push(("service", s.to_string()));
                }
                let body = form
                    .iter()
                    .map(|(k, v)| format!("{k}={}", urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                self.http
                    .post(url.clone())
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
            }
            other => {
                let mut u = url.clone();
                {
                    let mut q = u.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", scope);
                }
                let mut req = self.http.get(u);
                if let Some(Credentials::Basic { username, password }) = other {
                    req = req.basic_auth(username, Some(password.expose()));
                }
                req.send().await
            }
        }
        .map_err(|e| anyhow!("token request to {shown}: {}", chain(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            bail!(
                "token request to {shown}: {status}{}",
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    ": the credentials were refused"
                } else {
                    ""
                }
            );
        }
        let bytes = read_bounded(resp, MAX_TOKEN, &shown).await?;
        let t: TokenResponse = pipeguard_attest::strict::from_slice(&bytes)
            .map_err(|_| anyhow!("token request to {shown}: the answer is not the token JSON"))?;
        let token = t
            .token
            .filter(|t| !t.is_empty())
            .or(t.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| anyhow!("token request to {shown}: the answer holds no token"))?;
        if token.len() > 64 * 1024 || !token.chars().all(|c| c.is_ascii_graphic()) {
            bail!("token request to {shown}: the token is not a printable ASCII string");
        }
        Ok(Secret::new(token))
    }

    /// GET a manifest by tag or digest. `None` when the registry says 404.
    pub async fn get_manifest(
        &self,
        r: &Reference,
        reference: &str,
        accept: &[&str],
    ) -> anyhow::Result<Option<Fetched>> {
        let url = self.url(r, &format!("manifests/{reference}"));
        let resp = self
            .send(
                r,
                false,
                Method::GET,
                &url,
                &[(ACCEPT.as_str(), accept.join(", "))],
                None,
            )
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = ok(resp, &url).await?;
        let media_type = header(resp.headers(), CONTENT_TYPE.as_str())
            .map(|m| m.split(';').next().unwrap_or_default().trim().to_string())
            .unwrap_or_default();
        let claimed = header(resp.headers(), "docker-content-digest");
        let bytes = read_bounded(resp, MAX_MANIFEST, &redact_url(&url)).await?;
        let digest = sha256_digest(&bytes);
        if reference.starts_with("sha256:") && digest != reference {
            bail!(
                "{}: the registry answered a manifest whose digest is {digest}, not the requested {reference}",
                r.name()
            );
        }
        if let Some(c) = claimed
            && c.starts_with("sha256:")
            && c != digest
        {
            bail!(
                "{}:{reference}: the registry claims digest {c} for a manifest whose digest is {digest}",
                r.name()
            );
        }
        Ok(Some(Fetched {
            bytes,
            media_type,
            digest,
        }))
    }

    /// GET a blob; its bytes must hash to `digest`.
    pub async fn get_blob(
        &self,
        r: &Reference,
        digest: &str,
        max: usize,
    ) -> anyhow::Result<Vec<u8>> {
        let digest = parse_digest(digest)?;
        let url = self.url(r, &format!("blobs/{digest}"));
        let resp = self.send(r, false, Method::GET, &url, &[], None).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            bail!("{}: blob {digest} is not in the registry", r.name());
        }
        let resp = ok(resp, &url).await?;
        let bytes = read_bounded(resp, max, &redact_url(&url)).await?;
        let got = sha256_digest(&bytes);
        if got != digest {
            bail!(
                "{}: blob {digest} does not match its digest (the registry served bytes hashing to {got}): the stored layer was tampered with",
                r.name()
            );
        }
        Ok(bytes)
    }

    pub async fn blob_exists(&self, r: &Reference, digest: &str) -> anyhow::Result<bool> {
        let url = self.url(r, &format!("blobs/{digest}"));
        let resp = self.send(r, true, Method::HEAD, &url, &[], None).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => bail!("HEAD {}: {s}", redact_url(&url)),
        }
    }

    /// Upload a blob (monolithic POST + PUT) unless the registry has it. Returns its digest.
    pub async fn push_blob(&self, r: &Reference, bytes: &[u8]) -> anyhow::Result<String> {
        let digest = sha256_digest(bytes);
        if self.blob_exists(r, &digest).await? {
            return Ok(digest);
        }
        let url = self.url(r, "blobs/uploads/");
        let resp = self.send(r, true, Method::POST, &url, &[], None).await?;
        let resp = ok(resp, &url).await?;
        let location = header(resp.headers(), LOCATION.as_str())
            .ok_or_else(|| anyhow!("POST {}: no upload Location", redact_url(&url)))?;
        let base = Url::parse(&self.base(r))?;
        let mut upload = base.join(&location).map_err(|_| {
            anyhow!(
                "POST {}: the upload Location is not a URL",
                redact_url(&url)
            )
        })?;
        // The upload carries our token: it must stay on the registry.
        if upload.host_str() != base.host_str()
            || upload.port_or_known_default() != base.port_or_known_default()
            || upload.scheme() != base.scheme()
        {
            bail!(
                "{}: the registry sent the upload to another host ({}); refusing to send credentials there",
                r.registry,
                redact_url(upload.as_str())
            );
        }
        upload.query_pairs_mut().append_pair("digest", &digest);
        let resp = self
            .send(
                r,
                true,
                Method::PUT,
                upload.as_str(),
                &[
                    (CONTENT_TYPE.as_str(), "application/octet-stream".into()),
                    ("content-length", bytes.len().to_string()),
                ],
                Some(bytes),
            )
            .await?;
        ok(resp, upload.as_str()).await?;
        Ok(digest)
    }

    /// PUT a manifest at a tag or its digest.
    pub async fn put_manifest(
        &self,
        r: &Reference,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> anyhow::Result<Put> {
        let url = self.url(r, &format!("manifests/{reference}"));
        let resp = self
            .send(
                r,
                true,
                Method::PUT,
                &url,
                &[(CONTENT_TYPE.as_str(), media_type.to_string())],
                Some(bytes),
            )
            .await?;
        let resp = ok(resp, &url).await?;
        Ok(Put {
            digest: sha256_digest(bytes),
            oci_subject: header(resp.headers(), "oci-subject"),
        })
    }

    /// Every tag of the repository (paginated with `Link: <…>; rel="next"`).
    pub async fn tags(&self, r: &Reference) -> anyhow::Result<Vec<String>> {
        let base = Url::parse(&self.base(r))?;
        let mut url = self.url(r, "tags/list?n=1000");
        let mut out = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let resp = self.send(r, false, Method::GET, &url, &[], None).await?;
            if resp.status() == StatusCode::NOT_FOUND {
                bail!("{}: no such repository", r.name());
            }
            let resp = ok(resp, &url).await?;
            let next = header(resp.headers(), "link").and_then(|l| next_link(&l));
            let bytes = read_bounded(resp, MAX_MANIFEST, &redact_url(&url)).await?;
            let list: TagList = pipeguard_attest::strict::from_slice(&bytes)
                .map_err(|e| anyhow!("{}: not a tag list ({e})", redact_url(&url)))?;
            out.extend(list.tags.unwrap_or_default());
            if out.len() > MAX_TAGS {
                bail!("{}: more than {MAX_TAGS} tags", r.name());
            }
            match next {
                Some(n) => {
                    let u = base
                        .join(&n)
                        .map_err(|_| anyhow!("{}: bad Link header", r.name()))?;
                    if u.host_str() != base.host_str() || u.scheme() != base.scheme() {
                        bail!("{}: the tag list's next page is on another host", r.name());
                    }
                    url = u.to_string();
                }
                None => {
                    out.sort();
                    out.dedup();
                    return Ok(out);
                }
            }
        }
        bail!("{}: more than {MAX_TAG_PAGES} pages of tags", r.name())
    }

    /// The referrers API. `None` when the registry does not implement it (404).
    pub async fn referrers(
        &self,
        r: &Reference,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> anyhow::Result<Option<Index>> {
        let mut path = format!("referrers/{digest}");
        if let Some(t) = artifact_type {
            path.push_str(&format!("?artifactType={}", urlencode(t)));
        }
        let url = self.url(r, &path);
        let resp = self
            .send(
                r,
                false,
                Method::GET,
                &url,
                &[(ACCEPT.as_str(), OCI_INDEX.into())],
                None,
            )
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = ok(resp, &url).await?;
        let bytes = read_bounded(resp, MAX_MANIFEST, &redact_url(&url)).await?;
        let idx: Index = pipeguard_attest::strict::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "{}: the referrers answer is not an image index ({e})",
                redact_url(&url)
            )
        })?;
        Ok(Some(idx))
    }
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// The distribution spec's error body.
#[derive(Deserialize)]
struct Errors {
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    code: String,
    #[serde(default)]
    message: String,
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(4096).collect())
}

fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A success status, else an error with the registry's error code (bounded, not echoed whole).
async fn ok(resp: reqwest::Response, url: &str) -> anyhow::Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let shown = redact_url(url);
    let body = read_bounded(resp, MAX_ERROR_BODY, &shown)
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<Errors>(&body)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
        .map(|e| {
            let clean =
                |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(200).collect() };
            format!(" ({}: {})", clean(&e.code), clean(&e.message))
        })
        .unwrap_or_default();
    Err(anyhow!("{shown}: {status}{detail}"))
}

/// Read a body of at most `max` bytes.
pub async fn read_bounded(
    mut resp: reqwest::Response,
    max: usize,
    what: &str,
) -> anyhow::Result<Vec<u8>> {
    if let Some(len) = resp.content_length()
        && len > max as u64
    {
        bail!("{what}: the answer is {len} bytes, more than the {max} allowed");
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| anyhow!("{what}: {}", chain(&e)))?
    {
        if out.len() + chunk.len() > max {
            bail!("{what}: the answer is larger than the {max} bytes allowed");
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(
            redact_url("https://user:s3cret@auth.example/token?x=1"),
            "https://auth.example/token"
        );
        assert_eq!(
            next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("registry.example:5000"));
    }
}
