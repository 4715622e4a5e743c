//! `github/forbidden-uses`: a `uses:` the repository's policy forbids, from
//! `github.forbidden_uses` in `.pipeguard.yml` — an allow-list (everything else is forbidden)
//! or a deny-list. Silent unless configured. Repository references only (steps and reusable
//! workflow calls), not `docker://` or local paths.

use github_actions_models::common::Uses;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Route, Seg, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubForbiddenUses, check);

/// A `uses:` pattern: `*`, `owner/*`, `owner/repo` (the repository and every action in it),
/// `owner/repo/*` (the same), `owner/repo/path` (that action only), each optionally `@ref`
/// (that ref only). Owners and repositories compare case-insensitively, refs exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    owner: Option<String>,
    repo: Option<String>,
    /// `None`: any path in the repository.
    path: Option<String>,
    git_ref: Option<String>,
}

impl Pattern {
    pub fn parse(p: &str) -> Result<Pattern, String> {
        let p = p.trim();
        if p == "*" {
            return Ok(Pattern { owner: None, repo: None, path: None, git_ref: None });
        }
        let (body, git_ref) = match p.split_once('@') {
            Some((b, r)) if !r.is_empty() && !r.contains('*') => (b, Some(r.to_string())),
            Some(_) => return Err("the ref after `@` is empty or has a wildcard".into()),
            None => (p, None),
        };
        let mut parts = body.split('/');
        let owner = parts.next().unwrap_or_default();
        let repo = parts.next().unwrap_or_default();
        let path: Vec<&str> = parts.collect();
        let bad = |s: &str| s.is_empty() || s.contains('*') || s.contains(char::is_whitespace);
        if bad(owner) {
            return Err("expected `*`, `owner/*` or `owner/repo[/path][@ref]`".into());
        }
        if repo == "*" {
            if !path.is_empty() || git_ref.is_some() {
                return Err("nothing may follow `owner/*`".into());
            }
            return Ok(Pattern { owner: Some(owner.to_ascii_lowercase()), repo: None, path: None, git_ref: None });
        }
        if bad(repo) {
            return Err("expected `*`, `owner/*` or `owner/repo[/path][@ref]`".into());
        }
        let path = match path.as_slice() {
            [] | ["*"] => None,
            segs if segs.iter().all(|s| !bad(s)) => Some(segs.join("/").to_ascii_lowercase()),
            _ => return Err("a path may only end in `/*`".into()),
        };
        Ok(Pattern {
            owner: Some(owner.to_ascii_lowercase()),
            repo: Some(repo.to_ascii_lowercase()),
            path,
            git_ref,
        })
    }

    fn matches(&self, owner: &str, repo: &str, path: Option<&str>, git_ref: &str) -> bool {
        let eq = |a: &Option<String>, b: &str| a.as_deref().is_none_or(|a| a.eq_ignore_ascii_case(b));
        eq(&self.owner, owner)
            && eq(&self.repo, repo)
            && self
                .path
                .as_deref()
                .is_none_or(|p| path.is_some_and(|q| q.trim_matches('/').eq_ignore_ascii_case(p)))
            && self.git_ref.as_deref().is_none_or(|r| r == git_ref)
    }
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some((allow, raw)) = cx.config.github.forbidden_uses.as_ref().and_then(|f| f.mode()) else {
        return;
    };
    // Validated when the config loaded; an unparsable one is skipped rather than matching all.
    let pats: Vec<Pattern> = raw.iter().filter_map(|p| Pattern::parse(p).ok()).collect();
    let m = a.m;
    let mut sites: Vec<(&str, Route)> = Vec::new();
    for job in &m.jobs {
        if let Some(u) = job.uses.as_deref() {
            sites.push((u, route_with(&job.route, Seg::Key("uses".into()))));
        }
        for step in &job.steps {
            if let Some(u) = step.uses.as_deref() {
                sites.push((u, route_with(&step.route, Seg::Key("uses".into()))));
            }
        }
    }
    for (u, route) in sites {
        let Ok(Uses::Repository(r)) = Uses::parse(u) else { continue };
        let hit = pats
            .iter()
            .any(|p| p.matches(r.owner(), r.repo(), r.subpath(), r.git_ref()));
        if hit == allow {
            continue;
        }
        let why = if allow {
            "is not on the allow-list"
        } else {
            "is on the deny-list"
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.value_bytes(&route),
                format!(
                    "`uses: {}` {why} of `github.forbidden_uses` in the configuration",
                    u.trim()
                ),
            )
            .content(format!("forbidden-uses {}", u.trim())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn patterns() {
        assert!(Pattern::parse("*/*").is_err());
        assert!(Pattern::parse("actions/*@v4").is_err());
        assert!(Pattern::parse("").is_err());
        let p = Pattern::parse("actions/checkout").unwrap();
        assert!(p.matches("Actions", "checkout", None, "v4"));
        assert!(p.matches("actions", "checkout", Some("sub"), "v4"));
        assert!(!p.matches("actions", "cache", None, "v4"));
        let p = Pattern::parse("actions/checkout@v3").unwrap();
        assert!(!p.matches("actions", "checkout", None, "v4"));
        let p = Pattern::parse("github/codeql-action/init").unwrap();
        assert!(p.matches("github", "codeql-action", Some("init"), "v3"));
        assert!(!p.matches("github", "codeql-action", Some("analyze"), "v3"));
        assert!(!p.matches("github", "codeql-action", None, "v3"));
        assert!(Pattern::parse("actions/*").unwrap().matches("actions", "x", None, "v1"));
        assert!(Pattern::parse("*").unwrap().matches("a", "b", None, "c"));
    }
}
