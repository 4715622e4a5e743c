//! `compose/docker-socket`: the Docker (or containerd/Podman) socket mounted into a container.
//! Whoever talks to the socket can start a privileged container on the host: it is root on the
//! host, read-only mount or not.

use yamlpath::Component;

use crate::analyzers::common::container::is_runtime_socket;
use crate::analyzers::compose::model::{Model, bind_mounts};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeDockerSocket, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for mount in bind_mounts(s.value) {
            if !is_runtime_socket(&mount.source) {
                continue;
            }
            let span = m.span(
                &s.name,
                &[Component::from("volumes"), Component::from(mount.index)],
            );
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "service `{}` mounts the container runtime socket `{}`: that is root on the host",
                        s.name, mount.source
                    ),
                )
                .content(format!("{} {}", s.name, mount.source)),
            );
        }
    }
}
