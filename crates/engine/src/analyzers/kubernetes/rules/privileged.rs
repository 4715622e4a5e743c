//! `kubernetes/privileged`: a container with `securityContext.privileged: true` has every
//! capability and every host device — root on the node.

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesPrivileged, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(e) = c.security_context().and_then(|s| s.entry("privileged")) else {
                continue;
            };
            if e.value.as_bool() == Some(true) {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.span(),
                        format!("{} runs privileged: full access to the node", who(w, c)),
                    )
                    .content(key(w, Some(c), "privileged")),
                );
            }
        }
    }
}
