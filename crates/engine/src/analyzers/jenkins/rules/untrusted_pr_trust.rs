//! `jenkins/untrusted-pr-trust`: a multibranch project or organisation folder discovers pull
//! (merge) requests from forks and trusts their Jenkinsfile: `TrustEveryone` runs any fork's
//! pipeline definition with the job's credentials (critical); GitHub's and Gitea's
//! `TrustContributors` and GitLab's `TrustMembers`/`TrustContributors` trust people who need no
//! write access to the repository (medium). `TrustPermission`, `TrustNobody` and Bitbucket's
//! `TrustTeamForks` (forks owned by the repository's own workspace) build fork PRs with the target
//! branch's Jenkinsfile or trust only writers. GitHub, Gitea and Bitbucket name the trait
//! `ForkPullRequestDiscoveryTrait`, GitLab `ForkMergeRequestDiscoveryTrait`.

use crate::analyzers::Output;
use crate::analyzers::jenkins::xml::Element;
use crate::finding::{RawFinding, Severity};
use crate::source::SourceFile;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsUntrustedPrTrust, check, kind = JobCheck);

pub fn check(file: &SourceFile, root: &Element, job: &str, out: &mut Output) {
    root.walk("", &mut |el, _| {
        if !(el.name.ends_with("ForkPullRequestDiscoveryTrait")
            || el.name.ends_with("ForkMergeRequestDiscoveryTrait"))
        {
            return;
        }
        let Some(trust) = el.child("trust") else {
            return;
        };
        let class = trust.attr("class").unwrap_or_default();
        let level = class.rsplit(['$', '.']).next().unwrap_or(class);
        let severity = match level {
            "TrustEveryone" => Severity::Critical,
            "TrustContributors" | "TrustMembers" => Severity::Medium,
            _ => return,
        };
        out.push(
            RawFinding::new(
                ID,
                file,
                trust.span.clone(),
                format!(
                    "job `{job}` builds fork {} requests with their own Jenkinsfile ({level}): a fork can change the pipeline and use the job's credentials",
                    if el.name.ends_with("ForkMergeRequestDiscoveryTrait") { "merge" } else { "pull" }
                ),
            )
            .related(file, el.span.start..el.span.start + el.name.len() + 1, "fork PR discovery")
            .severity(severity)
            .content(format!("{job} {level}"))
            .property("trust", level),
        );
    });
}
