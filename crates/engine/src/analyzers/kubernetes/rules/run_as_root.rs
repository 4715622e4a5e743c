//! `kubernetes/run-as-root`: a container runs as uid 0 — `runAsUser: 0` (container level, else
//! inherited from the pod's securityContext), or neither `runAsNonRoot: true` nor a non-zero
//! `runAsUser` anywhere, so the image's USER (often root) decides.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesRunAsRoot, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let user = w.effective(c, "runAsUser");
            if let Some(u) = user.filter(|u| u.as_i64() == Some(0)) {
                let inherited = c.sc("runAsUser").is_none();
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        u.span.clone(),
                        format!(
                            "{} runs as uid 0{}",
                            who(w, c),
                            if inherited {
                                " (from the pod's securityContext)"
                            } else {
                                ""
                            }
                        ),
                    )
                    .content(key(w, Some(c), "runAsUser 0"))
                    .severity(Severity::High),
                );
                continue;
            }
            if user.and_then(Node::as_i64).is_some_and(|u| u > 0) {
                continue;
            }
            match w.effective(c, "runAsNonRoot") {
                Some(n) if n.as_bool() == Some(true) => {}
                Some(n) => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        n.span.clone(),
                        format!("{} sets runAsNonRoot to false and no non-root runAsUser", who(w, c)),
                    )
                    .content(key(w, Some(c), "runAsNonRoot false")),
                ),
                None => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        c.sc_anchor(),
                        format!(
                            "{} may run as root: no `runAsNonRoot: true` or non-zero `runAsUser` (pod or container)",
                            who(w, c)
                        ),
                    )
                    .content(key(w, Some(c), "runAsNonRoot unset")),
                ),
            }
        }
    }
}
