//! `github/dangerous-trigger`: a finding on the trigger itself — `pull_request_target` or
//! `workflow_run` starts a job that consumes what an outsider controls (regular: runs PR code or
//! artifacts, expands PR text into a script, writes it to an env file — as `env-file-injection`
//! judges it —, gates on a spoofable bot check) or, at pedantic, merely holds a secret or a write-scoped token. A job with a read-only
//! token, no secret and no attacker input stays silent at every persona. The other rules report
//! the steps; this one anchors the path where the trigger is declared.

use super::env_file_injection;
use crate::analyzers::github::facts::{Facts, JobFacts};
use crate::analyzers::github::model::{Job, Model, Perms};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubDangerousTrigger, check);

const TRIGGERS: &[&str] = &["pull_request_target", "workflow_run"];

/// What in the job an outsider drives, if anything (regular persona).
fn consumes(a: &Facts<'_, '_>, ji: usize, job: &Job, r: &JobFacts) -> Option<String> {
    if let Some(e) = r.execs.iter().find(|e| e.runs_code) {
        let src = &r.sources[e.source];
        return Some(format!(
            "job `{}` {} and step `{}` {}",
            job.id,
            src.what,
            job.steps[e.step].label(),
            e.what
        ));
    }
    if let Some((s, t)) = r.outsider_injections().next() {
        return Some(format!(
            "job `{}` expands `{}` into the script of step `{}`",
            job.id,
            t.context,
            job.steps[s.step].label()
        ));
    }
    if let Some((si, why)) = env_file_injection::tainted_writes(a, ji).into_iter().next() {
        return Some(format!(
            "step `{}` of job `{}` writes {why} to an env file",
            job.steps[si].label(),
            job.id
        ));
    }
    let cond = job.if_cond.as_deref().unwrap_or_default().to_ascii_lowercase();
    if cond.contains("[bot]") && (cond.contains("github.actor") || cond.contains("triggering_actor")) {
        return Some(format!(
            "job `{}` is gated only by a bot-name check on the actor, which anyone can satisfy",
            job.id
        ));
    }
    None
}

/// What privilege the job holds (pedantic persona): a secret, or a token that can write.
fn holds(m: &Model<'_>, job: &Job, r: &JobFacts) -> Option<String> {
    if let Some(s) = r.secrets.iter().find(|s| s.name != "GITHUB_TOKEN") {
        return Some(format!("job `{}` holds the secret `{}`", job.id, s.name));
    }
    match m.effective_permissions(job).map(|p| &p.perms) {
        None => Some(format!(
            "job `{}` has no `permissions:`, so its token gets the repository's default (often write) scopes",
            job.id
        )),
        Some(Perms::WriteAll) => Some(format!("job `{}` has a write-all token", job.id)),
        Some(p) => {
            let w = p.writes();
            (!w.is_empty()).then(|| format!("job `{}` has a token that can write {}", job.id, w.join(", ")))
        }
    }
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for trig in TRIGGERS {
        let Some(t) = m.trigger(trig) else { continue };
        let mut regular: Vec<String> = Vec::new();
        let mut pedantic: Vec<String> = Vec::new();
        for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
            if !r.triggers.iter().any(|x| x == trig) || r.fork_guarded {
                continue;
            }
            if let Some(why) = consumes(a, ji, job, r) {
                regular.push(why);
            } else if let Some(why) = holds(m, job, r) {
                pedantic.push(why);
            }
        }
        let (persona, whys, sev) = if !regular.is_empty() {
            (Persona::Regular, regular, Severity::High)
        } else if !pedantic.is_empty() && cx.persona() >= Persona::Pedantic {
            (Persona::Pedantic, pedantic, Severity::Medium)
        } else {
            continue;
        };
        let more = if whys.len() > 1 {
            format!(" (and {} more)", whys.len() - 1)
        } else {
            String::new()
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                m.key_bytes(&t.route),
                format!(
                    "`{trig}` runs this workflow with the base repository's secrets and token on events outsiders cause, and {}{more}",
                    whys[0]
                ),
            )
            .severity(sev)
            .persona(persona)
            .content(format!("{trig} {}", whys[0])),
        );
    }
}
