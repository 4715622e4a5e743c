//! `kubernetes/rbac-dangerous-verbs`: a Role or ClusterRole grants a permission that leads to
//! more: reading secrets (every token and password of the namespace), creating pods (running
//! as any service account of the namespace, mounting its secrets), `exec`/`attach`/
//! `portforward` into pods, impersonating users, groups or service accounts, `bind`/`escalate`
//! on roles (granting what one does not hold), `nodes/proxy` (the kubelet API, exec on every
//! pod of the node; a ClusterRole's only: nodes are cluster-scoped, a Role's rule on them
//! grants nothing) and requesting service-account tokens. A permission granted only through
//! `*` on both verbs and resources is `kubernetes/rbac-wildcard`'s. When a binding in the same
//! file grants the role to a service account, the finding says so: every pod running as it
//! holds the permission.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::rbac::{
    PolicyRule, ROLE_KINDS, bindings, bindings_of, policy_rules,
};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesRbacDangerousVerbs, check);

/// (what the message says, severity, granted?)
type Permission = (&'static str, Severity, fn(&PolicyRule<'_>) -> bool);

/// A permission on a cluster-scoped resource: a (namespaced) Role cannot grant it.
const NODES_PROXY: &str = "proxy to the kubelet API (nodes/proxy)";

/// At least one side (verb or resource) named explicitly, so that `*`/`*` stays the wildcard
/// rule's finding.
fn explicit(r: &PolicyRule<'_>, verbs: &[&str], resources: &[&str]) -> bool {
    let has_res = resources.iter().any(|x| r.has_resource(x));
    let names_res = resources.iter().any(|x| r.names_resource(x));
    r.has_verb(verbs) && has_res && (r.names_verb(verbs) || names_res)
}

const PERMISSIONS: &[Permission] = &[
    ("read secrets", Severity::High, |r| {
        r.core_group() && explicit(r, &["get", "list", "watch"], &["secrets"])
    }),
    ("create pods", Severity::Medium, |r| {
        r.core_group() && explicit(r, &["create"], &["pods"])
    }),
    ("exec into pods", Severity::High, |r| {
        r.core_group() && explicit(r, &["create", "get"], &["pods/exec"])
    }),
    ("attach to pods", Severity::Medium, |r| {
        r.core_group() && explicit(r, &["create", "get"], &["pods/attach"])
    }),
    ("port-forward to pods", Severity::Medium, |r| {
        r.core_group() && explicit(r, &["create", "get"], &["pods/portforward"])
    }),
    (
        "impersonate users, groups or service accounts",
        Severity::High,
        |r| {
            (r.core_group() || r.api_groups.iter().any(|g| g == "authentication.k8s.io"))
                && explicit(
                    r,
                    &["impersonate"],
                    &[
                        "users",
                        "groups",
                        "serviceaccounts",
                        "uids",
                        "userextras/scopes",
                    ],
                )
        },
    ),
    ("bind or escalate roles", Severity::High, |r| {
        (r.core_group()
            || r.api_groups
                .iter()
                .any(|g| g == "rbac.authorization.k8s.io"))
            && explicit(r, &["bind", "escalate"], &["roles", "clusterroles"])
    }),
    (NODES_PROXY, Severity::High, |r| {
        r.core_group() && explicit(r, &["get", "create"], &["nodes/proxy"])
    }),
    ("request service account tokens", Severity::Medium, |r| {
        r.core_group() && explicit(r, &["create"], &["serviceaccounts/token"])
    }),
];

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let all_bindings = bindings(m);
    for o in m.objects_of(ROLE_KINDS) {
        let bound = bindings_of(&all_bindings, o);
        let sa = bound.iter().find_map(|b| {
            b.subjects
                .iter()
                .find(|s| s.kind == "ServiceAccount")
                .map(|s| (*b, s))
        });
        for (i, r) in policy_rules(o).iter().enumerate() {
            let granted: Vec<&Permission> = PERMISSIONS
                .iter()
                .filter(|p| (p.2)(r) && !(o.kind == "Role" && p.0 == NODES_PROXY))
                .collect();
            if granted.is_empty() {
                continue;
            }
            let severity = granted
                .iter()
                .map(|p| p.1)
                .max()
                .unwrap_or(Severity::Medium);
            let what: Vec<&str> = granted.iter().map(|p| p.0).collect();
            let mut msg = format!(
                "{} rule {} lets its subjects {}",
                o.describe(),
                i + 1,
                what.join(", ")
            );
            if let Some((b, s)) = sa {
                msg.push_str(&format!(
                    " — bound to ServiceAccount `{}` by {}, so every pod running as it can too",
                    s.name,
                    b.object.describe()
                ));
            }
            let mut f = RawFinding::new(ID, m.file, r.span(), msg)
                .content(format!(
                    "{} {} rule {} {}",
                    o.kind,
                    o.name,
                    i + 1,
                    what.join(",")
                ))
                .severity(severity);
            if let Some((b, s)) = sa {
                f = f.related(
                    m.file,
                    s.node.span.clone(),
                    format!("subject of {}", b.object.describe()),
                );
            }
            out.push(f);
        }
    }
}
