//! `kubernetes/writable-root-fs`: `readOnlyRootFilesystem` is not `true`, so a compromised
//! process can modify binaries and drop tools into the container's filesystem.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesWritableRootFs, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            match c
                .security_context()
                .and_then(|s| s.entry("readOnlyRootFilesystem"))
            {
                Some(e) if e.value.as_bool() == Some(true) => {}
                Some(e) => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.span(),
                        format!("{} has a writable root filesystem", who(w, c)),
                    )
                    .content(key(w, Some(c), "readOnlyRootFilesystem")),
                ),
                None => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        c.anchor(),
                        format!("{} does not set `readOnlyRootFilesystem: true`", who(w, c)),
                    )
                    .content(key(w, Some(c), "readOnlyRootFilesystem unset")),
                ),
            }
        }
    }
}
