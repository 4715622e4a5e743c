//! `kubernetes/host-path-volume`: a pod (or a PersistentVolume) uses a hostPath volume outside
//! `kube-system`. The baseline Pod Security Standard forbids hostPath volumes: the pod reads
//! and writes the node's filesystem outside any quota, and a writable host directory is a
//! stepping stone to the node (symlink tricks, planted binaries). Sensitive directories and
//! runtime sockets are reported by `kubernetes/sensitive-host-path` and
//! `kubernetes/docker-socket`; this rule reports the rest.

use super::{host_paths, key, pv_host_paths, read_only_log_mount, system_namespace};
use crate::analyzers::common::container::{Platform, is_runtime_socket, sensitive_host_path};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesHostPathVolume, check, persona = Pedantic);

fn other(path: &str) -> bool {
    !is_runtime_socket(path) && !sensitive_host_path(path, Platform::Kubernetes)
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        if system_namespace(w.namespace.as_deref()) {
            continue;
        }
        for (name, path, range) in host_paths(w) {
            if !other(path) && !read_only_log_mount(w, name, path) {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    range,
                    format!(
                        "{} mounts the node directory `{path}` (hostPath volume `{name}`)",
                        w.describe()
                    ),
                )
                .content(key(w, None, &format!("hostPath {path}"))),
            );
        }
    }
    for (o, path, range) in pv_host_paths(m) {
        if !other(path) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                range,
                format!("{} is the node directory `{path}` (hostPath)", o.describe()),
            )
            .content(format!("{} {} hostPath {path}", o.kind, o.name)),
        );
    }
}
