//! `github/impostor-commit`: `uses: owner/repo@<sha>` whose commit is on no branch and no tag of
//! `owner/repo` — a commit from a fork, reachable only through the parent's object store.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::used;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubImpostorCommit, check);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        if !u.uses.is_sha() {
            continue;
        }
        if u.facts.commit_reachable.get(&u.uses.git_ref.to_ascii_lowercase()) == Some(&false) {
            out.push(
                RawFinding::new(
                    ID,
                    a.m.file,
                    u.bytes.clone(),
                    format!(
                        "`{}` pins commit {} that is on no branch and no tag of {}: it may come from a fork (an impostor commit)",
                        u.text, u.uses.git_ref, u.uses.repo
                    ),
                )
                .content(format!("impostor {}@{}", u.uses.repo, u.uses.git_ref)),
            );
        }
    }
}
