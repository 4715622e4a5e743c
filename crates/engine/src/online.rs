//! What the GitHub API says about the actions a tree uses, as typed facts. The engine never
//! fetches anything (it links no network crate): `pipeguard-github` fills an [`OnlineFacts`] (from
//! its disk cache or the API) and the scan hands it to the online rules, which stay pure
//! functions of the workflow and these facts. [`uses_of`] lists what to look up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A `uses: owner/repo[/path]@ref` of another repository.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UsesRef {
    /// Lower-cased `owner/repo`.
    pub repo: String,
    /// The ref as written (tag, branch or SHA).
    pub git_ref: String,
    /// The path inside the repository (`""` for the root action; `sub/dir` for an action in a
    /// folder; `.github/workflows/x.yml` for a reusable workflow).
    #[serde(default)]
    pub path: String,
}

impl UsesRef {
    /// Key of the used file in [`RepoFacts::files`]: `path@ref`.
    pub fn file_key(&self) -> String {
        format!("{}@{}", self.path, self.git_ref)
    }

    /// A reusable workflow (a `.yml`/`.yaml` file), not an action folder.
    pub fn is_workflow(&self) -> bool {
        self.path.ends_with(".yml") || self.path.ends_with(".yaml")
    }

    pub fn is_sha(&self) -> bool {
        self.git_ref.len() == 40 && self.git_ref.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// A repository security advisory of the `actions` ecosystem for one package (`owner/repo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// `GHSA-…`
    pub id: String,
    pub summary: String,
    /// As GitHub writes it: `>= 1.0.0, < 1.2.3`, `<= 4.1`, `= 2.0.0`.
    pub vulnerable_range: String,
    pub first_patched: Option<String>,
}

/// Facts about one repository; `None` fields were not (or could not be) looked up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFacts {
    /// The repository answered 404 (deleted, renamed away, or private).
    pub missing: bool,
    pub archived: Option<bool>,
    /// Tag name → commit SHA.
    pub tags: Option<BTreeMap<String, String>>,
    /// Branch name → head commit SHA.
    pub branches: Option<BTreeMap<String, String>>,
    pub advisories: Option<Vec<Advisory>>,
    /// Pinned SHA → whether some branch or tag of the repository contains it.
    pub commit_reachable: BTreeMap<String, bool>,
    /// `path@ref` ([`UsesRef::file_key`]) → the action's `action.y{a,}ml` (or the reusable
    /// workflow) at that ref; `None` when the repository has no such file.
    #[serde(default)]
    pub files: BTreeMap<String, Option<String>>,
}

/// What a registry said about a Dockerfile base image (`fix --online`): the CLI asks the
/// registry (pipeguard-oci), the Dockerfile repair reads the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageFact {
    /// The digest the tag points at (`sha256:…`, computed from the manifest bytes); `index`: a
    /// multi-platform image index or Docker manifest list (its digest is pinned, not one
    /// platform's).
    Digest { digest: String, index: bool },
    /// The registry has no such tag or repository.
    Missing,
    /// The registry could not be asked or gave no usable answer (the reason, no credentials).
    Error(String),
}

/// Everything the online rules may read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineFacts {
    /// By lower-cased `owner/repo`.
    pub repos: BTreeMap<String, RepoFacts>,
    /// Dockerfile base images by the reference as written in `FROM` (`node:22`).
    #[serde(default)]
    pub images: BTreeMap<String, ImageFact>,
}

impl OnlineFacts {
    pub fn repo(&self, repo: &str) -> Option<&RepoFacts> {
        self.repos.get(&repo.to_ascii_lowercase())
    }
}

/// `owner/repo[/path]@ref` → the repository and ref (`None` for local, docker and malformed).
pub fn parse_uses(uses: &str) -> Option<UsesRef> {
    let u = uses.trim();
    if u.starts_with("./") || u.starts_with("docker://") || u.starts_with("$/") {
        return None;
    }
    let (path, git_ref) = u.rsplit_once('@')?;
    let mut parts = path.split('/');
    let owner = parts.next()?;
    let repo = parts.next()?;
    let sub: Vec<&str> = parts.collect();
    if sub
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\'))
    {
        return None;
    }
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s != "."
            && s != ".."
    };
    let ref_ok = !git_ref.is_empty()
        && git_ref.len() <= 255
        && !git_ref.contains("${{")
        && git_ref
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b'+'));
    if !ok(owner) || !ok(repo) || !ref_ok {
        return None;
    }
    Some(UsesRef {
        repo: format!("{owner}/{repo}").to_ascii_lowercase(),
        git_ref: git_ref.to_string(),
        path: sub.join("/"),
    })
}

/// Every `uses:` of another repository in a workflow or action text (line-based: the value of a
/// `uses:` key), deduplicated and sorted.
pub fn uses_of(text: &str) -> Vec<UsesRef> {
    let mut out: Vec<UsesRef> = text
        .lines()
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            let v = t.strip_prefix("uses:")?;
            let v = v.split(" #").next().unwrap_or(v).trim();
            let v = v.trim_matches(['"', '\'']);
            parse_uses(v)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A version as numbers (`v1.2.3` → [1, 2, 3]); `None` when it is not one.
pub fn version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches(['v', 'V']);
    if s.is_empty() {
        return None;
    }
    let core = s.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

fn cmp(lhs: &[u64], rhs: &[u64]) -> std::cmp::Ordering {
    let len = lhs.len().max(rhs.len());
    for i in 0..len {
        let (x, y) = (
            lhs.get(i).copied().unwrap_or(0),
            rhs.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    std::cmp::Ordering::Equal
}

/// Whether `v` is inside GitHub's `vulnerable_version_range` (comma-separated constraints, each
/// `>=`, `>`, `<=`, `<`, `=` and a version). A range that cannot be read matches nothing.
pub fn in_range(v: &[u64], range: &str) -> bool {
    let mut any = false;
    for c in range.split(',') {
        let c = c.trim();
        let (op, rest) = if let Some(r) = c.strip_prefix(">=") {
            (">=", r)
        } else if let Some(r) = c.strip_prefix("<=") {
            ("<=", r)
        } else if let Some(r) = c.strip_prefix('>') {
            (">", r)
        } else if let Some(r) = c.strip_prefix('<') {
            ("<", r)
        } else if let Some(r) = c.strip_prefix('=') {
            ("=", r)
        } else {
            ("=", c)
        };
        let Some(bound) = version(rest) else {
            return false;
        };
        let o = cmp(v, &bound);
        let ok = match op {
            ">=" => o.is_ge(),
            "<=" => o.is_le(),
            ">" => o.is_gt(),
            "<" => o.is_lt(),
            _ => o.is_eq(),
        };
        if !ok {
            return false;
        }
        any = true;
    }
    any
}

/// Every `uses:` of another repository in the GitHub workflows and actions under `root`.
pub fn uses_in_tree(
    root: &std::path::Path,
    config: &crate::policy::config::Config,
) -> anyhow::Result<Vec<UsesRef>> {
    use crate::discover::{self, ReadLimits, ReadOutcome, WalkOptions};
    use crate::source::FileKind;
    let walk = discover::walk(&WalkOptions {
        root: root.to_path_buf(),
        exclude: config.exclude.clone(),
        trusted_ignores: None,
    })?;
    let limits = ReadLimits {
        max_file_size: config.max_file_size(),
    };
    let mut out = Vec::new();
    for c in walk.candidates {
        if let ReadOutcome::File(f, _) = discover::read(c, limits)
            && matches!(f.kind, FileKind::GithubWorkflow | FileKind::GithubAction)
        {
            out.extend(uses_of(&f.text));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uses_and_ranges() {
        assert_eq!(
            parse_uses("actions/checkout/sub@v4"),
            Some(UsesRef {
                repo: "actions/checkout".into(),
                git_ref: "v4".into(),
                path: "sub".into()
            })
        );
        assert_eq!(parse_uses("./local"), None);
        assert_eq!(parse_uses("a/../b@x"), None);
        assert_eq!(parse_uses("a/b@${{ x }}"), None);
        let u =
            uses_of("steps:\n  - uses: Tj-Actions/changed-files@v45 # pinned?\n  - uses: './x'\n");
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].repo, "tj-actions/changed-files");
        let v = version("v45.0.7").unwrap();
        assert!(in_range(&v, "< 46.0.1"));
        assert!(in_range(&v, ">= 1, < 45.0.8"));
        assert!(!in_range(&v, "<= 45.0.6"));
        assert!(!in_range(&v, "garbage"));
        assert!(in_range(&version("2").unwrap(), "= 2.0.0"));
    }
}
