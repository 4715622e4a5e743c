//! `terraform/s3-public-policy`: a bucket policy statement allows principal `*` without a
//! condition (`aws_s3_bucket_policy`, the bucket's own `policy`, or the policy document data
//! block they reference).

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::terraform::policy::{
    Statement, from_document, inline_policies, referenced_documents,
};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformS3PublicPolicy, check);

const KINDS: &[&str] = &["aws_s3_bucket_policy", "aws_s3_bucket"];

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for p in inline_policies(m, KINDS) {
        if p.statements.iter().any(Statement::is_public) {
            out.push(finding(
                m,
                p.block,
                ID,
                p.span.clone(),
                format!(
                    "`{}` allows anyone (Principal \"*\") without a condition",
                    p.block.address()
                ),
                "public policy",
            ));
        }
    }
    for (user, doc) in referenced_documents(m, KINDS) {
        for s in from_document(doc) {
            if s.is_public() {
                out.push(
                    finding(
                        m,
                        doc,
                        ID,
                        s.span.clone(),
                        format!(
                            "`{}` (the policy of `{}`) allows anyone (principal \"*\") without a condition",
                            doc.address(),
                            user.address()
                        ),
                        "public policy",
                    )
                    .related(m.file(user), user.head.clone(), "the bucket policy using it"),
                );
            }
        }
    }
}
