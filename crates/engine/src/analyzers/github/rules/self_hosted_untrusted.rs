//! `github/self-hosted-untrusted`: a self-hosted runner on a trigger that fork pull requests
//! (or any GitHub user) can fire. The runner persists between jobs and sits inside your network.

use crate::analyzers::github::model::{Job, Model, Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::OUTSIDER;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSelfHostedUntrusted, check);

/// Why the job runs on a self-hosted runner: a `self-hosted` label, a runner group, or a matrix
/// value (after `include:`) that puts `self-hosted` into `runs-on`.
fn self_hosted(m: &Model<'_>, job: &Job) -> Option<String> {
    if job.runs_on.iter().any(|l| l.eq_ignore_ascii_case("self-hosted")) {
        return Some("the `self-hosted` label".into());
    }
    if let Some(g) = &job.runner_group {
        return Some(format!("the runner group `{g}`"));
    }
    for l in &job.runs_on {
        for s in crate::analyzers::github::expr::find(l, 0) {
            let body = l[s.body.clone()].trim();
            if let Some(k) = body.strip_prefix("matrix.")
                && m.matrix_values(job, k).iter().any(|v| v.eq_ignore_ascii_case("self-hosted"))
            {
                return Some(format!("`self-hosted` from `matrix.{k}`"));
            }
        }
    }
    None
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let Some(how) = self_hosted(m, job) else { continue };
        let runs_on = m.value_bytes(&route_with(&job.route, Seg::Key("runs-on".into())));
        let outsider = r.triggers.iter().find(|t| OUTSIDER.contains(&t.as_str()));
        match outsider {
            Some(t) if !r.fork_guarded && job.runner_group.is_none() => out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    runs_on,
                    format!(
                        "job `{}` runs on a self-hosted runner ({how}) and `{t}` lets anyone with a fork trigger it: their code runs on your machine, which keeps state between jobs",
                        job.id
                    ),
                )
                .related(m.file, a.trigger_bytes(t), format!("`{t}` reachable from forks"))
                .content(format!("{} self-hosted {t}", job.id))
                .property("job", job.id.clone()),
            ),
            _ if cx.persona() >= Persona::Auditor => out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    runs_on,
                    format!(
                        "job `{}` runs on a self-hosted runner ({how}): make sure only trusted workflows reach it and that it is ephemeral",
                        job.id
                    ),
                )
                .severity(Severity::Low)
                .persona(Persona::Auditor)
                .confidence(Confidence::Medium)
                .content(format!("{} self-hosted", job.id))
                .property("job", job.id.clone()),
            ),
            _ => {}
        }
    }
}
