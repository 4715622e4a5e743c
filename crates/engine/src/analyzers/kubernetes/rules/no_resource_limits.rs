//! `kubernetes/no-resource-limits`: a container without CPU or memory limits can starve the
//! node (cgroup limits are what keeps one noisy or hostile pod from taking it down).

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesNoResourceLimits, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            // Ephemeral containers may not set resources at all.
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let limits = c.node.path(&["resources", "limits"]);
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|r| {
                    limits
                        .and_then(|l| l.get(r))
                        .is_none_or(super::super::yaml::Node::is_null)
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let at = c
                .node
                .entry("resources")
                .map_or_else(|| c.anchor(), |e| e.key_span.clone());
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!("{} has no {} limit", who(w, c), missing.join(" or ")),
                )
                .content(key(w, Some(c), &format!("limits {}", missing.join(",")))),
            );
        }
    }
}
