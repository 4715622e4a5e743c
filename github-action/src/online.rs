//! `scan --online`: look up the repositories of the actions a tree uses (metadata, tags,
//! branches, advisories, and whether each pinned commit is on a branch or tag) and hand the engine
//! typed [`OnlineFacts`]. Every answer is cached on disk with a TTL, keyed by host and
//! owner/repo (pinned commits inside), so a second scan of the same tree makes no call. Any API
//! failure becomes a note and leaves the facts it concerns unknown (the rules then say nothing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pipeguard_engine::online::{Advisory, OnlineFacts, RepoFacts, UsesRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{ApiError, Client};
use crate::time::now_unix;

/// Repositories looked up per scan at most (each costs about five requests).
pub const MAX_REPOS: usize = 500;
/// Tags and branches compared with a pinned commit before calling it unreachable.
const MAX_COMPARES: usize = 6;
/// Cached files larger than this are ignored (a planted cache cannot make us read gigabytes).
const MAX_CACHE_FILE: u64 = 16 * 1024 * 1024;

pub struct OnlineOptions {
    pub api_url: String,
    pub token: Option<String>,
    pub cache_dir: PathBuf,
    pub ttl: Duration,
    pub request_timeout: Duration,
    /// Longest wait for a rate limit to reset.
    pub max_wait: Duration,
}

pub struct Resolved {
    pub facts: OnlineFacts,
    /// API requests made.
    pub calls: usize,
    /// Repositories answered from the cache.
    pub cached: usize,
    pub notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    fetched_at: i64,
    facts: RepoFacts,
}

/// The default cache directory: `$XDG_CACHE_HOME/pipeguard/github`, else `~/.cache/…`.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("pipeguard").join("github")
}

/// The token from `GH_TOKEN`, else `GITHUB_TOKEN`.
pub fn token_from_env() -> Option<String> {
    ["GH_TOKEN", "GITHUB_TOKEN"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|t| !t.trim().is_empty()))
}

fn host_key(api_url: &str) -> String {
    api_url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn cache_path(dir: &Path, api_url: &str, repo: &str) -> Option<PathBuf> {
    let (owner, name) = repo.split_once('/')?;
    let safe = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    (safe(owner) && safe(name)).then(|| {
        dir.join(host_key(api_url))
            .join(owner)
            .join(format!("{name}.json"))
    })
}

fn read_cache(path: &Path, ttl: Duration) -> Option<RepoFacts> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_CACHE_FILE {
        return None;
    }
    let e: CacheEntry = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let age = now_unix() - e.fetched_at;
    (age >= 0 && (age as u64) < ttl.as_secs()).then_some(e.facts)
}

fn write_cache(path: &Path, facts: &RepoFacts) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let entry = CacheEntry {
        fetched_at: now_unix(),
        facts: facts.clone(),
    };
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(&entry).unwrap_or_default())?;
    std::fs::rename(&tmp, path)
}

fn name_sha(items: &[Value]) -> BTreeMap<String, String> {
    items
        .iter()
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?;
            let sha = t.get("commit")?.get("sha")?.as_str()?;
            Some((name.to_string(), sha.to_ascii_lowercase()))
        })
        .collect()
}

fn advisories(items: &[Value], repo: &str) -> Vec<Advisory> {
    let mut out = Vec::new();
    for a in items {
        let Some(id) = a.get("ghsa_id").and_then(Value::as_str) else {
            continue;
        };
        let summary = a
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect::<String>();
        for v in a
            .get("vulnerabilities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pkg = v.get("package");
            let eco = pkg.and_then(|p| p.get("ecosystem")).and_then(Value::as_str);
            let name = pkg.and_then(|p| p.get("name")).and_then(Value::as_str);
            if eco != Some("actions") || !name.is_some_and(|n| n.eq_ignore_ascii_case(repo)) {
                continue;
            }
            let Some(range) = v.get("vulnerable_version_range").and_then(Value::as_str) else {
                continue;
            };
            out.push(Advisory {
                id: id.to_string(),
                summary: summary.clone(),
                vulnerable_range: range.to_string(),
                first_patched: v
                    .get("first_patched_version")
                    .and_then(|p| {
                        p.as_str()
                            .or_else(|| p.get("identifier").and_then(Value::as_str))
                    })
                    .map(str::to_string),
            });
        }
    }
    out
}

/// Look one repository up: metadata, tags, branches, advisories, and the reachability of `shas`
/// (reusing `known` facts and only filling what is missing).
async fn fetch_repo(
    client: &Client,
    repo: &str,
    shas: &BTreeSet<String>,
    files: &BTreeSet<UsesRef>,
    known: Option<RepoFacts>,
) -> Result<RepoFacts, ApiError> {
    let mut f = known.unwrap_or_default();
    let mut default_branch = None;
    if f.archived.is_none() && !f.missing {
        match client.get_json(&format!("/repos/{repo}")).await? {
            None => {
                f.missing = true;
                return Ok(f);
            }
            Some(meta) => {
                f.archived = Some(
                    meta.get("archived")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                );
                default_branch = meta
                    .get("default_branch")
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
        }
    }
    if f.missing {
        return Ok(f);
    }
    if f.tags.is_none() {
        f.tags = Some(name_sha(
            &client.get_list(&format!("/repos/{repo}/tags")).await?,
        ));
    }
    if f.branches.is_none() {
        f.branches = Some(name_sha(
            &client.get_list(&format!("/repos/{repo}/branches")).await?,
        ));
    }
    if f.advisories.is_none() {
        let items = client
            .get_list(&format!("/advisories?ecosystem=actions&affects={repo}"))
            .await?;
        f.advisories = Some(advisories(&items, repo));
    }
    for sha in shas {
        if f.commit_reachable.contains_key(sha) {
            continue;
        }
        let tags = f.tags.clone().unwrap_or_default();
        let branches = f.branches.clone().unwrap_or_default();
        if tags.values().chain(branches.values()).any(|s| s == sha) {
            f.commit_reachable.insert(sha.clone(), true);
            continue;
        }
        // Compare with the default branch first, then a few branches and tags: `behind` or
        // `identical` means the commit is in that ref's history.
        let mut bases: Vec<String> = default_branch.iter().cloned().collect();
        bases.extend(
            branches
                .keys()
                .filter(|b| Some(*b) != default_branch.as_ref())
                .cloned(),
        );
        bases.extend(tags.keys().rev().cloned());
        let mut reachable = false;
        for base in bases.iter().take(MAX_COMPARES) {
            let path = format!("/repos/{repo}/compare/{base}...{sha}");
            if let Some(c) = client.get_json(&path).await? {
                let st = c.get("status").and_then(Value::as_str).unwrap_or_default();
                if st == "behind" || st == "identical" {
                    reachable = true;
                    break;
                }
            }
        }
        f.commit_reachable.insert(sha.clone(), reachable);
    }
    for u in files {
        let key = u.file_key();
        if f.files.contains_key(&key) {
            continue;
        }
        let candidates: Vec<String> = if u.is_workflow() {
            vec![u.path.clone()]
        } else {
            let dir = if u.path.is_empty() {
                String::new()
            } else {
                format!("{}/", u.path)
            };
            vec![format!("{dir}action.yml"), format!("{dir}action.yaml")]
        };
        let mut text = None;
        for c in candidates {
            let path = format!("/repos/{repo}/contents/{c}?ref={}", u.git_ref);
            if let Some(v) = client.get_json(&path).await? {
                text = decode_contents(&v);
                break;
            }
        }
        f.files.insert(key, text);
    }
    Ok(f)
}

/// Largest action or workflow file kept.
const MAX_FILE: usize = 512 * 1024;

/// The text of a contents-API file answer (`encoding: base64`).
fn decode_contents(v: &Value) -> Option<String> {
    use base64::Engine as _;
    if v.get("type").and_then(Value::as_str) != Some("file")
        || v.get("encoding").and_then(Value::as_str) != Some("base64")
    {
        return None;
    }
    let b64: String = v
        .get("content")?
        .as_str()?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if b64.len() > MAX_FILE * 4 / 3 + 4 {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(bytes).ok()
}

/// How deep used actions are followed into the actions they use.
pub const MAX_DEPTH: usize = 3;

/// Resolve the facts for `uses` (cache first). Never fails: what could not be looked up is a
/// note.
pub async fn resolve(uses: &[UsesRef], opts: &OnlineOptions) -> Resolved {
    let mut out = Resolved {
        facts: OnlineFacts::default(),
        calls: 0,
        cached: 0,
        notes: Vec::new(),
    };
    let repos: BTreeSet<&str> = uses.iter().map(|u| u.repo.as_str()).collect();
    if repos.len() > MAX_REPOS {
        out.notes.push(format!(
            "online: {} repositories used; only the first {MAX_REPOS} are looked up",
            repos.len()
        ));
    }
    let client = match Client::new(&opts.api_url, opts.token.as_deref(), opts.max_wait) {
        Ok(c) => c.with_limits(opts.request_timeout, crate::client::MAX_BODY),
        Err(e) => {
            out.notes.push(format!("online: {e}; online rules skipped"));
            return out;
        }
    };
    let mut unreachable = false;
    // Level by level: the used actions, then the actions their action.yml uses, to MAX_DEPTH;
    // `visited` stops cycles.
    let mut visited: BTreeSet<UsesRef> = uses.iter().cloned().collect();
    let mut level: Vec<UsesRef> = uses.to_vec();
    let mut looked_up: BTreeSet<String> = BTreeSet::new();
    for depth in 0..MAX_DEPTH {
        if level.is_empty() {
            break;
        }
        let mut by_repo: BTreeMap<String, (BTreeSet<String>, BTreeSet<UsesRef>)> = BTreeMap::new();
        for u in &level {
            let e = by_repo.entry(u.repo.clone()).or_default();
            if u.is_sha() && depth == 0 {
                e.0.insert(u.git_ref.to_ascii_lowercase());
            }
            e.1.insert(u.clone());
        }
        for (repo, (shas, files)) in by_repo {
            if !out.facts.repos.contains_key(&repo) && looked_up.len() >= MAX_REPOS {
                continue;
            }
            looked_up.insert(repo.clone());
            let path = cache_path(&opts.cache_dir, &opts.api_url, &repo);
            let known = out
                .facts
                .repos
                .get(&repo)
                .cloned()
                .or_else(|| path.as_deref().and_then(|p| read_cache(p, opts.ttl)));
            let complete = known.as_ref().is_some_and(|c| {
                c.missing
                    || (shas.iter().all(|s| c.commit_reachable.contains_key(s))
                        && files.iter().all(|u| c.files.contains_key(&u.file_key())))
            });
            if complete {
                if !out.facts.repos.contains_key(&repo) {
                    out.cached += 1;
                }
                if let Some(k) = known {
                    out.facts.repos.insert(repo, k);
                }
                continue;
            }
            if unreachable {
                continue;
            }
            match fetch_repo(&client, &repo, &shas, &files, known).await {
                Ok(f) => {
                    if let Some(p) = &path
                        && let Err(e) = write_cache(p, &f)
                    {
                        out.notes.push(format!(
                            "online: cannot write the cache {}: {e}",
                            p.display()
                        ));
                    }
                    out.facts.repos.insert(repo, f);
                }
                Err(e) => {
                    // A transport failure (no network, DNS, timeout) ends the lookups: one note.
                    if matches!(e, ApiError::Transport { .. } | ApiError::RateLimited { .. }) {
                        unreachable = true;
                    }
                    out.notes.push(format!("online: {e}; {repo} not checked"));
                }
            }
        }
        let mut next = Vec::new();
        for u in &level {
            let text = out
                .facts
                .repos
                .get(&u.repo)
                .and_then(|f| f.files.get(&u.file_key()))
                .and_then(Option::as_ref);
            for n in text
                .map(|t| pipeguard_engine::online::uses_of(t))
                .unwrap_or_default()
            {
                if visited.insert(n.clone()) {
                    next.push(n);
                }
            }
        }
        level = next;
    }
    out.calls = client.calls();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_stay_inside() {
        let d = Path::new("/c");
        assert_eq!(
            cache_path(d, "https://api.github.com", "actions/checkout"),
            Some(PathBuf::from("/c/api.github.com/actions/checkout.json"))
        );
        assert_eq!(cache_path(d, "https://x", "../etc"), None);
        assert_eq!(cache_path(d, "https://x", "a/.."), None);
    }
}
