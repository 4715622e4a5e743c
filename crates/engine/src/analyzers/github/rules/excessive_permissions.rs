//! `github/excessive-permissions`: `write-all`; write scopes granted at workflow level to every
//! job of a multi-job workflow; or no `permissions:` at all where the trigger is privileged (the
//! token then has the repository's default scopes while outsiders drive the run).

use crate::analyzers::github::model::DocKind;
use crate::analyzers::github::model::Perms;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubExcessivePermissions, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    if m.kind != DocKind::Workflow {
        return;
    }
    if let Some(p) = &m.permissions {
        if p.perms == Perms::WriteAll {
            out.push(
                RawFinding::new(ID, m.file, m.value_bytes(&p.route), "`permissions: write-all` gives every job a token that can write to everything in the repository")
                    .content("workflow write-all"),
            );
        } else {
            let writes = p.perms.writes();
            let jobs_without_own = m
                .jobs
                .iter()
                .filter(|j| j.permissions.is_none() && j.uses.is_none())
                .count();
            if !writes.is_empty() && jobs_without_own > 1 {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        m.value_bytes(&p.route),
                        format!(
                            "workflow-level permissions grant write access ({}) to all {jobs_without_own} jobs that do not set their own; grant write scopes per job, only where needed",
                            writes.join(", ")
                        ),
                    )
                    .content(format!("workflow writes {}", writes.join(","))),
                );
            }
        }
    }
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if let Some(p) = &job.permissions {
            if p.perms == Perms::WriteAll {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        m.value_bytes(&p.route),
                        format!("job `{}` has `permissions: write-all`", job.id),
                    )
                    .content(format!("{} write-all", job.id)),
                );
            }
            continue;
        }
        if m.permissions.is_some() || job.uses.is_some() {
            continue;
        }
        if let Some(t) = r.privileged.first() {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.key_bytes(&job.route),
                    format!(
                        "job `{}` runs on `{t}` without a `permissions:` block: its token gets the repository's default scopes (often write to contents, packages, pull requests)",
                        job.id
                    ),
                )
                .related(m.file, a.trigger_bytes(t), format!("privileged trigger `{t}`"))
                .content(format!("{} no permissions {t}", job.id)),
            );
        }
    }
}
