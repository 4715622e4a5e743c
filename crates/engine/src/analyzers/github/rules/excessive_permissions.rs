//! `github/excessive-permissions`: `write-all`; write scopes granted at workflow level, which
//! every job without its own `permissions:` inherits (one finding per scope; pedantic when the
//! workflow has a single job); or no `permissions:` at all where the trigger is privileged (the
//! token then has the repository's default scopes while outsiders drive the run).

use crate::analyzers::github::model::DocKind;
use crate::analyzers::github::model::{Perms, Seg, route_with};
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding};
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
                // With one job the workflow level is that job's: a style issue, not a grant
                // to jobs that do not need it.
                let persona = if m.jobs.len() > 1 {
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
