//! Jenkins REST client: list jobs across folders and fetch their config.xml.
//!
//! A few calls on reqwest + rustls (the `jenkins_api` crate is unmaintained and pulls hyper
//! versions with advisories). Authentication is HTTP basic with a user and API token, sent with
//! every request up front (Jenkins answers 403, not 401, to anonymous requests it rejects, so
//! waiting for a challenge does not work). Transient failures (connection errors, timeouts,
//! 429, 5xx) are retried with exponential backoff; 401/403/404 and TLS failures are not.
//!
//! ```no_run
//! # async fn f() -> Result<(), pipeguard_jenkins::Error> {
//! use pipeguard_jenkins::{Client, ClientOptions};
//! let client = Client::new(ClientOptions::new("https://ci.example.com")
//!     .auth("me", "api-token"))?;
//! for job in client.list_jobs().await? {
//!     let xml = client.fetch_config(&job).await?;
//!     println!("{} {} bytes", job.full_name, xml.len());
//! }
//! # Ok(()) }
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// What went wrong, with the URL concerned and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid Jenkins URL `{0}`: expected http:// or https:// followed by a host")]
    InvalidUrl(String),
    #[error(
        "authentication failed (HTTP 401) for {url}: check the user name and the API token (Jenkins → user → Security → API Token)"
    )]
    Unauthorized { url: String },
    #[error(
        "permission denied (HTTP 403) for {url}: the user needs Overall/Read and Job/ExtendedRead (to read config.xml), or the credentials were not accepted"
    )]
    Forbidden { url: String },
    #[error(
        "not found (HTTP 404): {url}: is the URL the Jenkins root (or a folder) and does the job still exist?"
    )]
    NotFound { url: String },
    #[error(
        "TLS failure talking to {url}: {detail} (is the certificate valid and trusted by this system?)"
    )]
    Tls { url: String, detail: String },
    #[error("HTTP {status} from {url} after {attempts} attempt(s)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    #[error("cannot reach {url} after {attempts} attempt(s): {detail}")]
    Connect {
        url: String,
        detail: String,
        attempts: u32,
    },
    #[error("unexpected response from {url}: {detail}")]
    Response { url: String, detail: String },
    #[error(
        "the response from {url} is larger than the limit of {limit} bytes; not read (a config.xml or job list that large is not a real one)"
    )]
    TooLarge { url: String, limit: u64 },
    #[error("folder {folder}: {detail}; not descended")]
    Folders { folder: String, detail: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How to reach the server.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub url: String,
    pub user: Option<String>,
    pub token: Option<String>,
    /// Attempts after the first for transient failures.
    pub retries: u32,
    /// First backoff delay; doubled on every retry.
    pub backoff: Duration,
    pub timeout: Duration,
    /// Largest response body read (a job list or a config.xml).
    pub max_response: u64,
    /// How many config.xml requests are in flight at once.
    pub concurrency: usize,
}

/// Default cap on one response: real config.xml files are kilobytes, job lists megabytes.
pub const DEFAULT_MAX_RESPONSE: u64 = 32 * 1024 * 1024;
/// Deepest folder nesting followed (real instances have a handful of levels).
pub const MAX_FOLDER_DEPTH: usize = 32;
/// Most jobs and folders listed from one server.
pub const MAX_JOBS: usize = 500_000;

impl ClientOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ClientOptions {
            url: url.into(),
            user: None,
            token: None,
            retries: 3,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(30),
            max_response: DEFAULT_MAX_RESPONSE,
            concurrency: 8,
        }
    }

    #[must_use]
    pub fn auth(mut self, user: impl Into<String>, token: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self.token = Some(token.into());
        self
    }
}

/// A job or folder, by its full name (`team/app`) and class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRef {
    /// Folder path and name, `/`-separated.
    pub full_name: String,
    /// `_class` as Jenkins reports it (e.g. `org.jenkinsci.plugins.workflow.job.WorkflowJob`).
    pub class: String,
    /// Whether it contains jobs (folders, organisation folders, multibranch projects).
    pub is_folder: bool,
}

impl JobRef {
    /// `/job/team/job/app` (each name percent-encoded).
    pub fn url_path(&self) -> String {
        let mut out = String::new();
        for n in self.full_name.split('/') {
            out.push_str("/job/");
            out.push_str(&encode_segment(n));
        }
        out
    }

    /// Where the config.xml goes in a JENKINS_HOME layout: `jobs/team/jobs/app/config.xml`.
    pub fn home_path(&self) -> PathBuf {
        let mut p = PathBuf::new();
        for n in self.full_name.split('/') {
            p.push("jobs");
            p.push(safe_file_name(n));
        }
        p.push("config.xml");
        p
    }
}

/// A job name as a single safe path component (names come from the server: never `..`).
fn safe_file_name(n: &str) -> String {
    let s: String = n
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c == '\0' {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() || s == "." || s == ".." {
        format!("_{s}")
    } else {
        s
    }
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[derive(Deserialize)]
struct JobList {
    #[serde(default)]
    jobs: Vec<JobJson>,
}

#[derive(Deserialize)]
struct JobJson {
    name: String,
    #[serde(rename = "_class", default)]
    class: String,
    /// Present (possibly empty) for folders when the tree asked for it.
    #[serde(default)]
    jobs: Option<Vec<JobJson>>,
}

/// Multibranch projects hold branch jobs generated from the Jenkinsfile (stored under
/// `branches/`, not `jobs/`): their definitions are the repository's Jenkinsfile.
fn descend(class: &str) -> bool {
    !class.ends_with("WorkflowMultiBranchProject")
}

/// The nested tree asked for in one request: children and grandchildren with their classes,
/// and whether a grandchild has jobs of its own (only those folders need another request).
pub const TREE: &str = "jobs[name,_class,jobs[name,_class,jobs[name]]]";

#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    opts: ClientOptions,
}

impl Client {
    pub fn new(mut opts: ClientOptions) -> Result<Self, Error> {
        // `http://user:token@host`: the credentials become basic auth and leave the URL, so no
        // message ever prints them.
        let (url, creds) = split_credentials(&opts.url);
        if let Some((user, token)) = creds
            && opts.user.is_none()
        {
            opts.user = Some(user);
            opts.token = token;
        }
        let base = url.trim_end_matches('/').to_string();
        let host = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"));
        if host.is_none_or(str::is_empty) {
            return Err(Error::InvalidUrl(redact_url(&opts.url)));
        }
        // reqwest is built without a default crypto provider; ring is the workspace's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("pipeguard-jenkins/", env!("CARGO_PKG_VERSION")))
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| Error::Tls {
                url: base.clone(),
                detail: chain(&e),
            })?;
        Ok(Client { base, http, opts })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// GET with auth, retries and error classification; the body as text.
    async fn get(&self, url: &str) -> Result<String, Error> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut req = self.http.get(url);
            if let Some(user) = &self.opts.user {
                req = req.basic_auth(user, self.opts.token.as_deref());
            }
            let retryable = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match status {
                        200..=299 => return self.read_body(url, resp).await,
                        401 => return Err(Error::Unauthorized { url: url.into() }),
                        403 => return Err(Error::Forbidden { url: url.into() }),
                        404 => return Err(Error::NotFound { url: url.into() }),
                        429 | 500..=599 => Error::Status {
                            url: url.into(),
                            status,
                            attempts: attempt,
                        },
                        _ => {
                            return Err(Error::Status {
                                url: url.into(),
                                status,
                                attempts: attempt,
                            });
                        }
                    }
                }
                Err(e) => {
                    let detail = chain(&e);
                    if is_tls(&detail) {
                        return Err(Error::Tls {
                            url: url.into(),
                            detail,
                        });
                    }
                    Error::Connect {
                        url: url.into(),
                        detail,
                        attempts: attempt,
                    }
                }
            };
            if attempt > self.opts.retries {
                return Err(retryable);
            }
            let delay = self.opts.backoff * 2u32.saturating_pow(attempt - 1);
            tokio::time::sleep(delay.min(Duration::from_secs(30))).await;
        }
    }

    /// The body, read in chunks up to `max_response` bytes (the declared length is checked
    /// first): a hostile or broken server cannot make the client buffer gigabytes.
    async fn read_body(&self, url: &str, mut resp: reqwest::Response) -> Result<String, Error> {
        let limit = self.opts.max_response;
        let too_large = || Error::TooLarge {
            url: url.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| Error::Response {
            url: url.to_string(),
            detail: chain(&e),
        })? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| Error::Response {
            url: url.to_string(),
            detail: "the body is not UTF-8".into(),
        })
    }

    /// Every job and folder, depth first, following folders (and organisation folders) down.
    /// A folder whose listing is the same as one of its ancestors' (a server whose folders
    /// repeat themselves) is not descended again, nor is anything deeper than
    /// `MAX_FOLDER_DEPTH` levels; either is an error naming the folder.
    pub async fn list_jobs(&self) -> Result<Vec<JobRef>, Error> {
        let mut out = Vec::new();
        // (folder full name, or "" for the root; hashes of the listings of its ancestors)
        let mut pending: Vec<(String, Vec<u64>)> = vec![(String::new(), Vec::new())];
        while let Some((folder, ancestors)) = pending.pop() {
            let depth = if folder.is_empty() {
                0
            } else {
                folder.split('/').count()
            };
            if depth > MAX_FOLDER_DEPTH {
                return Err(Error::Folders {
                    folder,
                    detail: format!("nested more than {MAX_FOLDER_DEPTH} folders deep"),
                });
            }
            if out.len() > MAX_JOBS {
                return Err(Error::Folders {
                    folder,
                    detail: format!("the server lists more than {MAX_JOBS} jobs and folders"),
                });
            }
            let path = if folder.is_empty() {
                String::new()
            } else {
                JobRef {
                    full_name: folder.clone(),
                    class: String::new(),
                    is_folder: true,
                }
                .url_path()
            };
            let url = format!("{}{path}/api/json?tree={TREE}", self.base);
            let body = self.get(&url).await?;
            let list: JobList = serde_json::from_str(&body).map_err(|e| Error::Response {
                url: url.clone(),
                detail: format!("not the JSON of a Jenkins job list: {e}"),
            })?;
            let listing = listing_hash(&list);
            if ancestors.contains(&listing) {
                return Err(Error::Folders {
                    folder,
                    detail: "it lists the same jobs as one of its parent folders (a cycle)".into(),
                });
            }
            let mut lineage = ancestors.clone();
            lineage.push(listing);
            let mut children = Vec::new();
            for j in list.jobs {
                let full = join(&folder, &j.name);
                children.push(JobRef {
                    full_name: full.clone(),
                    class: j.class.clone(),
                    is_folder: j.jobs.is_some(),
                });
                let Some(grand) = j.jobs else { continue };
                if !descend(&j.class) {
                    continue;
                }
                // Grandchildren came with this response; only sub-folders need a request.
                for g in grand {
                    let gfull = join(&full, &g.name);
                    if g.jobs.is_some() && descend(&g.class) {
                        pending.push((gfull.clone(), lineage.clone()));
                    }
                    children.push(JobRef {
                        full_name: gfull,
                        class: g.class,
                        is_folder: g.jobs.is_some(),
                    });
                }
            }
            out.extend(children);
        }
        out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        out.dedup_by(|a, b| a.full_name == b.full_name);
        Ok(out)
    }

    /// The config.xml of each job, in order, with at most `concurrency` requests in flight.
    pub async fn fetch_configs(&self, jobs: &[JobRef]) -> Vec<Result<String, Error>> {
        let n = self.opts.concurrency.max(1);
        let mut out = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(n) {
            let mut set = tokio::task::JoinSet::new();
            for (i, job) in chunk.iter().enumerate() {
                let client = self.clone();
                let job = job.clone();
                set.spawn(async move { (i, client.fetch_config(&job).await) });
            }
            let mut results: Vec<Option<Result<String, Error>>> =
                (0..chunk.len()).map(|_| None).collect();
            while let Some(done) = set.join_next().await {
                match done {
                    Ok((i, r)) => results[i] = Some(r),
                    Err(e) => {
                        // A panicked or cancelled task: its job has no result below.
                        let _ = e;
                    }
                }
            }
            for (r, job) in results.into_iter().zip(chunk) {
                out.push(r.unwrap_or_else(|| {
                    Err(Error::Response {
                        url: format!("{}{}/config.xml", self.base, job.url_path()),
                        detail: "the request task failed".into(),
                    })
                }));
            }
        }
        out
    }

    /// The job's (or folder's) config.xml.
    pub async fn fetch_config(&self, job: &JobRef) -> Result<String, Error> {
        let url = format!("{}{}/config.xml", self.base, job.url_path());
        let body = self.get(&url).await?;
        if !body.trim_start().starts_with('<') {
            return Err(Error::Response {
                url,
                detail: "not XML (a login page or proxy error?)".into(),
            });
        }
        Ok(body)
    }
}

/// A fingerprint of a folder listing (names and classes, recursively as far as the response
/// goes), to notice a folder that lists exactly what an ancestor listed.
fn listing_hash(list: &JobList) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut stack: Vec<&JobJson> = list.jobs.iter().rev().collect();
    while let Some(j) = stack.pop() {
        j.name.hash(&mut h);
        j.class.hash(&mut h);
        match &j.jobs {
            Some(children) => {
                children.len().hash(&mut h);
                stack.extend(children.iter().rev());
            }
            None => usize::MAX.hash(&mut h),
        }
    }
    list.jobs.len().hash(&mut h);
    h.finish()
}

/// `scheme://user:token@host/…` → (`scheme://host/…`, Some((user, token))).
pub fn split_credentials(url: &str) -> (String, Option<(String, Option<String>)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = &authority[..at];
    let clean = format!(
        "{scheme}://{}{}",
        &authority[at + 1..],
        &rest[authority_end..]
    );
    let (user, token) = match userinfo.split_once(':') {
        Some((u, t)) => (percent_decode(u), Some(percent_decode(t))),
        None => (percent_decode(userinfo), None),
    };
    (clean, Some((user, token)))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(s.get(i + 1..i + 3).unwrap_or(""), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL fit to print: no `user:password@`, and the values of secret-named query parameters
/// (`token`, `password`, `access_token`, `api_key`, …) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (clean, creds) = split_credentials(url);
    let mut s = if creds.is_some() {
        match clean.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://***@{rest}"),
            None => clean,
        }
    } else {
        clean
    };
    if let Some(q) = s.find('?') {
        let (head, query) = s.split_at(q + 1);
        let (query, frag) = match query.find('#') {
            Some(f) => query.split_at(f),
            None => (query, ""),
        };
        let parts: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if secret_param(k) => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        s = format!("{head}{}{frag}", parts.join("&"));
    }
    s
}

fn secret_param(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "token",
        "password",
        "passwd",
        "secret",
        "key",
        "auth",
        "signature",
        "sig",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// The error and its sources, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

fn is_tls(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "unknownissuer",
        "ssl",
    ]
    .iter()
    .any(|k| d.contains(k))
}

/// What a pull wrote, and the jobs it could not read.
#[derive(Debug, Default)]
pub struct PullSummary {
    pub jobs: usize,
    pub folders: usize,
    pub files: Vec<PathBuf>,
    /// Jobs (and folders) whose config.xml could not be read (deleted during the pull, not
    /// readable by the user, a proxy's error page…), with the error: everything else was saved.
    pub failed: Vec<(String, Error)>,
}

impl PullSummary {
    /// Some jobs could not be read.
    pub fn partial(&self) -> bool {
        !self.failed.is_empty()
    }
}

/// After this many jobs in a row fail with a connection or TLS error, the server is taken to
/// be gone and the pull stops (each such job costs its retries).
const MAX_CONSECUTIVE_CONNECT_FAILURES: usize = 3;

/// List every job and save its config.xml under `out` in JENKINS_HOME layout. `progress` is
/// called after each job with (done, total, job name). A job whose config.xml cannot be read is
/// recorded in [`PullSummary::failed`] and the pull goes on; listing errors, write errors and a
/// server that stops answering end it with an error.
pub async fn pull(
    client: &Client,
    out: &Path,
    progress: impl FnMut(usize, usize, &str),
) -> Result<PullSummary, Error> {
    pull_with(
        client,
        |job, xml| {
            let path = out.join(job.home_path());
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, xml).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        },
        progress,
    )
    .await
}

/// Every job's config.xml, keyed by its JENKINS_HOME path (`jobs/team/jobs/app/config.xml`),
/// without writing anything: what `fingerprint`/`drift --jenkins-url` read.
pub async fn pull_in_memory(
    client: &Client,
    progress: impl FnMut(usize, usize, &str),
) -> Result<(PullSummary, Vec<(PathBuf, String)>), Error> {
    let mut configs = Vec::new();
    let summary = pull_with(
        client,
        |job, xml| {
            let path = job.home_path();
            configs.push((path.clone(), xml));
            Ok(path)
        },
        progress,
    )
    .await?;
    Ok((summary, configs))
}

/// The pull itself: each config.xml read is handed to `keep`, which says where it went.
async fn pull_with(
    client: &Client,
    mut keep: impl FnMut(&JobRef, String) -> Result<PathBuf, Error>,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<PullSummary, Error> {
    let jobs = client.list_jobs().await?;
    let mut summary = PullSummary::default();
    let mut unreachable = 0usize;
    // Bounded concurrency, a chunk at a time: at most `concurrency` bodies in flight.
    let mut configs = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let chunk = client.opts.concurrency.max(1);
        if i % chunk == 0 {
            let end = (i + chunk).min(jobs.len());
            configs = client.fetch_configs(&jobs[i..end]).await;
            configs.reverse();
        }
        let fetched = configs.pop().unwrap_or_else(|| {
            Err(Error::Response {
                url: client.base.clone(),
                detail: "no result for a job".into(),
            })
        });
        let xml = match fetched {
            Ok(x) => {
                unreachable = 0;
                x
            }
            Err(e @ Error::Io { .. }) => return Err(e),
            Err(e) => {
                if matches!(e, Error::Connect { .. } | Error::Tls { .. }) {
                    unreachable += 1;
                    if unreachable >= MAX_CONSECUTIVE_CONNECT_FAILURES {
                        return Err(e);
                    }
                } else {
                    unreachable = 0;
                }
                summary.failed.push((job.full_name.clone(), e));
                progress(i + 1, jobs.len(), &job.full_name);
                continue;
            }
        };
        let path = keep(job, xml)?;
        if job.is_folder {
            summary.folders += 1;
        } else {
            summary.jobs += 1;
        }
        summary.files.push(path);
        progress(i + 1, jobs.len(), &job.full_name);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        let j = JobRef {
            full_name: "team a/app".into(),
            class: String::new(),
            is_folder: false,
        };
        assert_eq!(j.url_path(), "/job/team%20a/job/app");
        assert_eq!(
            j.home_path(),
            PathBuf::from("jobs/team a/jobs/app/config.xml")
        );
        let evil = JobRef {
            full_name: "..".into(),
            class: String::new(),
            is_folder: false,
        };
        assert_eq!(evil.home_path(), PathBuf::from("jobs/_../config.xml"));
    }

    #[test]
    fn credentials_leave_the_url() {
        let (u, c) = split_credentials("http://me:p%40ss@ci.example.com:8080/jenkins?x=1");
        assert_eq!(u, "http://ci.example.com:8080/jenkins?x=1");
        assert_eq!(c, Some(("me".into(), Some("p@ss".into()))));
        assert_eq!(
            redact_url("https://me:hunter2@ci/x?token=abc&a=b"),
            "https://***@ci/x?token=***&a=b"
        );
        let e = Client::new(ClientOptions::new("ftp://me:hunter2@ci"))
            .err()
            .unwrap();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let c = Client::new(ClientOptions::new("http://me:hunter2@127.0.0.1:9")).unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn rejects_bad_urls() {
        assert!(matches!(
            Client::new(ClientOptions::new("ci.example.com")),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            Client::new(ClientOptions::new("https://")),
            Err(Error::InvalidUrl(_))
        ));
    }
}
