//! `terraform/eks-public-endpoint`: an EKS cluster whose API endpoint is public
//! (`endpoint_public_access` defaults to true) and open to 0.0.0.0/0 (no
//! `public_access_cidrs`, or a list containing it).

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformEksPublicEndpoint, check);

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for b in m.resources("aws_eks_cluster") {
        let Some(vpc) = b.block("vpc_config") else {
            continue;
        };
        let public = vpc.attr("endpoint_public_access");
        if public.is_some_and(|a| a.value.as_bool() == Some(false) || !a.value.is_literal()) {
            continue;
        }
        let cidrs = vpc.value("public_access_cidrs");
        if cidrs.is_some_and(|c| !c.is_literal() || !c.strings().contains(&"0.0.0.0/0")) {
            continue;
        }
        let at = public.map_or_else(|| vpc.head.clone(), super::super::model::Attr::span);
        out.push(finding(
            m,
            b,
            ID,
            at,
            format!(
                "EKS cluster `{}` exposes its API endpoint to the internet",
                b.address()
            ),
            "public endpoint",
        ));
    }
}
