//! `github/insecure-url-scheme`: a pre-commit hook repository fetched over a plaintext scheme
//! (`http://`, `git://`). Anyone on the network path can serve other code for the pinned
//! `rev:`, and pre-commit runs it on every developer machine and CI job that installs the
//! hooks.

use serde_yaml::Value;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Seg, scalar};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubInsecureUrlScheme, check);

/// The plaintext scheme of a URL, if it has one.
pub fn plaintext_scheme(url: &str) -> Option<&'static str> {
    let l = url.trim().to_ascii_lowercase();
    if l.starts_with("http://") {
        Some("http")
    } else if l.starts_with("git://") {
        Some("git")
    } else {
        None
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::PreCommit {
        return;
    }
    let Some(repos) = m.value_at(&[Seg::Key("repos".into())]).and_then(Value::as_sequence) else {
        return;
    };
    for (i, r) in repos.iter().enumerate() {
        let Some(url) = r.get("repo").and_then(scalar) else { continue };
        let Some(scheme) = plaintext_scheme(&url) else { continue };
        let route = vec![
            Seg::Key("repos".into()),
            Seg::Index(i),
            Seg::Key("repo".into()),
        ];
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.value_bytes(&route),
                format!(
                    "pre-commit hook repository `{}` is fetched over `{scheme}://`, which anyone on the network path can tamper with; use `https://`",
                    url.trim()
                ),
            )
            .content(format!("pre-commit {}", url.trim())),
        );
    }
}
