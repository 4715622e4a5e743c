//! `github/secrets-to-untrusted`: a secret (or a write-scoped GITHUB_TOKEN) is reachable by a job
//! in which untrusted code runs — PR code it checked out and executes, or attacker text
//! injected into a script — on a privileged trigger. One finding per secret, naming it.
//!
//! Reachable: secrets in the workflow's and job's `env:` (inherited by every step), secrets of
//! the executing step and every later one (the untrusted code can rewrite the workspace and
//! `$GITHUB_ENV` for them), and secrets handed to *actions* before it (they may persist them:
//! docker login, cloud credentials). A secret used only inside an earlier `run:` is not.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSecretsToUntrusted, check);

/// `scan --online`: a job on a privileged trigger passes secrets (`secrets: inherit` or by name)
/// to a called reusable workflow (fetched at the used ref) one of whose jobs checks out the PR's
/// code and runs it (the called workflow sees the caller's event). Reported at the caller's
/// `secrets:`, one finding per secret passed (one for `inherit`), the called checkout and run
/// related.
fn remote_workflow(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    use crate::analyzers::github::model::{DocKind, Model, Seg, route_with};
    use crate::analyzers::github::online::{remote_file, used};
    let Some(facts) = cx.online else { return };
    let m = a.m;
    let used = used(a, facts);
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if !job.secrets_inherit && job.secrets.is_empty() {
            continue;
        }
        if r.privileged.is_empty() || r.fork_guarded {
            continue;
        }
        let Some(uses) = &job.uses else { continue };
        let Some(u) = used.iter().find(|u| &u.text == uses && u.uses.is_workflow()) else {
            continue;
        };
        let Some(file) = remote_file(u.facts, &u.uses) else { continue };
        let Ok(cm) = Model::parse(&file, DocKind::Workflow) else { continue };
        let ca = Facts::new(&cm);
        let hit = cm.jobs.iter().zip(&ca.jobs).find_map(|(cj, cr)| {
            if cr.fork_guarded {
                return None;
            }
            let e = cr.execs.iter().find(|e| e.runs_code)?;
            Some((cj, e, cr.sources.get(e.source)?))
        });
        let Some((cj, exec, src)) = hit else { continue };
        let trigger = &r.privileged[0];
        let passed: Vec<(String, std::ops::Range<usize>)> = if job.secrets_inherit {
            vec![(
                "every secret (`secrets: inherit`)".to_string(),
                m.value_bytes(&route_with(&job.route, Seg::Key("secrets".into()))),
            )]
        } else {
            job.secrets
                .iter()
                .map(|kv| (format!("secret `{}`", kv.name), m.value_bytes(&kv.route)))
                .collect()
        };
        for (what, bytes) in passed {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "job `{}` ({trigger}) passes {what} to `{}`, whose job `{}` {} and then {}: the PR's code can read it",
                        job.id, u.text, cj.id, src.what, exec.what
                    ),
                )
                .related(&file, src.bytes.clone(), "checks out the PR's code")
                .related(&file, exec.bytes.clone(), "untrusted code runs here")
                .related(m.file, a.trigger_bytes(trigger), format!("privileged trigger `{trigger}`"))
                .content(format!("{} remote workflow {} {what}", job.id, u.uses.repo))
                .property("job", job.id.clone()),
            );
        }
    }
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    remote_workflow(a, cx, out);
    let m = a.m;
    for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
        if !r.runs_untrusted() {
            continue;
        }
        let Some(first) = r.first_untrusted_step() else {
            continue;
        };
        let trigger = &r.privileged[0];
        let (ubytes, uwhat) = untrusted_point(a, ji, first);
        let mut named: Vec<&str> = Vec::new();
        for s in &r.secrets {
            let reachable = match s.step {
                None => true,
                Some(st) => st >= first || !s.in_run,
            };
            if !reachable || named.contains(&s.name.as_str()) {
                continue;
            }
            named.push(&s.name);
            let token = s.name.eq_ignore_ascii_case("GITHUB_TOKEN");
            let what = if token {
                "the GITHUB_TOKEN".to_string()
            } else {
                format!("secret `{}`", s.name)
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    s.bytes.clone(),
                    format!(
                        "{what} is reachable by untrusted code in job `{}` ({trigger}): {uwhat}",
                        job.id
                    ),
                )
                .related(m.file, ubytes.clone(), "untrusted code runs here")
                .related(
                    m.file,
                    a.trigger_bytes(trigger),
                    format!("privileged trigger `{trigger}`"),
                )
                .content(format!("{} {}", job.id, s.name))
                .property("secret", s.name.clone())
                .property("job", job.id.clone()),
            );
        }
        // The job's own token, when it can write.
        if named.iter().any(|n| n.eq_ignore_ascii_case("GITHUB_TOKEN")) {
            continue;
        }
        let perms = m.effective_permissions(job);
        let writes = perms.map(|p| p.perms.writes()).unwrap_or_default();
        let (at, scopes) = match perms {
            None => (
                m.key_bytes(&job.route),
                "the default scopes (write on many repositories)".to_string(),
            ),
            Some(_) if writes.is_empty() => continue,
            Some(p) => (
                m.value_bytes(&p.route),
                format!("write access to {}", writes.join(", ")),
            ),
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!(
                    "the GITHUB_TOKEN of job `{}` ({trigger}) has {scopes} and is reachable by untrusted code: {uwhat}",
                    job.id
                ),
            )
            .related(m.file, ubytes, "untrusted code runs here")
            .related(m.file, a.trigger_bytes(trigger), format!("privileged trigger `{trigger}`"))
            .content(format!("{} GITHUB_TOKEN", job.id))
            .property("secret", "GITHUB_TOKEN")
            .property("job", job.id.clone())
            .severity(if perms.is_none() { Severity::High } else { Severity::Critical }),
        );
    }
}

/// Where untrusted code first runs in job `ji`, and a description.
fn untrusted_point(
    a: &Facts<'_, '_>,
    ji: usize,
    step: usize,
) -> (std::ops::Range<usize>, String) {
    let r = &a.jobs[ji];
    if let Some(e) = r.execs.iter().find(|e| e.step == step && e.runs_code) {
        let src = &r.sources[e.source];
        return (
            e.bytes.clone(),
            format!("it {} and then {}", src.what, e.what),
        );
    }
    if let Some((i, t)) = r.outsider_injections().find(|(i, _)| i.step == step) {
        return (
            i.bytes.clone(),
            format!(
                "`{}` ({}) is injected into a `{}` script",
                t.context, t.why, i.sink
            ),
        );
    }
    (0..0, "untrusted code runs".into())
}
