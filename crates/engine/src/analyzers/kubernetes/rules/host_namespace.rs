//! `kubernetes/host-namespace`: `hostNetwork`, `hostPID` or `hostIPC: true` shares the node's
//! network stack, process table or IPC with the pod.

use super::key;
use crate::analyzers::common::container::POD_NAMESPACE_FIELDS;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesHostNamespace, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for (field, _, what) in POD_NAMESPACE_FIELDS {
            let Some(e) = w.pod_spec.entry(field) else {
                continue;
            };
            if e.value.as_bool() == Some(true) {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        e.span(),
                        format!("{} shares {what} (`{field}: true`)", w.describe()),
                    )
                    .content(key(w, None, field)),
                );
            }
        }
    }
}
