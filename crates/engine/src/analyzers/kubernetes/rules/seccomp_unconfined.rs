//! `kubernetes/seccomp-unconfined`: a container runs without a seccomp profile. Kubernetes
//! runs pods `Unconfined` unless a profile is set (`securityContext.seccompProfile.type`
//! `RuntimeDefault` or `Localhost`, on the container or inherited from the pod; or the older
//! `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp…/<name>` annotations).
//! `Unconfined` written out violates the baseline Pod Security Standard; no profile at all
//! violates the restricted one. Without seccomp every syscall is open to a kernel exploit.

use super::{key, who};
use crate::analyzers::kubernetes::model::{Container, ContainerKind, Model, Workload};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSeccompUnconfined, check);

enum Profile {
    Confined,
    /// Explicitly unconfined (or an unknown profile name), at this span.
    Unconfined(std::ops::Range<usize>, String),
    Unset,
}

fn from_type(n: &Node) -> Profile {
    let t = n.get("type").and_then(Node::as_str).unwrap_or_default();
    match t {
        "RuntimeDefault" | "Localhost" => Profile::Confined,
        _ => Profile::Unconfined(n.span.clone(), format!("seccompProfile type `{t}`")),
    }
}

fn from_annotation(e: &crate::analyzers::kubernetes::yaml::Entry) -> Profile {
    let v = e.value.as_str().unwrap_or_default();
    if v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/") {
        Profile::Confined
    } else {
        Profile::Unconfined(e.span(), format!("annotation `{}: {v}`", e.key))
    }
}

fn profile(w: &Workload<'_>, c: &Container<'_>) -> Profile {
    if let Some(p) = c.sc("seccompProfile") {
        return from_type(p);
    }
    if let Some(e) = w.annotation(&format!(
        "container.seccomp.security.alpha.kubernetes.io/{}",
        c.name
    )) {
        return from_annotation(e);
    }
    if let Some(p) = w.pod_sc("seccompProfile") {
        return from_type(p);
    }
    if let Some(e) = w.annotation("seccomp.security.alpha.kubernetes.io/pod") {
        return from_annotation(e);
    }
    Profile::Unset
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            match profile(w, c) {
                Profile::Confined => {}
                Profile::Unconfined(at, what) => out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        at,
                        format!("{} runs without seccomp: {what}", who(w, c)),
                    )
                    .content(key(w, Some(c), "seccomp unconfined"))
                    .severity(Severity::High),
                ),
                Profile::Unset => {
                    // PodSecurityPolicy annotations written on a pod set nothing.
                    let misplaced = ["defaultProfileName", "allowedProfileNames"]
                        .iter()
                        .find_map(|k| {
                            w.annotation(&format!("seccomp.security.alpha.kubernetes.io/{k}"))
                        });
                    let (at, note) = match misplaced {
                        Some(e) => (
                            e.span(),
                            format!(
                                " (`{}` is a PodSecurityPolicy annotation: a pod ignores it)",
                                e.key
                            ),
                        ),
                        None => (c.sc_anchor(), String::new()),
                    };
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            at,
                            format!(
                                "{} sets no seccomp profile (pod or container `seccompProfile: {{type: RuntimeDefault}}`): it runs unconfined{note}",
                                who(w, c)
                            ),
                        )
                        .content(key(w, Some(c), "seccomp unset")),
                    );
                }
            }
        }
    }
}
