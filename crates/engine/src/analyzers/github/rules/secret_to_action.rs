//! `github/secret-to-action`: a secret passed to another repository's action that either (a) is
//! used by a mutable ref (tag or branch) in a job a privileged trigger starts, or (b) with
//! `scan --online`, sends that input with `curl`/`wget` to an address made of another input the
//! step fills with outsiders' text (its `action.yml` fetched at the used ref). (a) is one
//! finding per step naming its secrets, (b) one per input; GitHub's own actions, trusted owners
//! and the job token are left out of (a), which would otherwise report every `github-token:`.

use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, KeyValue, Model, Step};
use crate::analyzers::github::online::{remote_file, used};
use crate::analyzers::github::reach::OUTSIDER;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::online::parse_uses;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSecretToAction, check);

/// The secret a value expands (`secrets.NAME`), not the job's own token.
fn secret_in(value: &str) -> Option<String> {
    if !value.contains("${{") {
        return None;
    }
    expr::dataflow_contexts(value).into_iter().find_map(|c| {
        let name = c.strip_prefix("secrets.")?;
        (!name.eq_ignore_ascii_case("GITHUB_TOKEN") && !name.is_empty())
            .then(|| name.to_ascii_uppercase())
    })
}

/// Programs that send data over the network from a command line.
const SENDERS: &[&str] = &["curl", "wget"];

/// In a fetched composite action: a `run:` line that sends `inputs.<secret_input>` with curl or
/// wget to an address made of an input the caller fills with outsiders' text (or of the event
/// directly). Returns (the byte range of the line in the action file, the program, the
/// attacker's context).
fn sends_to_attacker(
    file: &crate::source::SourceFile,
    step: &Step,
    secret_input: &str,
) -> Option<(std::ops::Range<usize>, &'static str, String)> {
    let m = Model::parse(file, DocKind::Action).ok()?;
    let outsider_input = |name: &str| -> Option<String> {
        let kv = step.with_value(name)?;
        expr::dataflow_contexts(&kv.value)
            .into_iter()
            .find(|c| expr::attacker_controlled(c).is_some())
    };
    for job in &m.jobs {
        for s in &job.steps {
            let Some(run) = &s.run else { continue };
            // Env names of the action's step bound to inputs: `TOKEN: ${{ inputs.token }}`.
            let bound: Vec<(String, String)> = s
                .env
                .iter()
                .filter_map(|kv| {
                    expr::dataflow_contexts(&kv.value).into_iter().find_map(|c| {
                        c.strip_prefix("inputs.")
                            .map(|i| (kv.name.clone(), i.to_ascii_lowercase()))
                    })
                })
                .collect();
            for line in run.lines() {
                let t = line.trim_start();
                let Some(prog) = SENDERS.iter().find(|p| {
                    t.strip_prefix(**p)
                        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
                }) else {
                    continue;
                };
                let mut inputs: Vec<String> = Vec::new();
                let mut direct: Option<String> = None;
                for site in expr::find(line, 0) {
                    for c in expr::dataflow_contexts(&line[site.body.clone()]) {
                        if let Some(i) = c.strip_prefix("inputs.") {
                            inputs.push(i.to_ascii_lowercase());
                        } else if expr::attacker_controlled(&c).is_some() {
                            direct = Some(c);
                        }
                    }
                }
                for (var, input) in &bound {
                    if line.contains(&format!("${var}")) || line.contains(&format!("${{{var}}}")) {
                        inputs.push(input.clone());
                    }
                }
                let secret = secret_input.to_ascii_lowercase();
                if !inputs.contains(&secret) {
                    continue;
                }
                let attacker = direct.or_else(|| {
                    inputs
                        .iter()
                        .filter(|i| **i != secret)
                        .find_map(|i| outsider_input(i))
                });
                let Some(ctx) = attacker else { continue };
                let r = m.value_bytes(&crate::analyzers::github::model::route_with(
                    &s.route,
                    crate::analyzers::github::model::Seg::Key("run".into()),
                ));
                let at = file
                    .text
                    .get(r.clone())
                    .and_then(|v| v.find(t.trim_end()))
                    .map_or(r.clone(), |o| r.start + o..r.start + o + t.trim_end().len());
                return Some((at, prog, ctx));
            }
        }
    }
    None
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let used = cx.online.map(|f| used(a, f)).unwrap_or_default();
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let outsider = r
            .triggers
            .iter()
            .find(|t| OUTSIDER.contains(&t.as_str()) && t.as_str() != "pull_request");
        for step in &job.steps {
            let Some(uses) = &step.uses else { continue };
            let Some(u) = parse_uses(uses) else { continue };
            if u.is_workflow() {
                continue;
            }
            let carriers: Vec<(&KeyValue, bool, String)> = step
                .with
                .iter()
                .map(|kv| (kv, true))
                .chain(step.env.iter().map(|kv| (kv, false)))
                .filter_map(|(kv, with)| secret_in(&kv.value).map(|s| (kv, with, s)))
                .collect();
            if carriers.is_empty() {
                continue;
            }
            let remote = used
                .iter()
                .find(|x| &x.text == uses)
                .and_then(|x| remote_file(x.facts, &x.uses));
            let owner = u.repo.split('/').next().unwrap_or_default();
            let trusted = cx
                .config
                .github
                .trusted_action_owners
                .iter()
                .any(|t| t.eq_ignore_ascii_case(owner));
            let mutable = !u.is_sha() && !matches!(owner, "actions" | "github") && !trusted;
            let privileged = !r.privileged.is_empty() && !r.fork_guarded;
            let mut pinned_to_ref: Vec<(&KeyValue, bool, String)> = Vec::new();
            for (kv, with, secret) in carriers {
                let sent = match (&remote, with, outsider) {
                    (Some(file), true, Some(_)) => {
                        sends_to_attacker(file, step, &kv.name).map(|s| (file, s))
                    }
                    _ => None,
                };
                let bytes = m.value_bytes(&kv.route);
                let content = format!("{} {} {} {}", job.id, u.repo, kv.name, secret);
                if let Some((file, (at, prog, ctx))) = sent {
                    let trig = outsider.map(String::as_str).unwrap_or_default();
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            bytes,
                            format!(
                                "secret `{secret}` is passed as `{}` to `{uses}`, whose action.yml sends it with `{prog}` to an address this step builds from `{ctx}` ({trig}): outsiders choose where the secret goes",
                                kv.name
                            ),
                        )
                        .related(file, at, format!("sends `inputs.{}` with `{prog}`", kv.name))
                        .related(m.file, a.trigger_bytes(trig), format!("`{trig}` lets outsiders choose that text"))
                        .severity(Severity::Critical)
                        .content(content)
                        .property("secret", secret),
                    );
                    continue;
                }
                if mutable && privileged {
                    pinned_to_ref.push((kv, with, secret));
                }
            }
            // One finding per step for the mutable ref: the ref is the problem, the secrets are
            // what it exposes.
            let Some((first, _, _)) = pinned_to_ref.first() else {
                continue;
            };
            let trigger = &r.privileged[0];
            let mut names: Vec<String> = pinned_to_ref.iter().map(|(_, _, s)| s.clone()).collect();
            names.sort();
            names.dedup();
            let listed = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut f = RawFinding::new(
                ID,
                m.file,
                m.value_bytes(&first.route),
                format!(
                    "{} {listed} {} passed to `{uses}`, used by the mutable ref `{}` in job `{}` on `{trigger}`: whoever moves that ref runs code holding {}; pin the action to a commit SHA",
                    if names.len() == 1 { "secret" } else { "secrets" },
                    if names.len() == 1 { "is" } else { "are" },
                    u.git_ref,
                    job.id,
                    if names.len() == 1 { "it" } else { "them" },
                ),
            )
            .related(
                m.file,
                a.trigger_bytes(trigger),
                format!("privileged trigger `{trigger}`"),
            )
            .content(format!("{} {} {} mutable {}", job.id, step.index, u.repo, names.join(",")))
            .property("secret", names.join(","));
            for (kv, with, secret) in pinned_to_ref.iter().skip(1) {
                f = f.related(
                    m.file,
                    m.value_bytes(&kv.route),
                    format!(
                        "`{secret}` passed{}",
                        if *with { "" } else { " in `env:`" }
                    ),
                );
            }
            out.push(f);
        }
    }
}
