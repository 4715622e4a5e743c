//! Terraform rules, one per file. Each declares itself with `declare_rule!` (id, persona, confidence, `check(module, cx, out)`); `declare_rules!` lists them once.

use std::ops::Range;

use super::model::{Block, Module};
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

type Check = fn(&Module, &ScanContext<'_>, &mut Output);

declare_rules! {
    RULES: Check = [
        hardcoded_credentials,
        s3_public_acl,
        s3_public_policy,
        resource_policy_public,
        s3_no_public_access_block,
        s3_unencrypted,
        open_ingress,
        iam_wildcard,
        iam_privilege_escalation,
        unencrypted_storage,
        public_database,
        ecr_mutable_tags,
        ecr_scan_disabled,
        eks_public_endpoint,
        registry_public,
        cis_alarm_missing,
    ];
}

/// Every rule id the family reports, `terraform/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::TerraformParseError, RULES).chain(super::declarative::ids())
}

pub fn run(m: &Module, cx: &ScanContext<'_>, out: &mut Output) {
    for r in RULES {
        if crate::limits::budget_exceeded() {
            break;
        }
        if cx.enabled(r.id) {
            (r.check)(m, cx, out);
        }
    }
    super::declarative::run(m, cx, out);
}

/// A finding in `b`'s file; the fingerprint content is the block address plus `what`.
fn finding(
    m: &Module,
    b: &Block,
    id: RuleId,
    at: Range<usize>,
    msg: String,
    what: &str,
) -> RawFinding {
    RawFinding::new(id, m.file(b), at, msg).content(format!("{} {what}", b.address()))
}

/// An attribute's value if set, else the block head: where "X is missing/false" points.
fn at_attr_or_head(b: &Block, key: &str) -> Range<usize> {
    b.attr(key)
        .map_or_else(|| b.head.clone(), super::model::Attr::span)
}
