//! `kubernetes/rbac-wildcard`: a Role or ClusterRole rule with `*` in `verbs`, `resources` or
//! `nonResourceURLs`: it grants every verb or every resource, including the ones added later
//! (new subresources, CRDs installed next year). `apiGroups: ["*"]` is named in the message
//! when it widens the rule further.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::rbac::{ROLE_KINDS, policy_rules};
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesRbacWildcard, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in m.objects_of(ROLE_KINDS) {
        for (i, r) in policy_rules(o).iter().enumerate() {
            let star = |v: &[String]| v.iter().any(|x| x == "*");
            let mut fields = Vec::new();
            if star(&r.api_groups) {
                fields.push("apiGroups");
            }
            if star(&r.resources) {
                fields.push("resources");
            }
            if star(&r.non_resource_urls) {
                fields.push("nonResourceURLs");
            }
            if star(&r.verbs) {
                fields.push("verbs");
            }
            if !fields.iter().any(|f| *f != "apiGroups") {
                continue;
            }
            let spans: Vec<_> = fields
                .iter()
                .filter_map(|f| r.entry(f))
                .map(Entry::span)
                .collect();
            let span = match (
                spans.iter().map(|s| s.start).min(),
                spans.iter().map(|s| s.end).max(),
            ) {
                (Some(a), Some(b)) => a..b,
                _ => r.span(),
            };
            // A wildcard confined to one named API group (an operator's own CRDs) is narrower
            // than one over the core group or every group.
            let severity = if r.core_group() {
                Severity::High
            } else {
                Severity::Medium
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "{} rule {} uses `*` in {}: it grants everything there, including what is added later",
                        o.describe(),
                        i + 1,
                        fields.join(", ")
                    ),
                )
                .content(format!("{} {} rule {} {}", o.kind, o.name, i + 1, fields.join(",")))
                .severity(severity),
            );
        }
    }
}
