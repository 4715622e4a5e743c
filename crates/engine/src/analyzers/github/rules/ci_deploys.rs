//! `github/ci-deploys`: a CI job changes a running environment directly (kubectl apply / set
//! image, helm upgrade, aws ecs/eks/lambda updates, az/gcloud deploys, terraform apply, or a
//! deploy action). Deployment belongs to an orchestrator that verifies what it deploys.

use std::ops::Range;

use crate::analyzers::github::actions;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::classify::Kind;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubCiDeploys, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, job) in m.jobs.iter().enumerate() {
        for (si, step) in job.steps.iter().enumerate() {
            let info = &a.jobs[ji].steps[si];
            let mut hit: Option<(Range<usize>, String)> = None;
            if let Some(act) = step.action()
                && actions::deploys(&act)
            {
                hit = Some((a.step_head(step), act));
            }
            if let (Some(script), Some(_)) = (&info.script, step.run.as_deref())
                && hit.is_none()
                && let Some(act) = info.actions.iter().find(|x| x.kind == Kind::Deploy)
            {
                let r = script.commands[act.command].span.clone();
                hit = Some((a.run_range(ji, si, &r), act.tool.clone()));
            }
            if let (Some(script), Some(_)) = (&info.script, step.run.as_deref())
                && hit.is_none()
                && let Some((cmd, tool)) = script
                    .commands
                    .iter()
                    .find_map(|c| extra_deploy(c).map(|t| (c, t)))
            {
                hit = Some((a.run_range(ji, si, &cmd.span), tool));
            }
            let Some((bytes, tool)) = hit else { continue };
            let env = job
                .environment
                .as_deref()
                .map(|e| format!(" (environment `{e}`)"))
                .unwrap_or_default();
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "job `{}`{env} deploys directly from CI ({tool}): the CI job holds production credentials and anything that compromises the build deploys; hand a signed artifact to a deployment orchestrator instead",
                        job.id
                    ),
                )
                .content(format!("{} {tool}", job.id))
                .property("tool", tool),
            );
        }
    }
}

/// Hosting CLIs the shared classifier does not know (`wrangler pages deploy`, `firebase deploy`),
/// also through `npx`.
fn extra_deploy(cmd: &pipeguard_shell::Command) -> Option<String> {
    let mut words: Vec<&str> = cmd.effective().iter().map(|w| w.text.as_str()).collect();
    if words
        .first()
        .is_some_and(|w| matches!(pipeguard_shell::basename(w), "npx" | "pnpx" | "bunx"))
    {
        words.remove(0);
        words.retain(|w| !w.starts_with('-'));
    }
    let prog = pipeguard_shell::basename(words.first()?);
    let ops: Vec<&str> = words[1..]
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let deploys = match prog {
        "wrangler" => {
            matches!(ops.first(), Some(&"deploy" | &"publish"))
                || ops.starts_with(&["pages", "deploy"])
        }
        "firebase" => ops.first() == Some(&"deploy"),
        "surge" => true,
        _ => false,
    };
    deploys.then(|| {
        format!(
            "{prog} {}",
            ops.iter().take(2).copied().collect::<Vec<_>>().join(" ")
        )
    })
}
