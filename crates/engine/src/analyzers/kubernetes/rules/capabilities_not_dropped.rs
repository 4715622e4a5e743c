//! `kubernetes/capabilities-not-dropped`: a container does not drop `ALL` capabilities
//! (`securityContext.capabilities.drop`), as the Pod Security Standards' restricted profile
//! requires. The runtime's default set stays: NET_RAW (ARP and DNS spoofing on the pod
//! network), CHOWN, DAC_OVERRIDE, SETUID/SETGID, MKNOD… The message says when NET_RAW in
//! particular is not dropped.

use super::{key, missing_at, who};
use crate::analyzers::common::container::capability_name;
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesCapabilitiesNotDropped, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let drop: Vec<String> = c
                .sc("capabilities")
                .and_then(|caps| caps.get("drop"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .map(capability_name)
                .collect();
            if drop.iter().any(|d| d == "ALL") {
                continue;
            }
            let net_raw = if drop.iter().any(|d| d == "NET_RAW") {
                ""
            } else {
                " (NET_RAW included)"
            };
            let at = missing_at(c, &["securityContext", "capabilities", "drop"]);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!(
                        "{} does not drop ALL capabilities: it keeps the runtime's default set{net_raw}",
                        who(w, c)
                    ),
                )
                .content(key(w, Some(c), "drop ALL")),
            );
        }
    }
}
