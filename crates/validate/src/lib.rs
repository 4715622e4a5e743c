//! `pipeguard scan --validate`: ask each secret's provider whether it still works, with one
//! read-only request per unique secret (see [`providers::CHECKS`]).
//!
//! The secret goes only to its provider's documented API host (or to a base URL given on the
//! command line, never by the scanned repository): no redirect is followed, plain HTTP is refused
//! except to loopback, answers are read to a few KiB, every request has a short timeout, requests
//! to one provider are spaced out and a run checks at most `max_checks` secrets. Nothing here
//! writes the secret anywhere: errors are reduced to their kind (the URL of a failed request is
//! dropped, and no check puts the secret in a URL).

pub mod providers;
pub mod sigv4;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use base64::Engine as _;
use pipeguard_engine::validate::{Candidate, SecretValidator, Status, Verdict};
use providers::{Auth, Check};

/// Answers read this far (enough for every reading).
const MAX_BODY: usize = 16 * 1024;

#[derive(Clone, Debug)]
pub struct Options {
    /// Provider name → base URL (`--validate-endpoint github=http://127.0.0.1:8080`).
    pub endpoints: HashMap<String, String>,
    /// Per request, connect included.
    pub timeout: Duration,
    /// Secrets checked in one run; the rest are `unknown`.
    pub max_checks: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Least time between two requests to one provider.
    pub spacing: Duration,
    pub user_agent: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            endpoints: HashMap::new(),
            timeout: Duration::from_secs(5),
            max_checks: 500,
            concurrency: 4,
            spacing: Duration::from_millis(100),
            user_agent: concat!(
                "pipeguard/",
                env!("CARGO_PKG_VERSION"),
                " (secret validation)"
            )
            .into(),
        }
    }
}

/// Parse `NAME=URL` (the command line's `--validate-endpoint`).
pub fn parse_endpoint(s: &str) -> anyhow::Result<(String, String)> {
    let (name, url) = s.split_once('=').ok_or_else(|| {
        anyhow!("--validate-endpoint takes NAME=URL, e.g. github=http://127.0.0.1:8080")
    })?;
    let known = providers::providers();
    if !known.contains(&name) {
        bail!(
            "--validate-endpoint: unknown provider `{name}` (known: {})",
            known.join(", ")
        );
    }
    let u = reqwest::Url::parse(url).map_err(|e| anyhow!("--validate-endpoint {name}: {e}"))?;
    let host = u.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => bail!(
            "--validate-endpoint {name}: plain HTTP only to loopback (secrets would cross the network in clear)"
        ),
        other => bail!("--validate-endpoint {name}: scheme `{other}` is not http(s)"),
    }
    if !u.username().is_empty() || u.password().is_some() || u.query().is_some() {
        bail!("--validate-endpoint {name}: a base URL has no credentials and no query");
    }
    Ok((name.to_string(), url.trim_end_matches('/').to_string()))
}

pub struct Validator {
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
    opts: Options,
}

impl Validator {
    pub fn new(opts: Options) -> anyhow::Result<Validator> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(opts.user_agent.clone())
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout)
            // A redirect could carry the secret to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| anyhow!("cannot build the HTTP client: {}", e.without_url()))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| anyhow!("cannot start the validation runtime: {e}"))?;
        Ok(Validator { http, rt, opts })
    }

    fn base<'a>(&'a self, check: &'a Check) -> &'a str {
        self.opts
            .endpoints
            .get(check.provider)
            .map_or(check.base, String::as_str)
    }

    async fn one(&self, check: &Check, c: &Candidate) -> Verdict {
        let companions: Vec<&str> = match check.companion {
            Some(rule) => c
                .companions
                .iter()
                .filter(|(r, _)| r == rule)
                .map(|(_, v)| v.as_str())
                .take(3)
                .collect(),
            None => vec![""],
        };
        if companions.is_empty() {
            return Verdict::unknown(format!(
                "{}: no {} in the same file to check it with",
                check.label,
                check
                    .companion
                    .unwrap_or_default()
                    .trim_start_matches("secrets/")
            ));
        }
        // With several possible companions: live if one pair works, revoked if every pair is
        // refused, else unknown.
        let mut verdicts = Vec::new();
        for companion in companions {
            let v = self.request(check, &c.value, companion).await;
            if v.status == Status::Live {
                return v;
            }
            verdicts.push(v);
        }
        if verdicts.iter().all(|v| v.status == Status::Revoked) {
            verdicts.swap_remove(0)
        } else {
            verdicts
                .into_iter()
                .find(|v| v.status == Status::Unknown)
                .unwrap_or_else(|| Verdict::unknown("no answer"))
        }
    }

    async fn request(&self, check: &Check, secret: &str, companion: &str) -> Verdict {
        let base = self.base(check);
        let url = format!("{base}{}", check.path);
        let method = if check.method == "POST" {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let mut req = self.http.request(method, &url);
        for (k, v) in check.headers {
            req = req.header(*k, *v);
        }
        let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
        req = match check.auth {
            Auth::Bearer => req.header("authorization", format!("Bearer {secret}")),
            Auth::BasicUser => req.header(
                "authorization",
                format!("Basic {}", b64(format!("{secret}:"))),
            ),
            Auth::BasicWith(user) => req.header(
                "authorization",
                format!("Basic {}", b64(format!("{user}:{secret}"))),
            ),
            Auth::BasicCompanionUser => req.header(
                "authorization",
                format!("Basic {}", b64(format!("{secret}:{companion}"))),
            ),
            Auth::Header(name) => req.header(name, secret),
            Auth::JsonBody(field) => {
                let mut body = serde_json::Map::new();
                body.insert(field.to_string(), secret.into());
                req.json(&body)
            }
            Auth::AwsSigV4 => {
                let Ok(u) = reqwest::Url::parse(&url) else {
                    return Verdict::unknown(format!("{}: bad endpoint", check.label));
                };
                let host = match (u.host_str(), u.port()) {
                    (Some(h), Some(p)) => format!("{h}:{p}"),
                    (Some(h), None) => h.to_string(),
                    _ => String::new(),
                };
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let date = sigv4::amz_date(now);
                let ct = "application/x-www-form-urlencoded; charset=utf-8";
                let auth = sigv4::authorization(
                    &sigv4::Request {
                        method: "POST",
                        host: &host,
                        path: check.path,
                        content_type: ct,
                        body: check.form.as_bytes(),
                        amz_date: &date,
                        region: "us-east-1",
                        service: "sts",
                    },
                    companion,
                    secret,
                );
                req.header("content-type", ct)
                    .header("x-amz-date", date)
                    .header("authorization", auth)
            }
        };
        if !check.form.is_empty() && check.auth != Auth::AwsSigV4 {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(check.form);
        } else if check.auth == Auth::AwsSigV4 {
            req = req.body(check.form);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Verdict::unknown(format!("{}: {}", check.label, error_kind(&e))),
        };
        let status = resp.status().as_u16();
        let body = read_bounded(resp).await;
        let (s, detail) = providers::read(check, status, &body);
        Verdict { status: s, detail }
    }
}

/// The kind of a failed request, without its URL or anything it carried.
fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "no answer before the timeout"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (not followed)"
    } else {
        "the request failed"
    }
}

async fn read_bounded(mut resp: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_BODY.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= MAX_BODY {
            break;
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

impl SecretValidator for Validator {
    fn validate(&self, candidates: &[Candidate]) -> Vec<Verdict> {
        self.rt.block_on(async {
            let sem = tokio::sync::Semaphore::new(self.opts.concurrency.max(1));
            // Per provider: the earliest time the next request may start.
            let next: tokio::sync::Mutex<HashMap<&'static str, Instant>> =
                tokio::sync::Mutex::new(HashMap::new());
            let mut checked = 0usize;
            let jobs = candidates.iter().map(|c| {
                let check = providers::for_rule(&c.rule_id);
                let within = check.is_some() && {
                    checked += 1;
                    checked <= self.opts.max_checks
                };
                let (sem, next) = (&sem, &next);
                async move {
                    let Some(check) = check else {
                        return Verdict::unknown("no read-only check for this kind of secret");
                    };
                    if !within {
                        return Verdict::unknown(format!(
                            "not checked: more than {} secrets in this run",
                            self.opts.max_checks
                        ));
                    }
                    let Ok(_permit) = sem.acquire().await else {
                        return Verdict::unknown("not checked");
                    };
                    let wait = {
                        let mut n = next.lock().await;
                        let now = Instant::now();
                        let at = n.get(check.provider).copied().unwrap_or(now).max(now);
                        n.insert(check.provider, at + self.opts.spacing);
                        at - now
                    };
                    tokio::time::sleep(wait).await;
                    self.one(check, c).await
                }
            });
            futures_util::future::join_all(jobs).await
        })
    }
}
