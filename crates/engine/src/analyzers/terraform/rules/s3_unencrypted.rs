//! `terraform/s3-unencrypted`: a bucket with no server-side encryption configuration — neither
//! the (provider v3) inline `server_side_encryption_configuration` block nor an
//! `aws_s3_bucket_server_side_encryption_configuration` attached to it in the module — or one
//! whose `rule` sets no `apply_server_side_encryption_by_default { sse_algorithm }` (an empty
//! `rule {}` configures nothing).

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Block, Module};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformS3Unencrypted, check);

/// Whether a server-side encryption configuration sets a default algorithm in some `rule`
/// (an unresolved value, or a `dynamic` block whose content is not expanded, counts as set).
fn configures(conf: &Block) -> bool {
    conf.blocks("dynamic").next().is_some()
        || conf.blocks("rule").any(|r| {
            r.blocks("dynamic").next().is_some()
                || r.blocks("apply_server_side_encryption_by_default")
                    .any(|d| d.value("sse_algorithm").is_some())
        })
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for bucket in m.resources("aws_s3_bucket") {
        if bucket
            .blocks("server_side_encryption_configuration")
            .any(configures)
            || m.attached(
                "aws_s3_bucket_server_side_encryption_configuration",
                "bucket",
                bucket,
            )
            .any(configures)
        {
            continue;
        }
        let empty = bucket
            .block("server_side_encryption_configuration")
            .is_some()
            || m.attached(
                "aws_s3_bucket_server_side_encryption_configuration",
                "bucket",
                bucket,
            )
            .next()
            .is_some();
        let what = if empty {
            "has a server-side encryption configuration that sets no default algorithm (no `apply_server_side_encryption_by_default`)"
        } else {
            "has no server-side encryption configuration"
        };
        out.push(finding(
            m,
            bucket,
            ID,
            bucket.head.clone(),
            format!(
                "`{}` {what} (use SSE-KMS with your own key)",
                bucket.address()
            ),
            "unencrypted",
        ));
    }
}
