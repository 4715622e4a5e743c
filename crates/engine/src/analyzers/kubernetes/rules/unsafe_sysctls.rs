//! `kubernetes/unsafe-sysctls`: a pod sets a sysctl outside the namespaced "safe" set of the
//! baseline Pod Security Standard (`kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`,
//! `net.ipv4.ip_unprivileged_port_start`, `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
//! `net.ipv4.ip_local_reserved_ports`, `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`,
//! `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`), or a PodSecurityPolicy
//! allows unsafe sysctls. Unsafe sysctls are not isolated per pod: they change the node's
//! kernel for every pod on it, or let one pod exhaust kernel resources.

use super::key;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesUnsafeSysctls, check);

const SAFE: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// `net/ipv4/tcp_syncookies` is the same sysctl as `net.ipv4.tcp_syncookies`.
pub fn safe(name: &str) -> bool {
    let n = name.trim().replace('/', ".");
    SAFE.contains(&n.as_str())
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        let sysctls = w
            .pod_spec
            .path(&["securityContext", "sysctls"])
            .map(Node::items)
            .unwrap_or_default();
        for s in sysctls {
            let Some(e) = s.entry("name") else { continue };
            let Some(name) = e.value.as_str() else {
                continue;
            };
            if safe(name) {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    e.span(),
                    format!(
                        "{} sets the unsafe sysctl `{name}`: it is not isolated per pod",
                        w.describe()
                    ),
                )
                .content(key(w, None, &format!("sysctl {name}"))),
            );
        }
    }
    for o in m.objects_of(&["PodSecurityPolicy"]) {
        let Some(e) = o.get("spec").and_then(|s| s.entry("allowedUnsafeSysctls")) else {
            continue;
        };
        let list: Vec<&str> = e.value.items().iter().filter_map(Node::as_str).collect();
        if list.is_empty() {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                e.span(),
                format!(
                    "{} allows the unsafe sysctls {}",
                    o.describe(),
                    list.join(", ")
                ),
            )
            .content(format!("{} {} allowedUnsafeSysctls", o.kind, o.name)),
        );
    }
}
