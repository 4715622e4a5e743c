//! GitHub REST client for the gate: octocrab (rustls, ring) as transport and auth; responses are
//! read raw so that rate-limit headers and error bodies can be turned into clear messages.

use std::time::Duration;

use http::HeaderMap;
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde_json::Value;

use crate::time::{format_rfc3339, now_unix};

/// Default API root; `GITHUB_API_URL` overrides it (GitHub Enterprise, tests).
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Pages followed through `Link: rel="next"` before giving up (100 items a page).
const MAX_PAGES: usize = 30;
/// Attempts per request when a rate limit asks us to wait.
const MAX_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "GitHub API rate limit exceeded on {path}{}; not waiting longer than {max_wait}s (raise --max-wait or use a token with a higher limit)",
        reset.as_ref().map(|r| format!(" (resets at {r})")).unwrap_or_default()
    )]
    RateLimited {
        path: String,
        reset: Option<String>,
        max_wait: u64,
    },
    #[error("GitHub API {path}: authentication failed (HTTP 401: {message}); check the token")]
    Unauthorized { path: String, message: String },
    #[error(
        "GitHub API {path}: HTTP {status}: {message}{}",
        if *status == 403 { " (does the token have the permissions listed in docs/gate.md?)" } else { "" }
    )]
    Status {
        path: String,
        status: u16,
        message: String,
    },
    #[error("GitHub API {path}: {message}")]
    Transport { path: String, message: String },
    #[error("GitHub API {path}: response is not the expected JSON: {message}")]
    BadResponse { path: String, message: String },
    #[error("invalid GitHub API URL `{url}`: {message}")]
    BadUrl { url: String, message: String },
}

pub struct Client {
    octo: Octocrab,
    base: String,
    max_wait: Duration,
    /// Requests sent (each page and each retry counts).
    calls: std::sync::atomic::AtomicUsize,
    /// Largest response body read; a longer one is an error (hostile or broken server).
    max_body: usize,
    /// Whole-request bound (connect, headers and body).
    request_timeout: Duration,
}

/// Default bound on a response body.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

struct Raw {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Client {
    /// A client for `base_url` (e.g. `https://api.github.com`, `http://127.0.0.1:PORT`). Must be
    /// called inside a Tokio runtime. `max_wait` bounds how long a rate limit may make us sleep.
    pub fn new(
        base_url: &str,
        token: Option<&str>,
        max_wait: Duration,
    ) -> Result<Client, ApiError> {
        let base = base_url.trim_end_matches('/').to_string();
        let bad = |m: String| ApiError::BadUrl {
            url: base_url.to_string(),
            message: m,
        };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(bad("expected an http(s) URL".into()));
        }
        let mut builder = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| bad(e.to_string()))?
            // Our own retry loop below reads GitHub's rate-limit headers.
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)));
        if let Some(t) = token {
            builder = builder.personal_token(t.to_string());
        }
        let octo = builder.build().map_err(|e| bad(e.to_string()))?;
        Ok(Client {
            octo,
            base,
            max_wait,
            calls: std::sync::atomic::AtomicUsize::new(0),
            max_body: MAX_BODY,
            request_timeout: Duration::from_mins(1),
        })
    }

    /// Bound each request to `timeout` and each body to `max_body` bytes.
    #[must_use]
    pub fn with_limits(mut self, timeout: Duration, max_body: usize) -> Client {
        self.request_timeout = timeout;
        self.max_body = max_body;
        self
    }

    /// Requests sent so far.
    pub fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn get_raw(&self, url: &str, path: &str) -> Result<Raw, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            http::HeaderValue::from_static("2022-11-28"),
        );
        let transport = |e: octocrab::Error| ApiError::Transport {
            path: path.to_string(),
            message: error_chain(&e),
        };
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fetch = async {
            let resp = self
                .octo
                ._get_with_headers(url, Some(headers))
                .await
                .map_err(transport)?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let too_big = || ApiError::BadResponse {
                path: path.to_string(),
                message: format!("response body larger than {} bytes", self.max_body),
            };
            if header(&headers, "content-length")
                .and_then(|l| l.parse::<u64>().ok())
                .is_some_and(|l| l > self.max_body as u64)
            {
                return Err(too_big());
            }
            // Read frame by frame, stopping at the bound (no Content-Length: chunked bodies).
            let mut body = resp.into_body();
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
                let frame = frame.map_err(transport)?;
                if let Some(d) = frame.data_ref() {
                    if bytes.len() + d.len() > self.max_body {
                        return Err(too_big());
                    }
                    bytes.extend_from_slice(d);
                }
            }
            let body = String::from_utf8(bytes).map_err(|_| ApiError::BadResponse {
                path: path.to_string(),
                message: "response body is not UTF-8".into(),
            })?;
            Ok(Raw {
                status,
                headers,
                body,
            })
        };
        match tokio::time::timeout(self.request_timeout, fetch).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Transport {
                path: path.to_string(),
                message: format!(
                    "no complete answer within {}s",
                    self.request_timeout.as_secs()
                ),
            }),
        }
    }

    /// GET with rate-limit handling. `Ok(None)` for 404.
    async fn get_checked(&self, url: &str, path: &str) -> Result<Option<Raw>, ApiError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let raw = self.get_raw(url, path).await?;
            match raw.status {
                200..=299 => {
                    let ct = header(&raw.headers, "content-type").unwrap_or_default();
                    if !ct.to_ascii_lowercase().contains("json") {
                        return Err(ApiError::BadResponse {
                            path: path.to_string(),
                            message: format!(
                                "content type `{}` is not JSON",
                                ct.chars().take(80).collect::<String>()
                            ),
                        });
                    }
                    return Ok(Some(raw));
                }
                404 => return Ok(None),
                401 => {
                    return Err(ApiError::Unauthorized {
                        path: path.to_string(),
                        message: body_message(&raw.body),
                    });
                }
                403 | 429 => {
                    if let Some(wait) = rate_limit_wait(raw.status, &raw.headers, &raw.body) {
                        if wait <= self.max_wait.as_secs() && attempt < MAX_ATTEMPTS {
                            eprintln!(
                                "pipeguard: GitHub API rate limit on {path}; waiting {wait}s (attempt {attempt}/{MAX_ATTEMPTS})"
                            );
                            tokio::time::sleep(Duration::from_secs(wait)).await;
                            continue;
                        }
                        return Err(ApiError::RateLimited {
                            path: path.to_string(),
                            reset: header(&raw.headers, "x-ratelimit-reset")
                                .and_then(|r| r.parse::<i64>().ok())
                                .map(format_rfc3339),
                            max_wait: self.max_wait.as_secs(),
                        });
                    }
                    return Err(status_error(path, &raw));
                }
                _ => return Err(status_error(path, &raw)),
            }
        }
        Err(ApiError::RateLimited {
            path: path.to_string(),
            reset: None,
            max_wait: self.max_wait.as_secs(),
        })
    }

    /// GET one JSON document; `Ok(None)` when GitHub answers 404.
    pub async fn get_json(&self, path: &str) -> Result<Option<Value>, ApiError> {
        let url = format!("{}{path}", self.base);
        match self.get_checked(&url, path).await? {
            Some(raw) => parse_json(path, &raw.body).map(Some),
            None => Ok(None),
        }
    }

    /// GET a list endpoint, following `Link: rel="next"`; 404 is an error here.
    pub async fn get_list(&self, path: &str) -> Result<Vec<Value>, ApiError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{}{path}{sep}per_page=100", self.base);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(raw) = self.get_checked(&url, path).await? else {
                return Err(ApiError::Status {
                    path: path.to_string(),
                    status: 404,
                    message: "not found (or the token cannot see it)".into(),
                });
            };
            match parse_json(path, &raw.body)? {
                Value::Array(mut page) => items.append(&mut page),
                _ => {
                    return Err(ApiError::BadResponse {
                        path: path.to_string(),
                        message: "expected an array".into(),
                    });
                }
            }
            match header(&raw.headers, "link").and_then(|l| next_link(&l)) {
                Some(next) => url = next,
                None => return Ok(items),
            }
        }
        Ok(items)
    }
}

fn parse_json(path: &str, body: &str) -> Result<Value, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::BadResponse {
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)?.to_str().ok().map(|s| s.trim().to_string())
}

fn body_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn status_error(path: &str, raw: &Raw) -> ApiError {
    ApiError::Status {
        path: path.to_string(),
        status: raw.status,
        message: body_message(&raw.body),
    }
}

/// Seconds to wait when a 403/429 is a rate limit (GitHub's documented headers), else None.
fn rate_limit_wait(status: u16, h: &HeaderMap, body: &str) -> Option<u64> {
    if let Some(secs) = header(h, "retry-after").and_then(|s| s.parse::<u64>().ok()) {
        return Some(secs);
    }
    if header(h, "x-ratelimit-remaining").as_deref() == Some("0") {
        let reset = header(h, "x-ratelimit-reset").and_then(|s| s.parse::<i64>().ok());
        return Some(reset.map_or(60, |r| (r - now_unix()).max(1) as u64));
    }
    let msg = body_message(body).to_ascii_lowercase();
    if status == 429 || msg.contains("secondary rate limit") {
        return Some(60);
    }
    None
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header() {
        let l = r#"<https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next_link(l).as_deref(),
            Some("https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="prev""#), None);
    }

    #[test]
    fn rate_limit_detection() {
        let mut h = HeaderMap::new();
        assert_eq!(
            rate_limit_wait(
                403,
                &h,
                r#"{"message":"Resource not accessible by integration"}"#
            ),
            None
        );
        assert_eq!(
            rate_limit_wait(
                403,
                &h,
                r#"{"message":"You have exceeded a secondary rate limit."}"#
            ),
            Some(60)
        );
        h.insert("retry-after", http::HeaderValue::from_static("7"));
        assert_eq!(rate_limit_wait(429, &h, ""), Some(7));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", http::HeaderValue::from_static("0"));
        let reset = (now_unix() + 100).to_string();
        h.insert(
            "x-ratelimit-reset",
            http::HeaderValue::from_str(&reset).unwrap(),
        );
        let w = rate_limit_wait(403, &h, "").unwrap();
        assert!((95..=101).contains(&w), "{w}");
    }
}
