//! `terraform/cis-alarm-missing`: a module that sets up CloudWatch metric filters or alarms
//! (a CloudTrail monitoring setup) but lacks one of the CIS AWS Foundations monitoring alarms:
//! a metric filter whose pattern names every event of the item, and an alarm on that filter's
//! metric. Reported once per missing item at the start of the setup (the `provider "aws"`
//! block, else the first filter or alarm).

use std::collections::BTreeSet;

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Block, Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformCisAlarmMissing, check, persona = Auditor);

/// (what is monitored, the pattern tokens it needs).
const ITEMS: &[(&str, &[&str])] = &[
    ("unauthorized API calls", &["UnauthorizedOperation", "AccessDenied"]),
    ("console sign-in without MFA", &["ConsoleLogin", "MFAUsed"]),
    ("root account usage", &["userIdentity.type", "Root"]),
    (
        "IAM policy changes",
        &[
            "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
            "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
            "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
            "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
        ],
    ),
    (
        "CloudTrail configuration changes",
        &["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"],
    ),
    ("console authentication failures", &["ConsoleLogin", "Failed", "authentication"]),
    (
        "disabling or scheduled deletion of KMS keys",
        &["kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"],
    ),
    (
        "S3 bucket policy changes",
        &[
            "s3.amazonaws.com", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors",
            "PutBucketLifecycle", "PutBucketReplication", "DeleteBucketPolicy",
            "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
        ],
    ),
    (
        "AWS Config configuration changes",
        &[
            "config.amazonaws.com", "StopConfigurationRecorder", "DeleteDeliveryChannel",
            "PutDeliveryChannel", "PutConfigurationRecorder",
        ],
    ),
    (
        "security group changes",
        &[
            "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ],
    ),
    (
        "network ACL changes",
        &[
            "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
            "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
        ],
    ),
    (
        "network gateway changes",
        &[
            "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
            "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway",
        ],
    ),
    (
        "route table changes",
        &[
            "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
            "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable",
        ],
    ),
    (
        "VPC changes",
        &[
            "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
            "DisableVpcClassicLink", "EnableVpcClassicLink",
        ],
    ),
    (
        "AWS Organizations changes",
        // The benchmark's lists of this item vary; these are in all of them.
        &[
            "organizations.amazonaws.com", "AttachPolicy", "CreateAccount", "DeleteOrganization",
            "LeaveOrganization", "RemoveAccountFromOrganization",
        ],
    ),
];

/// Words of a filter pattern (event names, `userIdentity.type`, `kms.amazonaws.com`): whole
/// tokens, so `CreateNetworkAclEntry` does not stand for `CreateNetworkAcl`.
fn tokens(pattern: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for t in pattern
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| !t.is_empty())
    {
        // `additionalEventData.MFAUsed` also stands for `MFAUsed`.
        out.insert(t);
        out.extend(t.split('.').filter(|p| !p.is_empty()));
    }
    out
}

/// Does `alarm` watch the metric of `filter` (by reference, or by the metric's name)?
fn watches(alarm: &Block, filter: &Block) -> bool {
    let Some(metric) = alarm.value("metric_name") else {
        return false;
    };
    if metric.ref_address().as_deref() == Some(filter.address().as_str()) {
        return true;
    }
    let name = filter
        .block("metric_transformation")
        .and_then(|t| t.value("name"))
        .and_then(Expr::as_str);
    name.is_some() && metric.as_str() == name
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    let filters: Vec<&Block> = m.resources("aws_cloudwatch_log_metric_filter").collect();
    let alarms: Vec<&Block> = m.resources("aws_cloudwatch_metric_alarm").collect();
    if filters.is_empty() && alarms.is_empty() {
        return;
    }
    let anchor = m
        .blocks
        .iter()
        .find(|b| b.ident == "provider" && b.labels.first().is_some_and(|l| l == "aws"))
        .or_else(|| {
            m.blocks.iter().find(|b| {
                b.ident == "resource"
                    && matches!(
                        b.kind(),
                        "aws_cloudwatch_log_metric_filter" | "aws_cloudwatch_metric_alarm"
                    )
            })
        });
    let Some(anchor) = anchor else { return };
    let patterns: Vec<(&Block, BTreeSet<&str>)> = filters
        .iter()
        .map(|f| (*f, f.value("pattern").and_then(Expr::text).map(tokens).unwrap_or_default()))
        .collect();
    for (what, needed) in ITEMS {
        let covered = patterns.iter().any(|(f, toks)| {
            needed.iter().all(|t| toks.contains(t)) && alarms.iter().any(|a| watches(a, f))
        });
        if covered {
            continue;
        }
        out.push(finding(
            m,
            anchor,
            ID,
            anchor.head.clone(),
            format!(
                "this CloudWatch monitoring setup has no alarm on {what} (a metric filter naming every event and an alarm on its metric)"
            ),
            what,
        ));
    }
}
