//! `kubernetes/sensitive-host-path`: a hostPath volume mounts a sensitive node directory (`/`,
//! `/etc`, `/root`, `/proc`, `/sys`, `/var/run`, kubelet and runtime state…). Container
//! runtime sockets are `kubernetes/docker-socket`. The path table is shared with compose
//! (`common::container`), with Kubernetes' column. The container runtime's log directory
//! mounted read-only (log shippers) is left to `kubernetes/host-path-volume`.

use super::{host_paths, key, pv_host_paths, read_only_log_mount};
use crate::analyzers::common::container::{Platform, is_runtime_socket, sensitive_host_path};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSensitiveHostPath, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for (name, path, range) in host_paths(w) {
            if is_runtime_socket(path)
                || !sensitive_host_path(path, Platform::Kubernetes)
                || read_only_log_mount(w, name, path)
            {
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
    for (o, path, range) in pv_host_paths(m) {
        if is_runtime_socket(path) || !sensitive_host_path(path, Platform::Kubernetes) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                range,
                format!(
                    "{} is the node's `{path}` (hostPath): any pod that claims it mounts it",
                    o.describe()
                ),
            )
            .content(format!("{} {} hostPath {path}", o.kind, o.name)),
        );
    }
}
