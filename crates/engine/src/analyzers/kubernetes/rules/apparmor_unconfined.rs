//! `kubernetes/apparmor-unconfined`: a container's AppArmor profile is set to `unconfined`
//! (`securityContext.appArmorProfile.type: Unconfined`, on the container or the pod, or the
//! `container.apparmor.security.beta.kubernetes.io/<name>: unconfined` annotation). The baseline
//! Pod Security Standard forbids it: the runtime's default profile, which blocks mounts and
//! writes to /proc and /sys, is switched off. Without any setting the runtime default applies,
//! which is fine.

use super::{key, who};
use crate::analyzers::kubernetes::model::{ContainerKind, Model};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesApparmorUnconfined, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let field = c
                .sc("appArmorProfile")
                .or_else(|| w.pod_sc("appArmorProfile"))
                .filter(|p| p.get("type").and_then(Node::as_str) == Some("Unconfined"))
                .map(|p| {
                    (
                        p.span.clone(),
                        "appArmorProfile type `Unconfined`".to_string(),
                    )
                });
            let annotation = w
                .annotation(&format!(
                    "container.apparmor.security.beta.kubernetes.io/{}",
                    c.name
                ))
                .filter(|e| e.value.as_str() == Some("unconfined"))
                .map(|e| (e.span(), format!("annotation `{}: unconfined`", e.key)));
            let Some((at, what)) = field.or(annotation) else {
                continue;
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!("{} runs without AppArmor: {what}", who(w, c)),
                )
                .content(key(w, Some(c), "apparmor unconfined")),
            );
        }
    }
}
