//! `terraform/s3-public-acl`: a bucket readable or writable by everyone through its ACL — a
//! canned `public-read`/`public-read-write`/`authenticated-read` ACL on `aws_s3_bucket` or on
//! an `aws_s3_bucket_acl` (related to the bucket it is attached to), or a grant to the AllUsers
//! / AuthenticatedUsers groups.

use super::finding;
use crate::analyzers::terraform::model::{Block, Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformS3PublicAcl, check);

const PUBLIC: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

fn public_grant(b: &Block) -> Option<&Block> {
    let acp = b.block("access_control_policy");
    acp.into_iter()
        .flat_map(|a| a.blocks("grant"))
        .chain(b.blocks("grant"))
        .find(|g| {
            let uri = g
                .block("grantee")
                .and_then(|ge| ge.value("uri"))
                .or_else(|| g.value("uri"))
                .and_then(Expr::text)
                .unwrap_or_default();
            uri.ends_with("/global/AllUsers") || uri.ends_with("/global/AuthenticatedUsers")
        })
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for kind in ["aws_s3_bucket", "aws_s3_bucket_acl"] {
        for b in m.resources(kind) {
            let acl = b
                .attr("acl")
                .filter(|a| a.value.as_str().is_some_and(|v| PUBLIC.contains(&v)));
            let (range, what) = match (acl, public_grant(b)) {
                (Some(a), _) => (
                    a.span(),
                    format!("ACL `{}`", a.value.as_str().unwrap_or_default()),
                ),
                (None, Some(g)) => (g.span.clone(), "a grant to all users".to_string()),
                _ => continue,
            };
            let mut f = finding(
                m,
                b,
                ID,
                range,
                format!("`{}` makes the bucket public with {what}", b.address()),
                "public acl",
            );
            if kind == "aws_s3_bucket_acl"
                && let Some(bucket) = b
                    .value("bucket")
                    .and_then(Expr::ref_address)
                    .and_then(|a| m.by_address(&a))
            {
                f = f.related(m.file(bucket), bucket.head.clone(), "the bucket");
            }
            out.push(f);
        }
    }
}
