//! `github/excessive-permissions`: `write-all`; write scopes granted at workflow level, which
//! every job without its own `permissions:` inherits (one finding per scope; pedantic when a
//! single job inherits them); or no `permissions:` at all where the trigger is privileged (the
//! token then has the repository's default scopes while outsiders drive the run).

use crate::analyzers::github::model::DocKind;
use crate::analyzers::github::model::{Perms, Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
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
        } else if let Perms::Scopes(scopes) = &p.perms {
            // Every job that sets no `permissions:` of its own inherits these scopes.
            let inheriting: Vec<&str> = m
                .jobs
                .iter()
                .filter(|j| j.permissions.is_none() && j.uses.is_none())
                .map(|j| j.id.as_str())
                .collect();
            if !inheriting.is_empty() {
                // With one inheriting job the workflow level is that job's: a style issue, not
                // a grant to jobs that do not need it.
                let persona = if inheriting.len() > 1 {
                    Persona::Regular
                } else {
                    Persona::Pedantic
                };
                for (scope, level) in scopes {
                    if level != "write" {
                        continue;
                    }
                    let route = route_with(&p.route, Seg::Key(scope.clone()));
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            m.key_bytes(&route),
                            format!(
                                "workflow-level `{scope}: write` is inherited by {} (`{}`); grant write scopes in the job that needs them",
                                if inheriting.len() == 1 { "job".to_string() } else { format!("{} jobs", inheriting.len()) },
                                inheriting.join("`, `")
                            ),
                        )
                        .persona(persona)
                        .content(format!("workflow {scope} write")),
                    );
                }
            }
        }
    }
    if let Some(p) = &m.permissions
        && p.perms == Perms::ReadAll
    {
        out.push(
            RawFinding::new(ID, m.file, m.value_bytes(&p.route), "`permissions: read-all` lets every job read every scope (including security events, packages and actions); name the scopes the jobs need")
                .severity(Severity::Low)
                .content("workflow read-all"),
        );
    }
    let call_only = !m.triggers.is_empty() && m.triggers.iter().all(|t| t.name == "workflow_call");
    let mut implicit_jobs = 0;
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
            } else if p.perms == Perms::ReadAll {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        m.value_bytes(&p.route),
                        format!("job `{}` has `permissions: read-all`: name the scopes it reads", job.id),
                    )
                    .severity(Severity::Low)
                    .content(format!("{} read-all", job.id)),
                );
            }
            continue;
        }
        if m.permissions.is_some() {
            continue;
        }
        if job.uses.is_some() {
            // The called workflow gets this job's token: with no `permissions:` here or at the
            // workflow level, that is the repository's default, whatever the callee needs.
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.key_bytes(&job.route),
                    format!(
                        "job `{}` calls a reusable workflow without `permissions:`, and the workflow sets none: the callee gets the repository's default token scopes",
                        job.id
                    ),
                )
                .content(format!("{} reusable no permissions", job.id)),
            );
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
        } else if !call_only {
            implicit_jobs += 1;
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.key_bytes(&job.route),
                    format!(
                        "job `{}` sets no `permissions:` (nor does the workflow): its token gets the repository's default scopes",
                        job.id
                    ),
                )
                .severity(Severity::Low)
                .persona(Persona::Pedantic)
                .confidence(Confidence::Low)
                .content(format!("{} implicit permissions", job.id)),
            );
        }
    }
    if implicit_jobs > 0 && m.permissions.is_none() {
        // The whole workflow: at its first top-level key.
        let first = first_key(m.file.text.as_str());
        out.push(
            RawFinding::new(
                ID,
                m.file,
                first,
                "the workflow sets no `permissions:`: jobs without their own get the repository's default token scopes; add `permissions: {}` (or `contents: read`) at the top",
            )
            .severity(Severity::Low)
            .persona(Persona::Pedantic)
            .confidence(Confidence::Low)
            .content("workflow implicit permissions"),
        );
    }
}

/// The first line of the document that is not blank, a comment or `---`.
fn first_key(text: &str) -> std::ops::Range<usize> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with('#') || t == "---") {
            let len = line.trim_end().len();
            return pos..pos + len;
        }
        pos += line.len();
    }
    0..0
}
