//! `terraform/iam-privilege-escalation`: an IAM group, role or user whose policies (inline, or
//! managed policies attached to it in the module) allow a known escalation path on every
//! resource: changing its own policies, minting credentials for others, or passing a role to a
//! service it can run code in. Reported at the principal, with the granting statements as
//! related locations.

use std::ops::Range;

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Block, Expr, Module};
use crate::analyzers::terraform::policy::{Statement, statements_of};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformIamPrivilegeEscalation, check);

/// Action sets that each let a principal raise its own privileges (every action of a set is
/// needed).
const PATHS: &[&[&str]] = &[
    &["iam:CreatePolicyVersion"],
    &["iam:SetDefaultPolicyVersion"],
    &["iam:CreateAccessKey"],
    &["iam:CreateLoginProfile"],
    &["iam:UpdateLoginProfile"],
    &["iam:AttachUserPolicy"],
    &["iam:AttachGroupPolicy"],
    &["iam:AttachRolePolicy"],
    &["iam:PutUserPolicy"],
    &["iam:PutGroupPolicy"],
    &["iam:PutRolePolicy"],
    &["iam:AddUserToGroup"],
    &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
    &["iam:PassRole", "ec2:RunInstances"],
    &["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
    &["iam:PassRole", "glue:CreateDevEndpoint"],
    &["iam:PassRole", "cloudformation:CreateStack"],
    &["glue:UpdateDevEndpoint"],
    &["lambda:UpdateFunctionCode"],
];

/// (principal kind, inline policy kind and its principal attribute, attachment kind and attribute,
/// `aws_iam_policy_attachment` list attribute).
const PRINCIPALS: &[(&str, &str, &str, &str, &str)] = &[
    ("aws_iam_group", "aws_iam_group_policy", "group", "aws_iam_group_policy_attachment", "groups"),
    ("aws_iam_role", "aws_iam_role_policy", "role", "aws_iam_role_policy_attachment", "roles"),
    ("aws_iam_user", "aws_iam_user_policy", "user", "aws_iam_user_policy_attachment", "users"),
];

const MAX_SHOWN: usize = 3;

/// `iam:*`, `iam:Create*`, `*` match `iam:CreateAccessKey` (case-insensitive, one `*` run).
fn matches(pattern: &str, action: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    match p.split_once('*') {
        None => p == a,
        Some((pre, post)) => {
            a.len() >= pre.len() + post.len()
                && a.starts_with(pre)
                && a.ends_with(post.trim_end_matches('*'))
        }
    }
}

fn grants(s: &Statement, action: &str) -> bool {
    s.allow
        && !s.has_principal
        && !s.not_action
        && !s.has_condition
        && s.resources.iter().any(|r| r == "*")
        && s.actions.iter().any(|p| matches(p, action))
}

/// Does `v` (a reference or a literal name) designate `principal`?
fn names(v: &Expr, principal: &Block) -> bool {
    if v.ref_address().as_deref() == Some(principal.address().as_str()) {
        return true;
    }
    let name = principal.value("name").and_then(Expr::as_str);
    name.is_some() && v.as_str() == name
}

/// Statements of the policies that apply to `p`, each with the block it is written in.
fn push_policy<'m>(b: &'m Block, out: &mut Vec<(&'m Block, Statement)>) {
    if let Some(v) = b.value("policy")
        && let Some(stmts) = statements_of(v)
    {
        out.extend(stmts.into_iter().map(|s| (b, s)));
    }
}

fn statements_for<'m>(
    m: &'m Module,
    p: &'m Block,
    inline: &'static str,
    attr: &'static str,
    attachment: &'static str,
    list_attr: &'static str,
) -> Vec<(&'m Block, Statement)> {
    let mut out = Vec::new();
    for b in m.resources(inline) {
        if b.value(attr).is_some_and(|v| names(v, p)) {
            push_policy(b, &mut out);
        }
    }
    // Inline policies written inside the principal (`inline_policy { policy = … }`).
    for ip in p.blocks("inline_policy") {
        if let Some(stmts) = ip.value("policy").and_then(statements_of) {
            out.extend(stmts.into_iter().map(|s| (p, s)));
        }
    }
    let mut attached: Vec<&Block> = m
        .resources(attachment)
        .filter(|b| b.value(attr).is_some_and(|v| names(v, p)))
        .collect();
    attached.extend(
        m.resources("aws_iam_policy_attachment")
            .filter(|b| b.value(list_attr).is_some_and(|l| l.items().iter().any(|v| names(v, p)))),
    );
    for a in attached {
        if let Some(pol) = a
            .value("policy_arn")
            .and_then(Expr::ref_address)
            .and_then(|addr| m.by_address(&addr))
            .filter(|b| b.kind() == "aws_iam_policy")
        {
            push_policy(pol, &mut out);
        }
    }
    out
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for (kind, inline, attr, attachment, list_attr) in PRINCIPALS {
        for p in m.resources(kind) {
            let stmts = statements_for(m, p, inline, attr, attachment, list_attr);
            if stmts.is_empty() {
                continue;
            }
            let mut found: Vec<String> = Vec::new();
            let mut related: Vec<(&Block, Range<usize>)> = Vec::new();
            for path in PATHS {
                let granting: Vec<&(&Block, Statement)> = path
                    .iter()
                    .filter_map(|a| stmts.iter().find(|(_, s)| grants(s, a)))
                    .collect();
                if granting.len() != path.len() {
                    continue;
                }
                found.push(path.join(" + "));
                for (b, s) in granting {
                    if !related.iter().any(|(rb, r)| std::ptr::eq(*rb, *b) && *r == s.span) {
                        related.push((b, s.span.clone()));
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            let shown = if found.len() > MAX_SHOWN {
                format!("{} and {} more", found[..MAX_SHOWN].join(", "), found.len() - MAX_SHOWN)
            } else {
                found.join(", ")
            };
            let mut f = finding(
                m,
                p,
                ID,
                p.head.clone(),
                format!(
                    "`{}` can raise its own privileges: its policies allow {shown} on every resource",
                    p.address()
                ),
                "privilege escalation",
            );
            for (b, span) in related.into_iter().take(MAX_SHOWN) {
                f = f.related(m.file(b), span, "granted here");
            }
            out.push(f);
        }
    }
}
