//! `github/self-hosted-untrusted`: a self-hosted runner on a trigger that fork pull requests
//! (or any GitHub user) can fire. The runner persists between jobs and sits inside your network.

use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::OUTSIDER;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSelfHostedUntrusted, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if r.fork_guarded {
            continue;
        }
        let Some(t) = r.triggers.iter().find(|t| OUTSIDER.contains(&t.as_str())) else {
            continue;
        };
        let direct = job
            .runs_on
            .iter()
            .any(|l| l.eq_ignore_ascii_case("self-hosted"));
        let via_matrix = job.runs_on.iter().any(|l| l.contains("matrix."))
            && job
                .matrix_values
                .iter()
                .any(|l| l.eq_ignore_ascii_case("self-hosted"));
        if !direct && !via_matrix {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.value_bytes(&route_with(&job.route, Seg::Key("runs-on".into()))),
                format!(
                    "job `{}` runs on a self-hosted runner and `{t}` lets anyone with a fork trigger it: their code runs on your machine, which keeps state between jobs",
                    job.id
                ),
            )
            .related(m.file, a.trigger_bytes(t), format!("`{t}` reachable from forks"))
            .content(format!("{} self-hosted {t}", job.id))
            .property("job", job.id.clone()),
        );
    }
}
