//! `kubernetes/privilege-escalation`: `allowPrivilegeEscalation` is not `false`. Kubernetes
//! defaults it to true (no `no_new_privs`), so setuid binaries in the image can gain root; a
//! privileged container or one with CAP_SYS_ADMIN always escalates.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesPrivilegeEscalation, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            match c.security_context().and_then(|s| s.entry("allowPrivilegeEscalation")) {
                Some(e) if e.value.as_bool() == Some(false) => {}
                Some(e) => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.span(),
                        format!("{} allows privilege escalation", who(w, c)),
                    )
                    .content(key(w, Some(c), "allowPrivilegeEscalation")),
                ),
                None => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        c.anchor(),
                        format!(
                            "{} does not set `allowPrivilegeEscalation: false` (the default allows setuid escalation)",
                            who(w, c)
                        ),
                    )
                    .content(key(w, Some(c), "allowPrivilegeEscalation unset")),
                ),
            }
        }
    }
}
