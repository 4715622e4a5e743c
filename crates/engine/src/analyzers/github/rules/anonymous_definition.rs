//! `github/anonymous-definition`: a workflow, action or job without `name:`. No security
//! impact of its own: the run list, required checks and audit logs then show a file path or a
//! job id, which makes a run that changed harder to recognise. Pedantic only.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Seg};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubAnonymousDefinition, check, persona = Pedantic);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let named = |v: Option<&serde_yaml::Value>| {
        v.and_then(crate::analyzers::github::model::scalar)
            .is_some_and(|n| !n.trim().is_empty())
    };
    let root = m.root.as_mapping();
    if !named(root.and_then(|r| r.get("name"))) {
        // Anchored at the first key of the document (the file has no `name:` to point at).
        let first = root
            .and_then(|r| r.keys().next())
            .and_then(crate::analyzers::github::model::scalar)
            .map(|k| m.key_bytes(&vec![Seg::Key(k)]))
            .unwrap_or(0..0);
        let what = if m.kind == DocKind::Action { "action" } else { "workflow" };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                first,
                format!("the {what} has no `name:`: runs and checks show its file path instead"),
            )
            .content(format!("{what} anonymous")),
        );
    }
    if m.kind != DocKind::Workflow {
        return;
    }
    for job in &m.jobs {
        // A reusable-workflow call is shown under the called workflow's job names.
        if job.uses.is_some() || job.name.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.key_bytes(&job.route),
                format!("job `{}` has no `name:`: checks show its id instead", job.id),
            )
            .severity(Severity::Info)
            .confidence(Confidence::High)
            .content(format!("{} anonymous", job.id)),
        );
    }
}
