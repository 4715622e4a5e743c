//! `github/push-without-scan`: a job pushes a container image (docker/podman/buildah/crane/ko
//! push, build-push-action with `push:`) and no image scan (pipeguard, trivy, grype, snyk,
//! docker scout, anchore…) runs before it in the job.

use std::ops::Range;

use crate::analyzers::github::actions;
use crate::analyzers::github::model::Step;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::classify::Kind;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubPushWithoutScan, check);

fn input(step: &Step) -> impl Fn(&str) -> Option<String> + '_ {
    |k| step.with_value(k).map(|v| v.value.clone())
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, job) in m.jobs.iter().enumerate() {
        let mut scanned = false;
        for (si, step) in job.steps.iter().enumerate() {
            let info = &a.jobs[ji].steps[si];
            let mut push: Option<(Range<usize>, String)> = None;
            if let Some(act) = step.action() {
                if actions::scans_images(&act, input(step)) {
                    scanned = true;
                } else if actions::pushes_images(&act, input(step)) {
                    push = Some((a.step_head(step), act));
                }
            }
            if let (Some(script), Some(_)) = (&info.script, step.run.as_deref()) {
                for act in &info.actions {
                    match act.kind {
                        Kind::ImageScan => scanned = true,
                        Kind::ImagePush if !scanned && push.is_none() => {
                            let r = script.commands[act.command].span.clone();
                            push = Some((a.run_range(ji, si, &r), act.tool.clone()));
                        }
                        _ => {}
                    }
                }
            }
            let Some((bytes, tool)) = push else { continue };
            if scanned {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "job `{}` pushes an image ({tool}) without scanning it first: add an image scan (pipeguard, trivy, grype…) before the push and fail on findings",
                        job.id
                    ),
                )
                .content(format!("{} {tool}", job.id))
                .property("tool", tool),
            );
        }
    }
}
