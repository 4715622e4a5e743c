//! `github/mutable-ref-in-chain` (`scan --online`): an action pinned by SHA whose own
//! `action.yml` (or an action it uses, to the fetch depth) uses another action by tag or branch:
//! the pin does not pin what actually runs. Reported at the caller's `uses:`, the mutable `uses:`
//! in the fetched file related.

use std::collections::BTreeSet;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::online::{remote_file, used};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::online::{OnlineFacts, UsesRef, uses_of};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubMutableRefInChain, check);

/// Depth of the chain followed (the fetcher's depth).
const MAX_DEPTH: usize = 3;

/// The first use by a mutable ref below `u`: (the file it is in, its byte range, the use).
fn first_mutable(
    facts: &OnlineFacts,
    u: &UsesRef,
    depth: usize,
    seen: &mut BTreeSet<UsesRef>,
) -> Option<(std::sync::Arc<crate::source::SourceFile>, std::ops::Range<usize>, UsesRef)> {
    if depth >= MAX_DEPTH || !seen.insert(u.clone()) {
        return None;
    }
    let file = remote_file(facts.repo(&u.repo)?, u)?;
    for n in uses_of(&file.text) {
        if !n.is_sha() {
            let needle = format!("@{}", n.git_ref);
            let at = file
                .text
                .lines()
                .scan(0usize, |off, l| {
                    let start = *off;
                    *off += l.len() + 1;
                    Some((start, l))
                })
                .find(|(_, l)| l.contains("uses:") && l.to_ascii_lowercase().contains(&n.repo) && l.contains(&needle))
                .map_or(0..0, |(s, l)| s..s + l.len());
            return Some((file.clone(), at, n));
        }
        if let Some(hit) = first_mutable(facts, &n, depth + 1, seen) {
            return Some(hit);
        }
    }
    None
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let Some(facts) = cx.online else { return };
    for u in used(a, facts) {
        if !u.uses.is_sha() {
            continue;
        }
        let mut seen = BTreeSet::new();
        let Some((file, range, n)) = first_mutable(facts, &u.uses, 0, &mut seen) else {
            continue;
        };
        let n_text = if n.path.is_empty() {
            format!("{}@{}", n.repo, n.git_ref)
        } else {
            format!("{}/{}@{}", n.repo, n.path, n.git_ref)
        };
        out.push(
            RawFinding::new(
                ID,
                a.m.file,
                u.bytes.clone(),
                format!(
                    "`{}` is pinned by SHA, but it runs `{n_text}` by a mutable ref: whoever moves that ref changes what this step runs",
                    u.text
                ),
            )
            .related(&file, range, format!("uses `{n_text}`"))
            .content(format!("chain {}@{} {n_text}", u.uses.repo, u.uses.git_ref)),
        );
    }
}
