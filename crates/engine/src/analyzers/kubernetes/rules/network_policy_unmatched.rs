//! `kubernetes/network-policy-unmatched`: a NetworkPolicy whose `podSelector` matches no
//! workload of its namespace in the same file (a renamed label, a copied policy): it protects
//! nothing, while its presence suggests the workloads are isolated.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesNetworkPolicyUnmatched,
    check,
    persona = Pedantic
);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in m.objects_of(&["NetworkPolicy"]) {
        let Some(sel) = o.path(&["spec", "podSelector"]) else {
            continue;
        };
        let labels = sel
            .get("matchLabels")
            .map(Node::entries)
            .unwrap_or_default();
        if labels.is_empty() || sel.get("matchExpressions").is_some() {
            continue;
        }
        let same_ns: Vec<_> = m
            .workloads
            .iter()
            .filter(|w| {
                w.namespace.as_deref().unwrap_or("default")
                    == o.namespace.as_deref().unwrap_or("default")
            })
            .collect();
        if same_ns.is_empty() {
            continue;
        }
        let matched = same_ns.iter().any(|w| {
            labels
                .iter()
                .all(|l| w.label(&l.key).and_then(Node::as_str) == l.value.as_str())
        });
        if matched {
            continue;
        }
        let want: Vec<String> = labels
            .iter()
            .map(|l| format!("{}={}", l.key, l.value.as_str().unwrap_or("?")))
            .collect();
        let at = labels.first().map_or_else(
            || o.anchor(),
            |f| f.key_span.start..labels.last().map_or(f.span().end, |l| l.span().end),
        );
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!("{} selects pods labelled {} but no workload of its namespace in this file has them: it protects nothing", o.describe(), want.join(", ")),
            )
            .content(format!("{} {} unmatched", o.kind, o.name)),
        );
    }
}
