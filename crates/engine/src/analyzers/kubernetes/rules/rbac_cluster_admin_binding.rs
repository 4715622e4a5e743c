//! `kubernetes/rbac-cluster-admin-binding`: a ClusterRoleBinding or RoleBinding grants the
//! `cluster-admin` ClusterRole: its subjects (and, for a service account, every pod that runs
//! as it) control the whole cluster. `system:masters` already has it; that binding is left out.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::rbac::bindings;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesRbacClusterAdminBinding, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for b in bindings(m) {
        if b.role_kind != "ClusterRole" || b.role_name != "cluster-admin" {
            continue;
        }
        let subjects: Vec<String> = b
            .subjects
            .iter()
            .filter(|s| !(s.kind == "Group" && s.name == "system:masters"))
            .map(|s| format!("{} `{}`", s.kind, s.name))
            .collect();
        if subjects.is_empty() && !b.subjects.is_empty() {
            continue;
        }
        let at = b
            .role_name_entry
            .map_or_else(|| b.object.anchor(), super::super::yaml::Entry::span);
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!(
                    "{} grants cluster-admin to {}: full control of the cluster",
                    b.object.describe(),
                    if subjects.is_empty() {
                        "its subjects".to_string()
                    } else {
                        subjects.join(", ")
                    }
                ),
            )
            .content(format!("{} {} cluster-admin", b.object.kind, b.object.name)),
        );
    }
}
