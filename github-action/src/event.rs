//! The runner's view of a GitHub Actions run: event name, repository and the webhook payload
//! (`$GITHUB_EVENT_PATH`), with small typed accessors over the JSON.

use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("{0} is not set; `pipeguard gate --github` must run inside a GitHub Actions job")]
    MissingVar(&'static str),
    #[error("cannot read the event payload {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("the event payload {path} is not valid JSON: {message}")]
    Json { path: PathBuf, message: String },
}

/// Event name, repository (`owner/name`) and payload of the current run.
#[derive(Debug, Clone)]
pub struct Context {
    pub event_name: String,
    pub repository: String,
    pub payload: Value,
}

impl Context {
    /// Read `GITHUB_EVENT_NAME`, `GITHUB_REPOSITORY` and `GITHUB_EVENT_PATH` through `var`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Context, ContextError> {
        let get = |name: &'static str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ContextError::MissingVar(name))
        };
        let event_name = get("GITHUB_EVENT_NAME")?;
        let path = PathBuf::from(get("GITHUB_EVENT_PATH")?);
        let payload = read_payload(&path)?;
        let repository = match var("GITHUB_REPOSITORY").filter(|v| !v.is_empty()) {
            Some(r) => r,
            None => str_at(&payload, &["repository", "full_name"])
                .map(str::to_string)
                .ok_or(ContextError::MissingVar("GITHUB_REPOSITORY"))?,
        };
        Ok(Context {
            event_name,
            repository,
            payload,
        })
    }
}

/// Webhook payloads are at most 25 MB (GitHub's limit).
const MAX_PAYLOAD_BYTES: u64 = 25 * 1024 * 1024;

pub fn read_payload(path: &Path) -> Result<Value, ContextError> {
    let read_err = |message: String| ContextError::Read {
        path: path.to_path_buf(),
        message,
    };
    // A regular file only (a FIFO would block, `/dev/zero` never ends), bounded.
    let meta = std::fs::metadata(path).map_err(|e| read_err(e.to_string()))?;
    if !meta.is_file() {
        return Err(read_err("not a regular file".to_string()));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(|e| read_err(e.to_string()))?,
            MAX_PAYLOAD_BYTES + 1,
        ),
        &mut bytes,
    )
    .map_err(|e| read_err(e.to_string()))?;
    if bytes.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(read_err(format!(
            "larger than the limit of {MAX_PAYLOAD_BYTES} bytes"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| read_err("not UTF-8".to_string()))?;
    serde_json::from_str(&text).map_err(|e| ContextError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The value at a path of object keys, if every step exists and is not null.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    (!cur.is_null()).then_some(cur)
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

/// A pull request as the gate needs it, from a webhook payload or the pulls API (same shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub author: String,
    pub association: String,
    pub head_sha: String,
    pub head_ref: String,
    /// `owner/name` of the head repository; None when it was deleted.
    pub head_repo: Option<String>,
    pub head_repo_id: Option<u64>,
    pub head_repo_fork: bool,
    /// Login of the head repository's owner (who controls what is pushed there).
    pub head_repo_owner: Option<String>,
    pub base_repo: String,
    pub base_repo_id: Option<u64>,
    pub labels: Vec<String>,
}

impl PullRequest {
    /// Parse a `pull_request` object; `None` names the first missing field.
    pub fn from_json(pr: &Value) -> Result<PullRequest, String> {
        let need = |path: &[&str]| -> Result<String, String> {
            str_at(pr, path)
                .map(str::to_string)
                .ok_or_else(|| format!("pull_request.{} is missing", path.join(".")))
        };
        let number = at(pr, &["number"])
            .and_then(Value::as_u64)
            .ok_or("pull_request.number is missing")?;
        let head_repo = at(pr, &["head", "repo"]);
        Ok(PullRequest {
            number,
            author: need(&["user", "login"])?,
            association: str_at(pr, &["author_association"])
                .unwrap_or("NONE")
                .to_ascii_uppercase(),
            head_sha: need(&["head", "sha"])?,
            head_ref: str_at(pr, &["head", "ref"]).unwrap_or_default().to_string(),
            head_repo: head_repo
                .and_then(|r| str_at(r, &["full_name"]))
                .map(str::to_string),
            head_repo_id: head_repo
                .and_then(|r| at(r, &["id"]))
                .and_then(Value::as_u64),
            head_repo_fork: head_repo
                .and_then(|r| at(r, &["fork"]))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            head_repo_owner: head_repo
                .and_then(|r| str_at(r, &["owner", "login"]))
                .map(str::to_string),
            base_repo: need(&["base", "repo", "full_name"])?,
            base_repo_id: at(pr, &["base", "repo", "id"]).and_then(Value::as_u64),
            labels: at(pr, &["labels"])
                .and_then(Value::as_array)
                .map(|ls| {
                    ls.iter()
                        .filter_map(|l| str_at(l, &["name"]).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    pub fn short_sha(&self) -> &str {
        short(&self.head_sha)
    }
}

pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
