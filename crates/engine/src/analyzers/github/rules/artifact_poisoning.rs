//! `github/artifact-poisoning`: a privileged job downloads artifacts of the triggering run (which
//! a fork PR can produce) and then unpacks, reads or executes them.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::SourceKind;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubArtifactPoisoning, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if r.privileged.is_empty() {
            continue;
        }
        for (si, src) in r.sources.iter().enumerate() {
            if src.kind != SourceKind::Artifact {
                continue;
            }
            let Some(first) = r.execs.iter().find(|e| e.source == si) else {
                continue;
            };
            let trigger = &r.privileged[0];
            let msg = format!(
                "job `{}` ({trigger}) {}, and step `{}` {}: a pull request controls those files, and this job has secrets and a write token",
                job.id,
                src.what,
                job.steps[first.step].label(),
                first.what
            );
            out.push(
                RawFinding::new(ID, m.file, src.bytes.clone(), msg)
                    .related(
                        m.file,
                        a.trigger_bytes(trigger),
                        format!("privileged trigger `{trigger}`"),
                    )
                    .related(
                        m.file,
                        first.bytes.clone(),
                        format!("uses the artifact: {}", first.what),
                    )
                    .content(format!("{} {}", job.id, src.what))
                    .property("job", job.id.clone()),
            );
        }
    }
}
