//! `kubernetes/cni-without-network-policy`: the cluster's CNI configuration (a CNI config
//! file, or the `*.json`/`*.conflist` data of a ConfigMap) uses only flannel, which does not
//! enforce NetworkPolicy: every policy of the cluster is silently ignored. Canal, Calico,
//! Cilium and other policy engines chained with it do enforce them.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesCniWithoutNetworkPolicy, check);

/// Plugins that enforce NetworkPolicy when chained.
const ENFORCING: &[&str] = &[
    "calico",
    "cilium",
    "canal",
    "weave-net",
    "antrea",
    "kube-router",
    "cilium-cni",
];

/// Plugin types of a CNI configuration given as JSON text or a parsed node.
fn plugin_types_json(v: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = v.get("type").and_then(|t| t.as_str()) {
        out.push(t.to_ascii_lowercase());
    }
    for p in v
        .get("plugins")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(t) = p.get("type").and_then(|t| t.as_str()) {
            out.push(t.to_ascii_lowercase());
        }
    }
    out
}

fn plugin_types_node(n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = n.get("type").and_then(Node::as_str) {
        out.push(t.to_ascii_lowercase());
    }
    for p in n.get("plugins").map(Node::items).unwrap_or_default() {
        if let Some(t) = p.get("type").and_then(Node::as_str) {
            out.push(t.to_ascii_lowercase());
        }
    }
    out
}

fn flannel_only(types: &[String]) -> bool {
    types.iter().any(|t| t == "flannel") && !types.iter().any(|t| ENFORCING.contains(&t.as_str()))
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    // A CNI configuration file (no `kind`, a `cniVersion`).
    for root in &m.roots {
        if root.get("kind").is_some() || root.get("cniVersion").is_none() {
            continue;
        }
        if flannel_only(&plugin_types_node(root)) {
            let at = root
                .get("plugins")
                .and_then(|p| {
                    p.items()
                        .iter()
                        .find(|x| x.get("type").and_then(Node::as_str) == Some("flannel"))
                })
                .and_then(|x| x.entry("type"))
                .map_or_else(|| root.span.start..root.span.start, Entry::span);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    "the CNI configuration uses flannel alone: NetworkPolicies are not enforced"
                        .to_string(),
                )
                .content("cni flannel"),
            );
        }
    }
    for o in m.objects_of(&["ConfigMap"]) {
        for e in o.get("data").map(Node::entries).unwrap_or_default() {
            if !(e.key.ends_with(".json") || e.key.ends_with(".conflist")) {
                continue;
            }
            let Some(text) = e.value.as_str() else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
                continue;
            };
            if v.get("cniVersion").is_none() && v.get("plugins").is_none() {
                continue;
            }
            if flannel_only(&plugin_types_json(&v)) {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.key_span.clone(),
                        format!("{}: the CNI configuration `{}` uses flannel alone: NetworkPolicies are not enforced", o.describe(), e.key),
                    )
                    .content(format!("{} {} {} flannel", o.kind, o.name, e.key)),
                );
            }
        }
    }
}
