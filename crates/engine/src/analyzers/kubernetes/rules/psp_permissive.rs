//! `kubernetes/psp-permissive`: a PodSecurityPolicy admits what the baseline or restricted Pod
//! Security Standard forbids: privileged pods, privilege escalation (allowed unless set to
//! false), host namespaces, added capabilities, no `requiredDropCapabilities: [ALL]`, root
//! users or groups (`runAsUser`/`supplementalGroups`/`fsGroup` `RunAsAny` or a range from 0),
//! host paths without `allowedHostPaths` or writable ones. PodSecurityPolicy was removed in
//! Kubernetes 1.25; on older clusters it is what decides which pods run.

use crate::analyzers::kubernetes::model::{Model, Object};
use crate::analyzers::kubernetes::yaml::{Entry, Node};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesPspPermissive, check);

fn push(
    m: &Model<'_>,
    o: &Object<'_>,
    at: std::ops::Range<usize>,
    field: &str,
    why: &str,
    sev: Severity,
    out: &mut Output,
) {
    out.push(
        RawFinding::new(
            ID,
            m.file,
            at,
            format!("{} allows {why} (`{field}`)", o.describe()),
        )
        .content(format!("{} {} {field}", o.kind, o.name))
        .severity(sev),
    );
}

fn strings(n: Option<&Node>) -> Vec<&str> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in m.objects_of(&["PodSecurityPolicy"]) {
        let Some(spec_entry) = o.node.entry("spec") else {
            continue;
        };
        let spec = &spec_entry.value;
        let spec_at = spec_entry.key_span.clone();
        let truthy = |k: &str| spec.entry(k).filter(|e| e.value.as_bool() == Some(true));
        if let Some(e) = truthy("privileged") {
            push(
                m,
                o,
                e.span(),
                "privileged",
                "privileged pods",
                Severity::High,
                out,
            );
        }
        match spec.entry("allowPrivilegeEscalation") {
            Some(e) if e.value.as_bool() == Some(false) => {}
            Some(e) => push(
                m,
                o,
                e.span(),
                "allowPrivilegeEscalation",
                "privilege escalation",
                Severity::High,
                out,
            ),
            None => push(
                m,
                o,
                spec_at.clone(),
                "allowPrivilegeEscalation",
                "privilege escalation (not set to false)",
                Severity::High,
                out,
            ),
        }
        for (k, what) in [
            ("hostNetwork", "the node's network namespace"),
            ("hostPID", "the node's process namespace"),
            ("hostIPC", "the node's IPC namespace"),
        ] {
            if let Some(e) = truthy(k) {
                push(
                    m,
                    o,
                    e.span(),
                    k,
                    &format!("sharing {what}"),
                    Severity::High,
                    out,
                );
            }
        }
        if let Some(e) = spec.entry("allowedCapabilities")
            && !strings(Some(&e.value)).is_empty()
        {
            let caps = strings(Some(&e.value)).join(", ");
            push(
                m,
                o,
                e.span(),
                "allowedCapabilities",
                &format!("adding the capabilities {caps}"),
                Severity::High,
                out,
            );
        }
        let drop = spec.entry("requiredDropCapabilities");
        let drops: Vec<String> = strings(drop.map(|e| &e.value))
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !drops.iter().any(|c| c == "ALL") {
            let net_raw = if drops.iter().any(|c| c == "NET_RAW") {
                ""
            } else {
                ", NET_RAW included"
            };
            let at = drop.map_or_else(|| spec_at.clone(), Entry::span);
            push(
                m,
                o,
                at,
                "requiredDropCapabilities",
                &format!("pods that keep the default capabilities (ALL is not dropped{net_raw})"),
                Severity::Medium,
                out,
            );
        }
        for k in ["runAsUser", "supplementalGroups", "fsGroup"] {
            let Some(e) = spec.entry(k) else { continue };
            let rule = e.value.entry("rule");
            let from_zero = e
                .value
                .get("ranges")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|r| r.get("min").and_then(Node::as_i64) == Some(0));
            match rule.and_then(|r| r.value.as_str()) {
                Some("RunAsAny") => push(
                    m,
                    o,
                    rule.map_or_else(|| e.span(), Entry::span),
                    k,
                    "any user or group id, root included",
                    Severity::Medium,
                    out,
                ),
                _ if from_zero => push(
                    m,
                    o,
                    e.key_span.clone(),
                    k,
                    "id ranges starting at 0 (root)",
                    Severity::Medium,
                    out,
                ),
                _ => {}
            }
        }
        let volumes = strings(spec.get("volumes"));
        let host_path_allowed =
            volumes.is_empty() || volumes.iter().any(|v| *v == "*" || *v == "hostPath");
        match spec.entry("allowedHostPaths") {
            None if host_path_allowed => push(
                m,
                o,
                spec_at.clone(),
                "allowedHostPaths",
                "hostPath volumes of any node path (no allowedHostPaths)",
                Severity::High,
                out,
            ),
            None => {}
            Some(e) => {
                for p in e.value.items() {
                    if p.get("readOnly").and_then(Node::as_bool) == Some(true) {
                        continue;
                    }
                    let prefix = p.get("pathPrefix").and_then(Node::as_str).unwrap_or("?");
                    let at = p
                        .entry("readOnly")
                        .map_or_else(|| p.span.clone(), Entry::span);
                    push(
                        m,
                        o,
                        at,
                        "allowedHostPaths",
                        &format!("writable hostPath volumes under `{prefix}`"),
                        Severity::High,
                        out,
                    );
                }
            }
        }
    }
}
