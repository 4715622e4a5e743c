//! `kubernetes/no-probes`: a long-running container without a `livenessProbe` or a
//! `readinessProbe`. Without liveness a hung process keeps its pod; without readiness traffic
//! reaches a pod that cannot serve. Init containers and the containers of Jobs and CronJobs,
//! which run to completion, are not judged.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesNoProbes, check, persona = Auditor);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        if matches!(w.kind.as_str(), "Job" | "CronJob") {
            continue;
        }
        for c in &w.containers {
            if c.kind != ContainerKind::Container {
                continue;
            }
            let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                .into_iter()
                .filter(|p| c.node.get(p).is_none())
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    c.anchor(),
                    format!("{} has no {}", who(w, c), missing.join(" or ")),
                )
                .content(key(w, Some(c), &format!("no {}", missing.join(",")))),
            );
        }
    }
}
