//! `github/concurrency-limits`: a workflow whose runs are not limited by `concurrency:`, or
//! whose concurrency group does not cancel superseded runs. Every push then starts another
//! full run beside the running ones: wasted runners, and older runs (with older code) can
//! finish after newer ones and publish or deploy over them.

use serde_yaml::Value;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Route, Seg, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubConcurrencyLimits, check, persona = Pedantic);

/// A `concurrency:` that does not say whether superseded runs are cancelled (a bare group
/// name, or a mapping without `cancel-in-progress`). An explicit `false` is a choice.
fn lacks_cancel(v: &Value) -> bool {
    match v.as_mapping() {
        Some(map) => map.get("cancel-in-progress").is_none(),
        None => true,
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::Workflow || m.jobs.is_empty() {
        return;
    }
    // A reusable workflow runs under its caller's concurrency.
    if !m.triggers.is_empty() && m.triggers.iter().all(|t| t.name == "workflow_call") {
        return;
    }
    let top: Route = vec![Seg::Key("concurrency".into())];
    if let Some(c) = m.value_at(&top) {
        if lacks_cancel(c) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.key_bytes(&top),
                    "the workflow's `concurrency:` has no `cancel-in-progress`: a new run waits behind the running one instead of replacing it; set `cancel-in-progress: true` (or `false` if runs must finish)",
                )
                .content("workflow concurrency no-cancel"),
            );
        }
        return;
    }
    let mut missing = Vec::new();
    for job in &m.jobs {
        let route = route_with(&job.route, Seg::Key("concurrency".into()));
        match m.value_at(&route) {
            // A reusable-workflow call: the called workflow limits its own jobs.
            None if job.uses.is_some() => {}
            None => missing.push(job.id.as_str()),
            Some(c) if lacks_cancel(c) => out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.key_bytes(&route),
                    format!(
                        "job `{}` has a `concurrency:` group without `cancel-in-progress`: a new run waits behind the running one instead of replacing it",
                        job.id
                    ),
                )
                .content(format!("{} concurrency no-cancel", job.id)),
            ),
            Some(_) => {}
        }
    }
    if missing.is_empty() {
        return;
    }
    // Anchored at the triggers: the runs they start are what is not limited.
    let at = m
        .triggers
        .first()
        .map(|t| m.key_bytes(&t.route.iter().take(1).cloned().collect()))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| m.key_bytes(&vec![Seg::Key("jobs".into())]));
    let jobs: Vec<String> = missing.iter().take(5).map(|j| format!("`{j}`")).collect();
    let more = if missing.len() > 5 { " …" } else { "" };
    out.push(
        RawFinding::new(
            ID,
            m.file,
            at,
            format!(
                "runs of this workflow are not limited: no `concurrency:` at the workflow level nor in job {}{more}, so every push starts another run beside the running ones; add `concurrency: {{group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}, cancel-in-progress: true}}`",
                jobs.join(", ")
            ),
        )
        .content("workflow concurrency missing"),
    );
}
