//! `github/unpinned-action`: a `uses:` of another repository's action or reusable workflow not
//! pinned to a full commit SHA, or a `docker://` image without a digest. Same-repository (`./`)
//! actions and owners in `github.trusted_action_owners` are exempt; GitHub's own `actions/*` and
//! `github/*` are reported at low severity.

use github_actions_models::common::Uses;

use crate::analyzers::github::model::{Route, Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnpinnedAction, check);

fn is_sha(r: &str) -> bool {
    r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let trusted = &cx.config.github.trusted_action_owners;
    let mut sites: Vec<(&str, Route)> = Vec::new();
    for job in &m.jobs {
        if let Some(u) = &job.uses {
            sites.push((u, route_with(&job.route, Seg::Key("uses".into()))));
        }
        for s in &job.steps {
            if let Some(u) = &s.uses {
                sites.push((u, route_with(&s.route, Seg::Key("uses".into()))));
            }
        }
    }
    for (raw, route) in sites {
        let raw = raw.trim();
        if raw.contains("${{") {
            continue;
        }
        let (msg, sev) = match Uses::parse(raw) {
            Ok(Uses::Local(_)) => continue,
            Ok(Uses::Docker(d)) => {
                if d.hash().is_some() {
                    continue;
                }
                (
                    format!("`{raw}` pulls an image by tag: pin it by digest (`@sha256:…`)"),
                    None,
                )
            }
            Ok(Uses::Repository(r)) => {
                if is_sha(r.git_ref()) {
                    continue;
                }
                let owner = r.owner().to_ascii_lowercase();
                if trusted.iter().any(|t| t.eq_ignore_ascii_case(&owner)) {
                    continue;
                }
                let sev = matches!(owner.as_str(), "actions" | "github").then_some(Severity::Low);
                (
                    format!(
                        "`{raw}` is pinned to `{}`, a movable ref: whoever controls `{}` can change the code this job runs; pin a full commit SHA (keep the tag in a comment)",
                        r.git_ref(),
                        r.owner()
                    ),
                    sev,
                )
            }
            Err(_) => (
                format!("`{raw}` has no ref: it runs whatever the default branch holds"),
                None,
            ),
        };
        let mut f = RawFinding::new(ID, m.file, m.value_bytes(&route), msg).content(raw);
        if let Some(s) = sev {
            f = f.severity(s);
        }
        out.push(f);
    }
}
