//! `github/archived-action`: the used action's repository is archived (no fixes will come) or
//! gone (404: deleted, renamed away, or private — the name may be taken over).

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::used;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubArchivedAction, check);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        let (msg, sev) = if u.facts.missing {
            (
                format!("`{}`: the repository {} does not exist (or is not visible): its name can be registered by anyone", u.text, u.uses.repo),
                Severity::High,
            )
        } else if u.facts.archived == Some(true) {
            (
                format!("`{}`: the repository {} is archived and gets no security fixes", u.text, u.uses.repo),
                Severity::Medium,
            )
        } else {
            continue;
        };
        out.push(
            RawFinding::new(ID, a.m.file, u.bytes.clone(), msg)
                .severity(sev)
                .content(format!("archived {}", u.uses.repo)),
        );
    }
}
