//! Terraform rules, one per file. Each exposes `ID` and `check(module, cx, out)`.

mod ecr_mutable_tags;
mod ecr_scan_disabled;
mod eks_public_endpoint;
mod hardcoded_credentials;
mod iam_wildcard;
mod open_ingress;
mod public_database;
mod registry_public;
mod s3_no_public_access_block;
mod s3_public_acl;
mod s3_public_policy;
mod s3_unencrypted;
mod unencrypted_storage;

use std::ops::Range;

use super::model::{Block, Module};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;

type Check = fn(&Module, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (hardcoded_credentials::ID, hardcoded_credentials::check),
    (s3_public_acl::ID, s3_public_acl::check),
    (s3_public_policy::ID, s3_public_policy::check),
    (
        s3_no_public_access_block::ID,
        s3_no_public_access_block::check,
    ),
    (s3_unencrypted::ID, s3_unencrypted::check),
    (open_ingress::ID, open_ingress::check),
    (iam_wildcard::ID, iam_wildcard::check),
    (unencrypted_storage::ID, unencrypted_storage::check),
    (public_database::ID, public_database::check),
    (ecr_mutable_tags::ID, ecr_mutable_tags::check),
    (ecr_scan_disabled::ID, ecr_scan_disabled::check),
    (eks_public_endpoint::ID, eks_public_endpoint::check),
    (registry_public::ID, registry_public::check),
];

pub const IDS: &[&str] = &[
    "terraform/parse-error",
    hardcoded_credentials::ID,
    s3_public_acl::ID,
    s3_public_policy::ID,
    s3_no_public_access_block::ID,
    s3_unencrypted::ID,
    open_ingress::ID,
    iam_wildcard::ID,
    unencrypted_storage::ID,
    public_database::ID,
    ecr_mutable_tags::ID,
    ecr_scan_disabled::ID,
    eks_public_endpoint::ID,
    registry_public::ID,
];

pub fn run(m: &Module, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(m, cx, out);
        }
    }
}

/// A finding in `b`'s file; the fingerprint content is the block address plus `what`.
fn finding(
    m: &Module,
    b: &Block,
    id: &str,
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
