//! `kubernetes/sensitive-host-path`: a hostPath volume mounts a sensitive node directory (`/`,
//! `/etc`, `/root`, `/proc`, `/sys`, `/var/run`, kubelet and runtime state…). Container
//! runtime sockets are `kubernetes/docker-socket`.

use super::{docker_socket, host_paths, key};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSensitiveHostPath, check);

/// Directories whose subtree is sensitive as a whole.
const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/lib/modules",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/var/run",
    "/run",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/etcd",
    "/etc/kubernetes",
    "/var/log",
];

fn normalize(p: &str) -> String {
    let t = p.trim().trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.to_string()
    }
}

/// Whether `path` is one of the sensitive directories or inside one. `/var/log` and `/run` are
/// exact-only (their subdirectories are mounted by log shippers and CSI drivers routinely).
pub fn sensitive(path: &str) -> bool {
    let p = normalize(path);
    SENSITIVE.iter().any(|s| {
        p == *s
            || (!matches!(*s, "/" | "/var/log" | "/run" | "/usr" | "/lib" | "/dev")
                && p.strip_prefix(s).is_some_and(|r| r.starts_with('/')))
    })
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for (name, path, range) in host_paths(w) {
            if docker_socket::is_runtime_socket(path) || !sensitive(path) {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    range,
                    format!(
                        "{} mounts the node's `{path}` (hostPath volume `{name}`)",
                        w.describe()
                    ),
                )
                .content(key(w, None, &format!("hostPath {path}"))),
            );
        }
    }
}
