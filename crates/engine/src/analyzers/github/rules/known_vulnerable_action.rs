//! `github/known-vulnerable-action`: the used version (the tag, or the tag whose commit a SHA pin
//! is, or the pin's `# vX.Y.Z` comment) is inside the affected range of a GitHub security
//! advisory for the action (ecosystem `actions`).

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::used;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::online::{in_range, version};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubKnownVulnerableAction, check);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        let Some(advisories) = &u.facts.advisories else {
            continue;
        };
        // The version in use: a tag by name, else the most precise tag at the pinned commit,
        // else the comment.
        let ver_text = if u.uses.is_sha() {
            let sha = u.uses.git_ref.to_ascii_lowercase();
            u.facts
                .tags
                .as_ref()
                .and_then(|t| {
                    t.iter()
                        .filter(|(_, s)| s.eq_ignore_ascii_case(&sha))
                        .filter_map(|(n, _)| version(n).map(|v| (v.len(), n.clone())))
                        .max()
                        .map(|(_, n)| n)
                })
                .or_else(|| u.comment.clone())
        } else {
            Some(u.uses.git_ref.clone())
        };
        let Some(ver_text) = ver_text else { continue };
        let Some(ver) = version(&ver_text) else { continue };
        // A major-only tag (`v4`) floats: judged as the newest release of that major would be
        // too hopeful, so only exact versions are judged.
        if ver.len() < 2 {
            continue;
        }
        for adv in advisories {
            if !in_range(&ver, &adv.vulnerable_range) {
                continue;
            }
            let fixed = adv
                .first_patched
                .as_deref()
                .map_or("no fixed version yet".to_string(), |v| format!("fixed in {v}"));
            out.push(
                RawFinding::new(
                    ID,
                    a.m.file,
                    u.bytes.clone(),
                    format!(
                        "`{}` ({ver_text}) is affected by {} ({}); {fixed}",
                        u.text, adv.id, adv.summary
                    ),
                )
                .content(format!("{} {} {}", u.uses.repo, ver_text, adv.id))
                .property("advisory", adv.id.clone())
                .property("first_patched", adv.first_patched.clone().unwrap_or_default()),
            );
        }
    }
}
