//! `github/secrets-inherit`: `secrets: inherit` hands every secret of the caller to a reusable
//! workflow, whatever it needs. Low severity when the called workflow is in the same repository.

use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSecretsInherit, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        if !job.secrets_inherit {
            continue;
        }
        let same_repo = job
            .uses
            .as_deref()
            .is_some_and(|u| u.trim().starts_with("./") || u.trim().starts_with("$/"));
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.value_bytes(&route_with(&job.route, Seg::Key("secrets".into()))),
                format!(
                    "job `{}` passes all of this repository's secrets to `{}`: pass only the secrets it needs, by name",
                    job.id,
                    job.uses.as_deref().unwrap_or("the reusable workflow")
                ),
            )
            .content(format!("{} secrets inherit", job.id))
            // A workflow of the same repository is the same trust domain: least privilege only.
            .severity(if same_repo { Severity::Low } else { Severity::Medium }),
        );
    }
}
