//! `compose/sensitive-host-mount`: a bind mount of a sensitive host path — `/`, `/etc`,
//! `/root`, `/home`, `/proc`, `/sys`, `/var/run`, `/dev`, `/boot`, `/var/lib/docker`, SSH and
//! cloud credential directories. Read-only mounts are still reported (they expose secrets such
//! as `/etc/shadow` or SSH keys). The runtime socket is `compose/docker-socket`. The path table
//! is shared with Kubernetes (`common::container`), with compose's column.

use yamlpath::Component;

use crate::analyzers::common::container::{Platform, is_runtime_socket, sensitive_host_path};
use crate::analyzers::compose::model::{Model, bind_mounts};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeSensitiveHostMount, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for mount in bind_mounts(s.value) {
            if is_runtime_socket(&mount.source)
                || !sensitive_host_path(&mount.source, Platform::Compose)
            {
                continue;
            }
            let span = m.span(
                &s.name,
                &[Component::from("volumes"), Component::from(mount.index)],
            );
            let ro = if mount.read_only { " (read-only)" } else { "" };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "service `{}` mounts the host path `{}` at `{}`{ro}",
                        s.name, mount.source, mount.target
                    ),
                )
                .content(format!("{} {}", s.name, mount.source)),
            );
        }
    }
}
