//! `kubernetes/default-service-account-token`: the pod runs as the namespace's `default`
//! service account with its API token mounted (`automountServiceAccountToken` not false):
//! every such pod carries a credential it does not need.

use super::key;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDefaultServiceAccountToken, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        let spec = w.pod_spec;
        let automount = spec.entry("automountServiceAccountToken");
        if automount.and_then(|e| e.value.as_bool()) == Some(false) {
            continue;
        }
        let sa = spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"))
            .and_then(Node::as_str)
            .unwrap_or("default");
        if sa != "default" && !sa.is_empty() {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                automount.map_or_else(|| w.spec_anchor(), Entry::span),
                format!(
                    "{} mounts the `default` service account's API token (set `automountServiceAccountToken: false` or use a dedicated service account)",
                    w.describe()
                ),
            )
            .content(key(w, None, "default sa token")),
        );
    }
}
