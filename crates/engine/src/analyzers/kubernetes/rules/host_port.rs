//! `kubernetes/host-port`: a container port is bound to a port of the node (`hostPort`). The
//! pod answers on the node's address, outside Service routing and often outside
//! NetworkPolicy, and only one such pod fits on a node. The baseline Pod Security Standard
//! forbids host ports.

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesHostPort, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        // hostNetwork pods use the node's ports anyway: that is `kubernetes/host-namespace`.
        if w.pod_spec.get("hostNetwork").and_then(Node::as_bool) == Some(true) {
            continue;
        }
        for c in &w.containers {
            for p in c.node.get("ports").map(Node::items).unwrap_or_default() {
                let Some(hp) = p.get("hostPort") else {
                    continue;
                };
                let Some(port) = hp.as_i64().filter(|n| *n > 0) else {
                    continue;
                };
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        p.span.clone(),
                        format!("{} binds port {port} of the node (`hostPort`)", who(w, c)),
                    )
                    .content(key(w, Some(c), &format!("hostPort {port}"))),
                );
            }
        }
    }
}
