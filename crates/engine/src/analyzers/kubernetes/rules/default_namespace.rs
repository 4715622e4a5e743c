//! `kubernetes/default-namespace`: a workload is deployed into the `default` namespace, into a
//! system namespace (`kube-system`, `kube-public`, `kube-node-lease`), or names no namespace
//! (it lands wherever the deployer's context points, `default` by default). Namespaces are the
//! boundary of RBAC grants, quotas and Pod Security admission: `default` usually has none of
//! them, and system namespaces are exempt from most policies.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDefaultNamespace, check, persona = Auditor);

/// Kinds that run pods, even when the manifest shows no pod spec.
const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in &m.objects {
        let runs_pods = WORKLOAD_KINDS.contains(&o.kind.as_str())
            || m.workloads.iter().any(|w| std::ptr::eq(w.object, o.node));
        if !runs_pods {
            continue;
        }
        let entry = o.path(&["metadata"]).and_then(|md| md.entry("namespace"));
        let (at, why) = match (entry, o.namespace.as_deref()) {
            (Some(e), Some(ns @ "default")) => {
                (e.span(), format!("is deployed in the `{ns}` namespace"))
            }
            (Some(e), Some(ns @ ("kube-system" | "kube-public" | "kube-node-lease"))) => (
                e.span(),
                format!("is deployed in the system namespace `{ns}`"),
            ),
            (None, _) => (
                o.path(&["metadata"])
                    .and_then(|md| md.entry("name"))
                    .map_or_else(
                        || o.anchor(),
                        crate::analyzers::kubernetes::yaml::Entry::span,
                    ),
                "names no namespace (it lands in the deployer's current one, `default` by default)"
                    .to_string(),
            ),
            _ => continue,
        };
        out.push(
            RawFinding::new(ID, m.file, at, format!("{} {why}", o.describe()))
                .content(format!("{} {} namespace", o.kind, o.name)),
        );
    }
}
