//! `github/self-repository`: `uses: ./…` loads an action (or reusable workflow) of the same
//! repository by its workspace path; `uses: $/…` names it in the workflow's own commit. The
//! workspace form runs whatever an earlier step put at that path, and counts as unpinned for
//! GitHub's "require full-length SHA" policy. Pedantic; regular and high when the job checked
//! out untrusted code on a privileged trigger before the step (the PR's copy of the action runs).

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::uses;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSelfRepository, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for u in uses::sites(m) {
        let Some(path) = u.text.strip_prefix("./") else {
            continue;
        };
        let job = &m.jobs[u.job];
        let r = &a.jobs[u.job];
        let planted = u.step.and_then(|si| {
            if r.privileged.is_empty() || r.fork_guarded {
                return None;
            }
            r.sources.iter().find(|s| s.step < si)
        });
        let what = if u.step.is_some() {
            "the action"
        } else {
            "the reusable workflow"
        };
        let mut f = match planted {
            Some(src) => RawFinding::new(
                ID,
                m.file,
                u.bytes(m),
                format!(
                    "`{}` runs {what} found at that path of the workspace, where job `{}` {} on `{}`: the untrusted copy runs; write `$/{path}` to run the workflow's own",
                    u.text,
                    job.id,
                    src.what,
                    r.privileged.join("`, `")
                ),
            )
            .severity(Severity::High)
            .related(m.file, src.bytes.clone(), "untrusted code enters the workspace"),
            None => {
                let why = if u.step.is_some() {
                    "an earlier step can replace it, and GitHub's SHA-pinning policy cannot cover it"
                } else {
                    "GitHub's SHA-pinning policy cannot cover it"
                };
                RawFinding::new(
                    ID,
                    m.file,
                    u.bytes(m),
                    format!(
                        "`{}` loads {what} by its relative path: {why}; write `$/{path}`",
                        u.text
                    ),
                )
                .persona(Persona::Pedantic)
            }
        };
        f = f.content(format!("self-repository {} {}", job.id, u.text));
        out.push(f);
    }
}
