//! `terraform/iam-wildcard`: an IAM identity policy allows every action (`"*"`, `"svc:*"` on
//! `"*"` resources, or `NotAction`), or write actions on every resource (`Resource: "*"`).
//! Policies in `jsonencode()`, heredoc/string JSON, and `aws_iam_policy_document` data blocks.
//! Documents with principals (resource and trust policies) count only when the principal is
//! everyone (`"*"`): terragoat's Elasticsearch domain policy grants `es:*` on `*` to `*`.
//! Resource policies naming accounts or services are other rules' business.

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::terraform::policy::{Statement, from_document, inline_policies};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformIamWildcard, check);

const KINDS: &[&str] = &[
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role",
];

/// Read-only verbs: an action starting with one of these does not write.
const READ_VERBS: &[&str] = &[
    "Get", "List", "Describe", "Head", "View", "Lookup", "Search", "Query", "Scan", "Select",
    "BatchGet", "Check", "Read",
];

fn writes(action: &str) -> bool {
    let verb = action.split_once(':').map_or(action, |(_, v)| v);
    !READ_VERBS.iter().any(|r| verb.starts_with(r))
}

/// Why the statement is too broad, if it is.
pub fn too_broad(s: &Statement) -> Option<String> {
    if !s.allow || (s.has_principal && !s.public_principal) {
        return None;
    }
    let why = too_broad_actions(s)?;
    Some(if s.public_principal {
        format!("{why} to everyone (principal \"*\")")
    } else {
        why
    })
}

fn too_broad_actions(s: &Statement) -> Option<String> {
    if s.not_action {
        return Some("allows everything except a few actions (NotAction)".into());
    }
    if s.actions.iter().any(|a| a == "*" || a == "*:*") {
        return Some("allows every action (\"*\")".into());
    }
    // Conditions (tags, source accounts, request attributes) are the usual way to constrain
    // actions that do not support resource ARNs.
    let all_resources = s.resources.iter().any(|r| r == "*");
    if !all_resources || s.has_condition {
        return None;
    }
    if let Some(a) = s.actions.iter().find(|a| a.ends_with(":*")) {
        return Some(format!("allows `{a}` on every resource"));
    }
    let w: Vec<&str> = s
        .actions
        .iter()
        .map(String::as_str)
        .filter(|a| writes(a))
        .collect();
    if w.is_empty() {
        return None;
    }
    Some(format!(
        "allows write actions ({}) on every resource (\"*\")",
        w.join(", ")
    ))
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for p in inline_policies(m, KINDS) {
        for s in &p.statements {
            if let Some(why) = too_broad(s) {
                // Statements point at themselves (jsonencode) or their `"Effect"` key (JSON text).
                let at = s.span.clone();
                out.push(finding(
                    m,
                    p.block,
                    ID,
                    at,
                    format!("`{}` {why}", p.block.address()),
                    &why,
                ));
            }
        }
    }
    for doc in m.data("aws_iam_policy_document") {
        for s in from_document(doc) {
            if let Some(why) = too_broad(&s) {
                out.push(finding(
                    m,
                    doc,
                    ID,
                    s.span.clone(),
                    format!("`{}` {why}", doc.address()),
                    &why,
                ));
            }
        }
    }
}
