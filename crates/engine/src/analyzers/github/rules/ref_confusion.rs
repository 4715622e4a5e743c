//! `github/ref-confusion`: `uses: owner/repo@ref` where `ref` names both a branch and a tag of the
//! repository: which one GitHub runs is not what a reader expects, and a branch moves.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::used;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubRefConfusion, check);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        if u.uses.is_sha() {
            continue;
        }
        let (Some(tags), Some(branches)) = (&u.facts.tags, &u.facts.branches) else {
            continue;
        };
        if tags.contains_key(&u.uses.git_ref) && branches.contains_key(&u.uses.git_ref) {
            out.push(
                RawFinding::new(
                    ID,
                    a.m.file,
                    u.bytes.clone(),
                    format!(
                        "`{}`: `{}` is both a tag and a branch of {}; whoever can push to the branch can change what runs",
                        u.text, u.uses.git_ref, u.uses.repo
                    ),
                )
                .content(format!("ref-confusion {}@{}", u.uses.repo, u.uses.git_ref)),
            );
        }
    }
}
