//! `jenkins/untrusted-pr-trigger`: a job trigger that builds pull requests of anyone — GHPRB
//! `permitAll`, GHPRB organisation members as admins, the GitLab plugin's merge-request trigger
//! with an SCM that checks out the source project (the fork). Critical when the job binds
//! credentials, high otherwise; organisation admins medium.

use crate::analyzers::Output;
use crate::analyzers::jenkins::xml::Element;
use crate::analyzers::rule::declare_rule;
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;
use crate::source::SourceFile;

declare_rule!(RuleId::JenkinsUntrustedPrTrigger, check, kind = JobCheck);

fn is_true<'a>(el: &'a Element, name: &str) -> Option<&'a Element> {
    el.child(name).filter(|c| c.text.trim() == "true")
}

fn non_empty(el: &Element, name: &str) -> bool {
    el.child(name).is_some_and(|c| !c.text.trim().is_empty())
}

/// Where the job binds a credential its build steps can read (not the SCM's checkout
/// credential, not a trigger's API credential).
pub(crate) fn binds_credentials(root: &Element) -> bool {
    let mut found = false;
    for top in &root.children {
        if matches!(top.name.as_str(), "scm" | "scms" | "triggers") {
            continue;
        }
        top.walk("", &mut |el, parent| {
            if found {
                return;
            }
            if el.name == "credentialsId"
                && !el.text.trim().is_empty()
                && !parent.ends_with("UserRemoteConfig")
                && !parent.contains("Trigger")
            {
                found = true;
            }
            if el.name == "script"
                && ["withCredentials", "credentials(", "sshagent"]
                    .iter()
                    .any(|w| el.text.contains(w))
            {
                found = true;
            }
        });
    }
    found
}

/// The SCM checks out the merge request's source project (the GitLab plugin's variables).
fn scm_checks_out_source_project(root: &Element) -> Option<&Element> {
    let mut hit = None;
    root.walk("", &mut |el, _| {
        if hit.is_none()
            && el.name == "url"
            && el.text.contains("gitlabSourceRepo")
        {
            hit = Some(el);
        }
    });
    hit
}

fn head(el: &Element) -> std::ops::Range<usize> {
    el.span.start..el.span.start + el.name.len() + 1
}

pub fn check(file: &SourceFile, root: &Element, job: &str, out: &mut Output) {
    let creds = binds_credentials(root);
    let (sev, with) = if creds {
        (Severity::Critical, ", and the job binds credentials it can read")
    } else {
        (Severity::High, "")
    };
    let mut found: Vec<RawFinding> = Vec::new();
    root.walk("", &mut |el, _| match el.short_name() {
        "GhprbTrigger" => {
            if let Some(p) = is_true(el, "permitAll") {
                found.push(
                    RawFinding::new(
                        ID,
                        file,
                        p.span.clone(),
                        format!(
                            "job `{job}`: the GitHub Pull Request Builder trigger has `permitAll`, so any GitHub user's pull request is built without an admin's approval{with}"
                        ),
                    )
                    .related(file, head(el), "GHPRB trigger")
                    .severity(sev)
                    .content(format!("{job} ghprb permitAll"))
                    .property("trigger", "ghprb")
                    .property("credentials", if creds { "true" } else { "false" }),
                );
            } else if let Some(a) = is_true(el, "allowMembersOfWhitelistedOrgsAsAdmin")
                && non_empty(el, "orgslist")
            {
                found.push(
                    RawFinding::new(
                        ID,
                        file,
                        a.span.clone(),
                        format!(
                            "job `{job}`: the GitHub Pull Request Builder trigger makes every member of its `orgslist` organisations an admin who can start a stranger's pull request"
                        ),
                    )
                    .related(file, head(el), "GHPRB trigger")
                    .severity(Severity::Medium)
                    .content(format!("{job} ghprb org admins"))
                    .property("trigger", "ghprb")
                    .property("credentials", if creds { "true" } else { "false" }),
                );
            }
        }
        "GitLabPushTrigger" => {
            let Some(mr) = is_true(el, "triggerOnMergeRequest") else {
                return;
            };
            let Some(url) = scm_checks_out_source_project(root) else {
                return;
            };
            found.push(
                RawFinding::new(
                    ID,
                    file,
                    mr.span.clone(),
                    format!(
                        "job `{job}`: the GitLab trigger builds merge requests and the SCM checks out their source project, so a merge request from any fork runs its own code{with}"
                    ),
                )
                .related(file, head(el), "GitLab trigger")
                .related(file, url.span.clone(), "the merge request's source project")
                .severity(sev)
                .content(format!("{job} gitlab fork merge request"))
                .property("trigger", "gitlab")
                .property("credentials", if creds { "true" } else { "false" }),
            );
        }
        _ => {}
    });
    for f in found {
        out.push(f);
    }
}
