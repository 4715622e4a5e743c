//! `kubernetes/removed-api-version`: an object uses an API version that current Kubernetes
//! no longer serves (removed in 1.16, 1.22, 1.25, 1.26 or 1.29): the manifest fails to apply,
//! and a PodSecurityPolicy (policy/v1beta1, removed in 1.25 with no successor of that kind)
//! silently stops enforcing anything once the cluster is upgraded.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesRemovedApiVersion,
    check,
    persona = Pedantic
);

/// (apiVersion, kinds it served that were removed — empty: every kind, removed in, use instead)
const REMOVED: &[(&str, &[&str], &str, &str)] = &[
    (
        "extensions/v1beta1",
        &[],
        "1.16/1.22",
        "apps/v1, networking.k8s.io/v1",
    ),
    ("apps/v1beta1", &[], "1.16", "apps/v1"),
    ("apps/v1beta2", &[], "1.16", "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &[],
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        &[],
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[],
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &[],
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        &[],
        "1.22",
        "scheduling.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        "1.22",
        "storage.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        &[],
        "1.22",
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        &[],
        "1.22",
        "coordination.k8s.io/v1",
    ),
    ("batch/v1beta1", &["CronJob"], "1.25", "batch/v1"),
    (
        "discovery.k8s.io/v1beta1",
        &[],
        "1.25",
        "discovery.k8s.io/v1",
    ),
    ("events.k8s.io/v1beta1", &[], "1.25", "events.k8s.io/v1"),
    (
        "policy/v1beta1",
        &["PodDisruptionBudget", "PodSecurityPolicy"],
        "1.25",
        "policy/v1 (PodSecurityPolicy: Pod Security admission)",
    ),
    ("autoscaling/v2beta1", &[], "1.25", "autoscaling/v2"),
    ("node.k8s.io/v1beta1", &[], "1.25", "node.k8s.io/v1"),
    ("autoscaling/v2beta2", &[], "1.26", "autoscaling/v2"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        &[],
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in &m.objects {
        let Some((_, _, when, instead)) = REMOVED.iter().find(|(v, kinds, _, _)| {
            *v == o.api_version && (kinds.is_empty() || kinds.contains(&o.kind.as_str()))
        }) else {
            continue;
        };
        let at = o
            .node
            .entry("apiVersion")
            .map_or_else(|| o.anchor(), Entry::span);
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!(
                    "{} uses `{}`, removed in Kubernetes {when}: the manifest no longer applies (use {instead})",
                    o.describe(),
                    o.api_version
                ),
            )
            .content(format!("{} {} {}", o.kind, o.name, o.api_version)),
        );
    }
}
