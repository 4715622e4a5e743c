//! `terraform/registry-public`: a container registry anyone can pull from (or push to): an
//! ECR repository/registry policy allowing principal `*` without a condition, a public ECR
//! repository, an Artifact Registry IAM grant to `allUsers`/`allAuthenticatedUsers`, or an
//! Azure registry with anonymous pull.

use super::finding;
use crate::analyzers::terraform::model::Module;
use crate::analyzers::terraform::policy::{
    Statement, from_document, inline_policies, referenced_documents,
};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformRegistryPublic, check);

const KINDS: &[&str] = &["aws_ecr_repository_policy", "aws_ecr_registry_policy"];

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    for p in inline_policies(m, KINDS) {
        if p.statements.iter().any(Statement::is_public) {
            out.push(finding(
                m,
                p.block,
                ID,
                p.span.clone(),
                format!(
                    "`{}` lets anyone (Principal \"*\") use the registry",
                    p.block.address()
                ),
                "public policy",
            ));
        }
    }
    for (user, doc) in referenced_documents(m, KINDS) {
        if let Some(s) = from_document(doc).into_iter().find(Statement::is_public) {
            out.push(
                finding(
                    m,
                    doc,
                    ID,
                    s.span,
                    format!(
                        "`{}` (used by `{}`) lets anyone use the registry",
                        doc.address(),
                        user.address()
                    ),
                    "public policy",
                )
                .related(m.file(user), user.head.clone(), "the registry policy"),
            );
        }
    }
    for b in m.resources("aws_ecrpublic_repository") {
        out.push(finding(
            m,
            b,
            ID,
            b.head.clone(),
            format!(
                "`{}` is a public ECR repository: anyone can pull its images",
                b.address()
            ),
            "ecr public",
        ));
    }
    for kind in [
        "google_artifact_registry_repository_iam_member",
        "google_artifact_registry_repository_iam_binding",
    ] {
        for b in m.resources(kind) {
            let public = ["member", "members"].iter().find_map(|k| {
                b.attr(k).filter(|a| {
                    a.value
                        .strings()
                        .iter()
                        .any(|s| *s == "allUsers" || *s == "allAuthenticatedUsers")
                })
            });
            if let Some(a) = public {
                out.push(finding(
                    m,
                    b,
                    ID,
                    a.span(),
                    format!("`{}` grants the registry to everyone", b.address()),
                    "public member",
                ));
            }
        }
    }
    for b in m.resources("azurerm_container_registry") {
        if let Some(a) = b.attr("anonymous_pull_enabled")
            && a.value.as_bool() == Some(true)
        {
            out.push(finding(
                m,
                b,
                ID,
                a.span(),
                format!("`{}` allows anonymous pulls", b.address()),
                "anonymous pull",
            ));
        }
    }
}
