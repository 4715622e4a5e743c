//! `github/script-injection`: an attacker-controlled expression (issue/PR/comment text, branch
//! names, commit messages, env vars set from them) is expanded into a `run:` script or a
//! github-script `script:`, in the file or through a local composite action's input. Passed
//! through `env:` and used as a quoted `$VAR` it is safe.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::analyzers::github::composite;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::OUTSIDER;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::github::taint::Origin;
use crate::finding::{Confidence, RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;
use crate::source::SourceFile;

declare_rule!(RuleId::GithubScriptInjection, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let outsider = r.triggers.iter().find(|t| OUTSIDER.contains(&t.as_str()));
        for (inj, taint) in r.injections() {
            let step = &job.steps[inj.step];
            let mut f = RawFinding::new(
                ID,
                m.file,
                inj.bytes.clone(),
                format!(
                    "`{}` ({}) is expanded into the `{}` script of step `{}`: its text becomes code; pass it through `env:` and use \"$VAR\"",
                    taint.context,
                    taint.why,
                    inj.sink,
                    step.label()
                ),
            )
            .content(format!("{} {} {}", job.id, step.label(), taint.context))
            .property("context", taint.context.clone());
            if taint.origin == Origin::Writer {
                // Only someone who can dispatch, call or push chooses the text.
                out.push(f.severity(Severity::Low).confidence(Confidence::Medium));
                continue;
            }
            match outsider {
                Some(t) => {
                    f = f.related(
                        m.file,
                        a.trigger_bytes(t),
                        format!("`{t}` lets outsiders choose that text"),
                    );
                    // On plain pull_request the attacker already controls the workflow.
                    if !r
                        .triggers
                        .iter()
                        .any(|t| t != "pull_request" && OUTSIDER.contains(&t.as_str()))
                    {
                        f = f.severity(Severity::Medium);
                    }
                }
                None if !r.triggers.is_empty() => f = f.severity(Severity::Medium),
                None => {}
            }
            out.push(f);
        }
    }
}

/// Across files: a workflow passes attacker-controlled text to a local composite action that
/// expands the input into a script; reported in the action, the workflow's `with:` related.
pub fn check_project(files: &[Arc<SourceFile>], out: &mut Output) {
    let mut seen = BTreeSet::new();
    for t in composite::tainted_inputs(files) {
        if !seen.insert((t.action.path.clone(), t.range.start, t.workflow.path.clone())) {
            continue;
        }
        let mut f = RawFinding::new(
            ID,
            t.action,
            t.range.clone(),
            format!(
                "`inputs.{}` is expanded into the script of step `{}`, and `{}` passes `{}` ({}) to it: its text becomes code",
                t.input, t.label, t.workflow.path, t.context, t.why
            ),
        )
        .related(
            t.workflow,
            t.with_bytes.clone(),
            format!("attacker-controlled `{}` passed as `{}`", t.context, t.input),
        )
        .content(format!(
            "{} inputs.{} {}",
            t.action.path, t.input, t.workflow.path
        ))
        .property("context", t.context.clone());
        if let Some(trig) = t.outsider.first() {
            f = f.related(
                t.workflow,
                t.trigger_bytes.clone(),
                format!("`{trig}` lets outsiders choose that text"),
            );
        }
        if !t.outsider.iter().any(|t| t.as_str() != "pull_request") {
            f = f.severity(Severity::Medium);
        }
        out.push(f);
    }
}
