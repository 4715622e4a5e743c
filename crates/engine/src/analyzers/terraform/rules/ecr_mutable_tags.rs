//! `terraform/ecr-mutable-tags`: an ECR repository whose tags can be overwritten
//! (`image_tag_mutability` unset — it defaults to MUTABLE — or `MUTABLE`): a pushed `v1.2.3`
//! can be silently replaced by other code.

use super::{at_attr_or_head, finding};
use crate::analyzers::terraform::model::Module;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformEcrMutableTags, check);

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for b in m.resources("aws_ecr_repository") {
        let v = b.value("image_tag_mutability");
        if v.is_some_and(|v| !v.is_literal())
            || v.and_then(|v| v.as_str())
                .is_some_and(|s| s.starts_with("IMMUTABLE"))
        {
            continue;
        }
        out.push(finding(
            m,
            b,
            ID,
            at_attr_or_head(b, "image_tag_mutability"),
            format!("ECR repository `{}` has mutable tags", b.address()),
            "mutable tags",
        ));
    }
}
