//! `kubernetes/proc-mount-unmasked`: `securityContext.procMount: Unmasked` (or a
//! PodSecurityPolicy allowing `Unmasked` in `allowedProcMountTypes`): the container sees the
//! node's /proc without the masked and read-only paths (`/proc/kcore`, `/proc/sysrq-trigger`,
//! `/proc/sys`) that keep it from reading kernel memory or reconfiguring the node. The
//! baseline Pod Security Standard allows only `Default`.

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesProcMountUnmasked, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(e) = c.security_context().and_then(|s| s.entry("procMount")) else {
                continue;
            };
            if e.value.as_str() == Some("Unmasked") {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.span(),
                        format!(
                            "{} mounts /proc unmasked (`procMount: Unmasked`)",
                            who(w, c)
                        ),
                    )
                    .content(key(w, Some(c), "procMount Unmasked")),
                );
            }
        }
    }
    for o in m.objects_of(&["PodSecurityPolicy"]) {
        let Some(e) = o.get("spec").and_then(|s| s.entry("allowedProcMountTypes")) else {
            continue;
        };
        if e.value
            .items()
            .iter()
            .filter_map(Node::as_str)
            .any(|t| t == "Unmasked")
        {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    e.span(),
                    format!("{} allows pods to mount /proc unmasked", o.describe()),
                )
                .content(format!(
                    "{} {} allowedProcMountTypes Unmasked",
                    o.kind, o.name
                )),
            );
        }
    }
}
