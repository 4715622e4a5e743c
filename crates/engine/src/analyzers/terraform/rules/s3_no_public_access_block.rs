//! `terraform/s3-no-public-access-block`: a bucket with no `aws_s3_bucket_public_access_block`
//! attached (by reference or bucket name, in any file of the module), or one that leaves any
//! of its four settings off. An account-level block with all four on covers every bucket.

use super::finding;
use crate::analyzers::terraform::model::{Block, Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformS3NoPublicAccessBlock, check);

const SETTINGS: &[&str] = &[
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

fn off(b: &Block) -> Vec<&str> {
    SETTINGS
        .iter()
        .copied()
        .filter(|s| {
            b.value(s).and_then(Expr::as_bool) != Some(true)
                && b.value(s).is_none_or(Expr::is_literal)
        })
        .collect()
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    if m.resources("aws_s3_account_public_access_block")
        .any(|b| off(b).is_empty())
    {
        return;
    }
    for bucket in m.resources("aws_s3_bucket") {
        let blocks: Vec<&Block> = m
            .attached("aws_s3_bucket_public_access_block", "bucket", bucket)
            .collect();
        if blocks.is_empty() {
            out.push(finding(
                m,
                bucket,
                ID,
                bucket.head.clone(),
                format!(
                    "`{}` has no aws_s3_bucket_public_access_block: nothing stops a public ACL or policy",
                    bucket.address()
                ),
                "no public access block",
            ));
            continue;
        }
        for pab in blocks {
            let missing = off(pab);
            if missing.is_empty() {
                continue;
            }
            let at = pab
                .attr(missing[0])
                .map_or_else(|| pab.head.clone(), super::super::model::Attr::span);
            out.push(
                finding(
                    m,
                    pab,
                    ID,
                    at,
                    format!(
                        "the public access block of `{}` leaves {} off",
                        bucket.address(),
                        missing.join(", ")
                    ),
                    "public access block incomplete",
                )
                .related(m.file(bucket), bucket.head.clone(), "the bucket"),
            );
        }
    }
}
