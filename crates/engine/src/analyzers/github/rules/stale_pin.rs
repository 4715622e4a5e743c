//! `github/stale-pin`: a SHA pin whose version comment does not match it (the tag named in the
//! comment points at another commit), or a SHA that is no tag's commit at all.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::used;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubStalePin, check, persona = Pedantic);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        if !u.uses.is_sha() {
            continue;
        }
        let Some(tags) = &u.facts.tags else { continue };
        // An impostor commit is reported by its own rule.
        let sha = u.uses.git_ref.to_ascii_lowercase();
        if u.facts.commit_reachable.get(&sha) == Some(&false) {
            continue;
        }
        let comment_tag = u
            .comment
            .as_deref()
            .and_then(|c| c.split_whitespace().find(|w| tags.contains_key(*w)));
        let msg = if let Some(t) = comment_tag {
            if tags[t].eq_ignore_ascii_case(&sha) {
                continue;
            }
            format!(
                "`{}`: the comment says {t}, but {t} of {} is commit {}: the pin and its comment disagree",
                u.text, u.uses.repo, tags[t]
            )
        } else if !tags.values().any(|s| s.eq_ignore_ascii_case(&sha)) {
            format!(
                "`{}`: commit {} is no tag's commit of {}: pin a released tag's commit (and name it in a comment)",
                u.text, u.uses.git_ref, u.uses.repo
            )
        } else {
            continue;
        };
        out.push(
            RawFinding::new(ID, a.m.file, u.bytes.clone(), msg)
                .severity(Severity::Low)
                .content(format!("stale {}@{}", u.uses.repo, u.uses.git_ref)),
        );
    }
}
