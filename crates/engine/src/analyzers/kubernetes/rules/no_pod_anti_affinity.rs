//! `kubernetes/no-pod-anti-affinity`: a Deployment, StatefulSet or ReplicaSet with more than one
//! replica and no pod anti-affinity term or topology spread constraint that selects its own
//! pods. The scheduler may then put every replica on one node, and one node failure takes them
//! all down. Selectors are matched against the pod template's labels (`matchLabels`, and
//! `matchExpressions` with `In`, `NotIn`, `Exists`, `DoesNotExist`); a selector that cannot be
//! judged (an unknown operator, a templated value) counts as matching.

use super::{deepest, key};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesNoPodAntiAffinity,
    check,
    persona = Auditor
);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        if !matches!(w.kind.as_str(), "Deployment" | "StatefulSet" | "ReplicaSet") {
            continue;
        }
        // No `replicas` is one replica; a templated count is not judged.
        let Some(replicas) = w.object.path(&["spec", "replicas"]).and_then(Node::as_i64) else {
            continue;
        };
        if replicas < 2 {
            continue;
        }
        let labels = w.pod_meta.and_then(|meta| meta.get("labels"));
        let spreads = w
            .pod_spec
            .get("topologySpreadConstraints")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|t| t.get("labelSelector").is_some_and(|s| selects(s, labels)));
        if spreads {
            continue;
        }
        let anti = w.pod_spec.path(&["affinity", "podAntiAffinity"]);
        let terms: Vec<&Node> = anti
            .map(|a| {
                let required = a
                    .get("requiredDuringSchedulingIgnoredDuringExecution")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter();
                let preferred = a
                    .get("preferredDuringSchedulingIgnoredDuringExecution")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|p| p.get("podAffinityTerm"));
                required.chain(preferred).collect()
            })
            .unwrap_or_default();
        if terms
            .iter()
            .any(|t| t.get("labelSelector").is_some_and(|s| selects(s, labels)))
        {
            continue;
        }
        let (at, msg) = match terms.first() {
            Some(t) => (
                deepest(t, &["labelSelector", "matchLabels"])
                    .or_else(|| deepest(t, &["labelSelector"]))
                    .unwrap_or_else(|| t.span.clone()),
                format!(
                    "{} has {replicas} replicas and its podAntiAffinity selects other pods, not its own: they may all run on one node",
                    w.describe()
                ),
            ),
            None => (
                w.pod_spec
                    .entry("affinity")
                    .map_or_else(|| w.spec_anchor(), |e| e.key_span.clone()),
                format!(
                    "{} has {replicas} replicas and no pod anti-affinity or topology spread constraint: they may all run on one node",
                    w.describe()
                ),
            ),
        };
        out.push(RawFinding::new(ID, m.file, at, msg).content(key(w, None, "no anti-affinity")));
    }
}

/// Whether a label selector selects pods with these labels. A selector that cannot be judged
/// selects (no finding on what is not known).
fn selects(selector: &Node, labels: Option<&Node>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k));
    for e in selector.get("matchLabels").map(Node::entries).unwrap_or_default() {
        let Some(want) = e.value.as_str() else {
            return true;
        };
        if label(&e.key).and_then(Node::as_str) != Some(want) {
            return false;
        }
    }
    for x in selector.get("matchExpressions").map(Node::items).unwrap_or_default() {
        let (Some(k), Some(op)) = (x.get("key").and_then(Node::as_str), x.get("operator").and_then(Node::as_str)) else {
            return true;
        };
        let have = label(k).and_then(Node::as_str);
        let values: Vec<&str> = x
            .get("values")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let ok = match op {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => !have.is_some_and(|h| values.contains(&h)),
            "Exists" => label(k).is_some(),
            "DoesNotExist" => label(k).is_none(),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    true
}
