//! `kubernetes/sensitivity-unpinned`: a workload labelled with a sensitivity level (label key
//! configurable, default `sensitivity`) that nothing keeps on nodes of the same level — no
//! `nodeSelector` with the same label and value, and no required node affinity whose every
//! term admits only that value. A sensitive workload scheduled next to untrusted ones shares
//! their kernel.

use super::key;
use crate::analyzers::kubernetes::model::{Model, Workload};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSensitivityUnpinned, check);

/// Every required node-affinity term pins `label` to exactly `level` (terms are ORed).
fn affinity_pins(w: &Workload<'_>, label: &str, level: &str) -> bool {
    let terms = w
        .pod_spec
        .path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .map(Node::items)
        .unwrap_or_default();
    !terms.is_empty()
        && terms.iter().all(|t| {
            t.get("matchExpressions")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|e| {
                    let values = e.get("values").map(Node::items).unwrap_or_default();
                    e.get("key").and_then(Node::as_str) == Some(label)
                        && e.get("operator").and_then(Node::as_str) == Some("In")
                        && !values.is_empty()
                        && values.iter().all(|v| v.as_str() == Some(level))
                })
        })
}

pub fn check(m: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    let label = cx.config.kubernetes.sensitivity_label.as_str();
    for w in &m.workloads {
        let Some(level_node) = w.label(label) else {
            continue;
        };
        let Some(level) = level_node.as_str().filter(|l| !l.trim().is_empty()) else {
            continue;
        };
        let selector = w.pod_spec.get("nodeSelector").and_then(|s| s.entry(label));
        if selector.is_some_and(|s| s.value.as_str() == Some(level))
            || affinity_pins(w, label, level)
        {
            continue;
        }
        let mut f = match selector {
            Some(s) => RawFinding::new(
                ID,
                m.file,
                level_node.span.clone(),
                format!(
                    "{} is labelled {label}={level} but its nodeSelector sends it to {label}={} nodes",
                    w.describe(),
                    s.value.as_str().unwrap_or("?")
                ),
            )
            .related(m.file, s.span(), "the nodeSelector"),
            None => RawFinding::new(
                ID,
                m.file,
                level_node.span.clone(),
                format!(
                    "{} is labelled {label}={level} but no nodeSelector or required node affinity keeps it on {label}={level} nodes",
                    w.describe()
                ),
            ),
        };
        f = f.content(key(w, None, &format!("{label}={level}")));
        out.push(f);
    }
}
