//! `kubernetes/low-uid`: a container runs with a user id below 10000 (set on the container or
//! inherited from the pod). Without user namespaces a container uid is the node's uid: a low
//! one is usually a real account on the node (uid 1000 is its first user), so files it can
//! reach through a volume or after an escape are that user's. uid 0 is `kubernetes/run-as-root`.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesLowUid, check, persona = Pedantic);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        // A pod-level runAsUser inherited by several containers is reported once, there.
        let mut pod_level_reported = false;
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let Some(u) = w.effective(c, "runAsUser") else {
                continue;
            };
            let Some(uid) = u.as_i64().filter(|u| (1..10000).contains(u)) else {
                continue;
            };
            let inherited = c.sc("runAsUser").is_none();
            if inherited && pod_level_reported {
                continue;
            }
            pod_level_reported |= inherited;
            let whom = if inherited {
                format!("the containers of {}", w.describe())
            } else {
                who(w, c)
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    u.span.clone(),
                    format!("{whom} run as uid {uid} (below 10000: likely a user of the node)"),
                )
                .content(if inherited {
                    key(w, None, &format!("runAsUser {uid}"))
                } else {
                    key(w, Some(c), &format!("runAsUser {uid}"))
                }),
            );
        }
    }
}
