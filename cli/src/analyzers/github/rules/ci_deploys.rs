//! `github/ci-deploys`: a CI job changes a running environment directly (kubectl apply / set
//! image, helm upgrade, aws ecs/eks/lambda updates, az/gcloud deploys, terraform apply, or a
//! deploy action). Deployment belongs to an orchestrator that verifies what it deploys.

use std::ops::Range;

use crate::analyzers::github::reach::{Analysis, map_range};
use crate::analyzers::{Output, ScanContext};
use crate::finding::Finding;
use crate::shell::classify::Kind;

pub const ID: &str = "github/ci-deploys";

const DEPLOY_ACTIONS: &[&str] = &[
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "azure/functions-action",
    "azure/arm-deploy",
    "azure/aks-set-context",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions",
    "cloudflare/wrangler-action",
    "amondnet/vercel-action",
    "akhileshns/heroku-deploy",
    "deliverybot/helm",
    "wahyd4/kubectl-helm-action",
    "steebchen/kubectl",
    "appleboy/ssh-action",
    "superfly/flyctl-actions",
    "hashicorp/terraform-github-actions",
    "dflook/terraform-apply",
    "pulumi/actions",
];

pub fn check(a: &Analysis<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, job) in m.jobs.iter().enumerate() {
        for (si, step) in job.steps.iter().enumerate() {
            let info = &a.jobs[ji].steps[si];
            let mut hit: Option<(Range<usize>, String)> = None;
            if let Some(act) = step.action()
                && DEPLOY_ACTIONS.contains(&act.as_str())
            {
                hit = Some((a.step_head(step), act));
            }
            if let (Some(script), Some(run)) = (&info.script, step.run.as_deref())
                && hit.is_none()
                && let Some(act) = info.actions.iter().find(|x| x.kind == Kind::Deploy)
            {
                let r = script.commands[act.command].span.clone();
                hit = Some((map_range(m, &info.run_bytes, run, &r), act.tool.clone()));
            }
            let Some((bytes, tool)) = hit else { continue };
            let env = job
                .environment
                .as_deref()
                .map(|e| format!(" (environment `{e}`)"))
                .unwrap_or_default();
            out.push(
                Finding::new(
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
