//! `github/script-injection`: an attacker-controlled expression (issue/PR/comment text, branch
//! names, commit messages, env vars set from them) is expanded into a `run:` script or a
//! github-script `script:`. Passed through `env:` and used as a quoted `$VAR` it is safe.

use crate::analyzers::github::reach::{Analysis, OUTSIDER};
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubScriptInjection, check);

pub fn check(a: &Analysis<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let outsider = r.triggers.iter().find(|t| OUTSIDER.contains(&t.as_str()));
        for inj in &r.injections {
            let step = &job.steps[inj.step];
            let mut f = RawFinding::new(
                ID,
                m.file,
                inj.bytes.clone(),
                format!(
                    "`{}` ({}) is expanded into the `{}` script of step `{}`: its text becomes code; pass it through `env:` and use \"$VAR\"",
                    inj.context,
                    inj.why,
                    inj.sink,
                    step.label()
                ),
            )
            .content(format!("{} {} {}", job.id, step.label(), inj.context))
            .property("context", inj.context.clone());
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
