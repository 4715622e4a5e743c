//! `github/secrets-outside-env` (auditor): a secret other than `GITHUB_TOKEN` read by a job that
//! names no `environment:`. Only environment secrets can be put behind protection rules
//! (reviewers, branch restrictions, wait timers); a repository or organisation secret is given
//! to any job of any branch that a writer pushes.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::DocKind;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::GithubSecretsOutsideEnv,
    check,
    persona = Auditor,
    confidence = Medium
);

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::Workflow {
        return;
    }
    // A workflow-level `env:` secret is read by every job: report its place once.
    let mut seen: Vec<std::ops::Range<usize>> = Vec::new();
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if job.environment.is_some() {
            continue;
        }
        for s in &r.secrets {
            let allowed = &cx.config.github.secrets_outside_env_allow;
            if s.name.eq_ignore_ascii_case("GITHUB_TOKEN")
                || allowed.iter().any(|x| x.eq_ignore_ascii_case(&s.name))
                || seen.contains(&s.bytes)
            {
                continue;
            }
            seen.push(s.bytes.clone());
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    s.bytes.clone(),
                    format!(
                        "job `{}` reads `secrets.{}` without an `environment:`: the secret cannot be put behind an environment's protection rules (required reviewers, deployment branches)",
                        job.id, s.name
                    ),
                )
                .content(format!("secret outside environment {} {}", job.id, s.name)),
            );
        }
    }
}
