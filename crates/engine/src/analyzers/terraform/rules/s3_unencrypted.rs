//! `terraform/s3-unencrypted`: a bucket with no server-side encryption configuration — neither
//! the (provider v3) inline `server_side_encryption_configuration` block nor an
//! `aws_s3_bucket_server_side_encryption_configuration` attached to it in the module.

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformS3Unencrypted, check);

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for bucket in m.resources("aws_s3_bucket") {
        if bucket
            .block("server_side_encryption_configuration")
            .is_some()
            || m.attached(
                "aws_s3_bucket_server_side_encryption_configuration",
                "bucket",
                bucket,
            )
            .next()
            .is_some()
        {
            continue;
        }
        out.push(finding(
            m,
            bucket,
            ID,
            bucket.head.clone(),
            format!(
                "`{}` has no server-side encryption configuration (use SSE-KMS with your own key)",
                bucket.address()
            ),
            "unencrypted",
        ));
    }
}
