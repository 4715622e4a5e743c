//! `kubernetes/rbac-default-service-account-binding`: a binding grants a role to a namespace's
//! `default` service account. Every pod that does not name a service account runs as
//! `default`, so the role goes to all of them, including pods added later for other purposes.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::rbac::bindings;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesRbacDefaultServiceAccountBinding, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for b in bindings(m) {
        for s in &b.subjects {
            if s.kind != "ServiceAccount" || s.name != "default" {
                continue;
            }
            let at = s
                .node
                .entry("name")
                .map_or_else(|| s.node.span.clone(), super::super::yaml::Entry::span);
            let ns = s
                .namespace
                .as_deref()
                .or(b.object.namespace.as_deref())
                .unwrap_or("default");
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!(
                        "{} grants {} `{}` to the `default` service account of namespace `{ns}`: every pod there without its own service account gets it",
                        b.object.describe(),
                        b.role_kind,
                        b.role_name
                    ),
                )
                .content(format!("{} {} default sa {ns}", b.object.kind, b.object.name)),
            );
        }
    }
}
