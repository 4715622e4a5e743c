//! `kubernetes/no-security-context`: a pod spec or a container has no `securityContext` at
//! all: every security setting is the runtime's default (root unless the image says
//! otherwise, privilege escalation allowed, writable root filesystem, no seccomp). The
//! specific gaps are other rules' findings; this one says that nobody looked.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesNoSecurityContext,
    check,
    persona = Auditor
);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        if w.pod_spec.get("securityContext").is_none() {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    w.spec_anchor(),
                    format!("{} has no pod securityContext", w.describe()),
                )
                .content(key(w, None, "no pod securityContext")),
            );
        }
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral || c.security_context().is_some() {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    c.anchor(),
                    format!("{} has no securityContext", who(w, c)),
                )
                .content(key(w, Some(c), "no securityContext")),
            );
        }
    }
}
