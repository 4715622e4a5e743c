//! `terraform/ecr-scan-disabled`: an ECR repository without `image_scanning_configuration {
//! scan_on_push = true }`, and no registry-wide `aws_ecr_registry_scanning_configuration` in
//! the module.

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformEcrScanDisabled, check);

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    if m.resources("aws_ecr_registry_scanning_configuration")
        .next()
        .is_some()
    {
        return;
    }
    for b in m.resources("aws_ecr_repository") {
        let scan = b
            .block("image_scanning_configuration")
            .and_then(|s| s.attr("scan_on_push"));
        if scan.is_some_and(|a| a.value.as_bool() == Some(true) || !a.value.is_literal()) {
            continue;
        }
        let at = scan.map_or_else(|| b.head.clone(), super::super::model::Attr::span);
        out.push(finding(
            m,
            b,
            ID,
            at,
            format!(
                "ECR repository `{}` does not scan images on push",
                b.address()
            ),
            "scan disabled",
        ));
    }
}
