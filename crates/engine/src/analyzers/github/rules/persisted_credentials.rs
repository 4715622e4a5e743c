//! `github/persisted-credentials`: `actions/checkout` leaves the job's token in `.git/config`
//! (its default) and a later step uploads the workspace (or `.git`) as an artifact: anyone who
//! can download the artifact gets the token.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubPersistedCredentials, check);

fn uploads_workspace(path: &str) -> bool {
    path.lines().any(|l| {
        let p = l.trim().trim_start_matches('!');
        let p = p.trim_end_matches('/');
        matches!(
            p,
            "." | "./" | "*" | "**" | "./*" | "./**" | ".git" | "./.git"
        ) || p.starts_with("${{ github.workspace }}")
            && p.len() <= "${{ github.workspace }}/**".len()
            || p.contains(".git/")
            || p == "${{github.workspace}}"
    })
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        for (i, step) in job.steps.iter().enumerate() {
            if step.action().as_deref() != Some("actions/checkout") {
                continue;
            }
            if step
                .with_value("persist-credentials")
                .is_some_and(|v| v.value.trim() == "false")
            {
                continue;
            }
            let upload = job.steps[i + 1..].iter().find(|s| {
                matches!(
                    s.action().as_deref(),
                    Some("actions/upload-artifact" | "actions/upload-pages-artifact")
                ) && s
                    .with_value("path")
                    .is_some_and(|p| uploads_workspace(&p.value))
            });
            let Some(up) = upload else { continue };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "checkout keeps the job's token in .git/config and step `{}` uploads the workspace: set `persist-credentials: false` on the checkout",
                        up.label()
                    ),
                )
                .related(m.file, a.step_head(up), "uploads the workspace with .git/config")
                .content(format!("{} checkout {}", job.id, i)),
            );
        }
    }
}
