//! `kubernetes/docker-socket`: a hostPath volume mounts the container runtime's socket
//! (docker, containerd, CRI-O, podman): whoever talks to it starts privileged containers.

use super::{host_paths, key, pv_host_paths};
use crate::analyzers::common::container::is_runtime_socket;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDockerSocket, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for (name, path, range) in host_paths(w) {
            if is_runtime_socket(path) {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        range,
                        format!(
                            "{} mounts the container runtime socket `{path}` (volume `{name}`): root on the node",
                            w.describe()
                        ),
                    )
                    .content(key(w, None, &format!("socket {path}"))),
                );
            }
        }
    }
    for (o, path, range) in pv_host_paths(m) {
        if is_runtime_socket(path) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    range,
                    format!(
                        "{} exposes the container runtime socket `{path}` to any pod that claims it: root on the node",
                        o.describe()
                    ),
                )
                .content(format!("{} {} socket {path}", o.kind, o.name)),
            );
        }
    }
}
