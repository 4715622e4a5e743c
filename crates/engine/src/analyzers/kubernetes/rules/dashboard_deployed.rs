//! `kubernetes/dashboard-deployed`: a container runs the Kubernetes Dashboard. Its service
//! account is often bound to broad roles, and an exposed dashboard has been the way into
//! clusters (the 2018 Tesla cryptomining incident): deploy it only with its own restricted
//! account, behind authentication, or use kubectl instead.

use super::{key, who};
use crate::analyzers::common::image::ImageRef;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDashboardDeployed, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(img) = c.node.get("image") else {
                continue;
            };
            let Some(r) = img.as_str().and_then(ImageRef::split) else {
                continue;
            };
            let repo = r.repository.to_ascii_lowercase();
            let last = repo.rsplit('/').next().unwrap_or(&repo);
            let dashboard = last.starts_with("kubernetes-dashboard")
                || repo.starts_with("kubernetesui/")
                || last == "kubernetesui"
                || (repo.starts_with("kubernetesui") && last == "dashboard");
            if !dashboard || last.contains("metrics-scraper") {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    img.span.clone(),
                    format!("{} runs the Kubernetes Dashboard", who(w, c)),
                )
                .content(key(w, Some(c), "dashboard")),
            );
        }
    }
}
