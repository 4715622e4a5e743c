//! `kubernetes/no-resource-requests`: a container without a CPU or memory request. The
//! scheduler then places it as if it needed nothing: nodes are overcommitted and, under
//! pressure, such pods are the first evicted — one busy neighbour takes the service down.

use super::{key, missing_at, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesNoResourceRequests,
    check,
    persona = Pedantic
);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let set = |of: &str, r: &str| {
                c.node
                    .path(&["resources", of])
                    .and_then(|l| l.get(r))
                    .is_some_and(|v| !v.is_null())
            };
            // A limit without a request is also the request: the API server copies it.
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|r| !set("requests", r) && !set("limits", r))
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    missing_at(c, &["resources", "requests"]),
                    format!("{} has no {} request", who(w, c), missing.join(" or ")),
                )
                .content(key(
                    w,
                    Some(c),
                    &format!("requests {}", missing.join(",")),
                )),
            );
        }
    }
}
