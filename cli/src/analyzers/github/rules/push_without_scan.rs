//! `github/push-without-scan`: a job pushes a container image (docker/podman/buildah/crane/ko
//! push, build-push-action with `push:`) and no image scan (pipeguard, trivy, grype, snyk,
//! docker scout, anchore…) runs before it in the job.

use std::ops::Range;

use crate::analyzers::github::model::Step;
use crate::analyzers::github::reach::{Analysis, map_range};
use crate::analyzers::{Output, ScanContext};
use crate::finding::Finding;
use crate::shell::classify::Kind;

pub const ID: &str = "github/push-without-scan";

const SCAN_ACTIONS: &[&str] = &[
    "aquasecurity/trivy-action",
    "anchore/scan-action",
    "snyk/actions/docker",
    "docker/scout-action",
    "crazy-max/ghaction-container-scan",
    "azure/container-scan",
    "sysdiglabs/scan-action",
    "lacework/lw-scanner-action",
    "neuvector/scan-action",
    "wiz-sec/wizcli-action",
];

fn action_scans(a: &str, step: &Step) -> bool {
    if a.starts_with("pipeguard/") {
        return true;
    }
    if a == "aquasecurity/trivy-action" {
        return step
            .with_value("scan-type")
            .is_none_or(|v| matches!(v.value.trim(), "" | "image"));
    }
    SCAN_ACTIONS.contains(&a)
}

/// Pushing actions: `push:` true or an expression (pushes on some events).
fn action_pushes(a: &str, step: &Step) -> bool {
    let push_on = |k: &str, default: bool| {
        step.with_value(k).map_or(default, |v| {
            v.value.trim() != "false" && !v.value.trim().is_empty()
        })
    };
    match a {
        "docker/build-push-action" | "docker/bake-action" | "int128/kaniko-action" => {
            push_on("push", false)
        }
        "redhat-actions/push-to-registry"
        | "mr-smithers-excellent/docker-build-push"
        | "elgohr/publish-docker-github-action"
        | "aevea/action-kaniko" => true,
        _ => false,
    }
}

pub fn check(a: &Analysis<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, job) in m.jobs.iter().enumerate() {
        let mut scanned = false;
        for (si, step) in job.steps.iter().enumerate() {
            let info = &a.jobs[ji].steps[si];
            let mut push: Option<(Range<usize>, String)> = None;
            if let Some(act) = step.action() {
                if action_scans(&act, step) {
                    scanned = true;
                } else if action_pushes(&act, step) {
                    push = Some((a.step_head(step), act));
                }
            }
            if let (Some(script), Some(run)) = (&info.script, step.run.as_deref()) {
                for act in &info.actions {
                    match act.kind {
                        Kind::ImageScan => scanned = true,
                        Kind::ImagePush if !scanned && push.is_none() => {
                            let r = script.commands[act.command].span.clone();
                            push = Some((map_range(m, &info.run_bytes, run, &r), act.tool.clone()));
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
                Finding::new(
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
