//! RBAC objects read for the rules: the policy rules of Roles and ClusterRoles, and the
//! bindings (RoleBinding, ClusterRoleBinding) with their subjects and role reference.
//! Kubernetes matches verbs, resources and API groups literally, except for the full
//! wildcard `*`: `c*e` grants nothing, so it is not read as a pattern.

use std::ops::Range;

use super::model::{Model, Object};
use super::yaml::{Entry, Node};

/// One entry of a role's `rules:`.
pub struct PolicyRule<'a> {
    pub node: &'a Node,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn strings(n: Option<&Node>) -> Vec<String> {
    n.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .map(|s| s.trim().to_string())
        .collect()
}

impl<'a> PolicyRule<'a> {
    pub fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.node.entry(key)
    }

    /// The whole rule item, from its first key to its last.
    pub fn span(&self) -> Range<usize> {
        self.node.span.clone()
    }

    /// The rule applies to the core API group (or every group).
    pub fn core_group(&self) -> bool {
        self.api_groups.is_empty() || self.api_groups.iter().any(|g| g.is_empty() || g == "*")
    }

    pub fn any_group(&self) -> bool {
        self.api_groups.iter().any(|g| g == "*")
    }

    pub fn has_verb(&self, verbs: &[&str]) -> bool {
        self.verbs
            .iter()
            .any(|v| v == "*" || verbs.iter().any(|w| v.eq_ignore_ascii_case(w)))
    }

    /// A literal verb of the list (not through `*`).
    pub fn names_verb(&self, verbs: &[&str]) -> bool {
        self.verbs
            .iter()
            .any(|v| verbs.iter().any(|w| v.eq_ignore_ascii_case(w)))
    }

    pub fn has_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r == "*" || r == resource)
    }

    pub fn names_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r == resource)
    }
}

pub const ROLE_KINDS: &[&str] = &["Role", "ClusterRole"];
pub const BINDING_KINDS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];

/// The policy rules of a Role or ClusterRole.
pub fn policy_rules<'a>(o: &Object<'a>) -> Vec<PolicyRule<'a>> {
    o.get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|n| PolicyRule {
            node: n,
            api_groups: strings(n.get("apiGroups")),
            resources: strings(n.get("resources")),
            verbs: strings(n.get("verbs")),
            non_resource_urls: strings(n.get("nonResourceURLs")),
        })
        .collect()
}

/// One subject of a binding.
pub struct Subject<'a> {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub node: &'a Node,
}

pub struct Binding<'a> {
    pub object: &'a Object<'a>,
    pub role_kind: String,
    pub role_name: String,
    /// `roleRef.name:`.
    pub role_name_entry: Option<&'a Entry>,
    pub subjects: Vec<Subject<'a>>,
}

pub fn bindings<'m, 'a>(m: &'m Model<'a>) -> Vec<Binding<'m>>
where
    'a: 'm,
{
    m.objects_of(BINDING_KINDS)
        .map(|o| {
            let role_ref = o.get("roleRef");
            let text = |k: &str| {
                role_ref
                    .and_then(|r| r.get(k))
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Binding {
                object: o,
                role_kind: text("kind"),
                role_name: text("name"),
                role_name_entry: role_ref.and_then(|r| r.entry("name")),
                subjects: o
                    .get("subjects")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| Subject {
                        kind: s
                            .get("kind")
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        name: s
                            .get("name")
                            .and_then(Node::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        namespace: s
                            .get("namespace")
                            .and_then(Node::as_str)
                            .map(str::to_string),
                        node: s,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The bindings in the same file that grant role `o` (a RoleBinding may grant a ClusterRole).
pub fn bindings_of<'b, 'm>(bindings: &'b [Binding<'m>], o: &Object<'_>) -> Vec<&'b Binding<'m>> {
    bindings
        .iter()
        .filter(|b| b.role_kind == o.kind && b.role_name == o.name)
        .collect()
}
