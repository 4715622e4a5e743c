//! `terraform/resource-policy-public`: a resource policy of a service other than S3 and ECR
//! (those have their own rules) with a statement that allows principal `*` without a
//! condition: SNS topics, SQS queues, EFS, OpenSearch, API Gateway, Secrets Manager, KMS keys,
//! Glue, SES identities, CloudWatch Logs destinations, Backup and Glacier vaults. Inline JSON,
//! `jsonencode`, or a referenced `aws_iam_policy_document`.

use std::ops::Range;

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Block, Expr, Module};
use crate::analyzers::terraform::policy::{Statement, attr_statements, from_document};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformResourcePolicyPublic, check);

/// (resource type, policy attribute).
const POLICIES: &[(&str, &str)] = &[
    ("aws_sns_topic", "policy"),
    ("aws_sns_topic_policy", "policy"),
    ("aws_sqs_queue", "policy"),
    ("aws_sqs_queue_policy", "policy"),
    ("aws_efs_file_system_policy", "policy"),
    ("aws_elasticsearch_domain", "access_policies"),
    ("aws_elasticsearch_domain_policy", "access_policies"),
    ("aws_opensearch_domain", "access_policies"),
    ("aws_opensearch_domain_policy", "access_policies"),
    ("aws_api_gateway_rest_api", "policy"),
    ("aws_api_gateway_rest_api_policy", "policy"),
    ("aws_secretsmanager_secret", "policy"),
    ("aws_secretsmanager_secret_policy", "policy"),
    ("aws_kms_key", "policy"),
    ("aws_glue_resource_policy", "policy"),
    ("aws_ses_identity_policy", "policy"),
    ("aws_cloudwatch_log_destination_policy", "access_policy"),
    ("aws_backup_vault_policy", "policy"),
    ("aws_glacier_vault", "access_policy"),
];

const MAX_ACTIONS: usize = 3;

fn what(s: &Statement) -> String {
    if s.not_action {
        return "everything but a few actions (NotAction)".into();
    }
    let shown: Vec<&str> = s.actions.iter().take(MAX_ACTIONS).map(String::as_str).collect();
    match (shown.is_empty(), s.actions.len() > MAX_ACTIONS) {
        (true, _) => "its actions".into(),
        (false, false) => shown.join(", "),
        (false, true) => format!("{}, …", shown.join(", ")),
    }
}

fn push(
    m: &Module,
    out: &mut Output,
    owner: &Block,
    at_block: &Block,
    at: Range<usize>,
    s: &Statement,
) {
    let mut f = finding(
        m,
        at_block,
        ID,
        at,
        format!(
            "the policy of `{}` allows anyone (principal \"*\") {} without a condition",
            owner.address(),
            what(s)
        ),
        "public resource policy",
    );
    if !std::ptr::eq(owner, at_block) {
        f = f.related(m.file(owner), owner.head.clone(), "the resource using this policy");
    }
    out.push(f);
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for (kind, attr) in POLICIES {
        for b in m.resources(kind) {
            // Inline policies: the whole attribute, like s3-public-policy (its key and the
            // statement, which in JSON text has no span of its own).
            if let Some((span, stmts)) = attr_statements(m, b, attr) {
                if let Some(s) = stmts.iter().find(|s| s.is_public()) {
                    push(m, out, b, b, span, s);
                }
                continue;
            }
            let Some(doc) = b
                .value(attr)
                .and_then(Expr::ref_address)
                .and_then(|a| m.by_address(&a))
                .filter(|d| d.kind() == "aws_iam_policy_document")
            else {
                continue;
            };
            for s in from_document(doc).iter().filter(|s| s.is_public()) {
                push(m, out, b, doc, s.span.clone(), s);
            }
        }
    }
}
