//! `github/script-injection`: an attacker-controlled expression (issue/PR/comment text, branch
//! names, commit messages, env vars set from them) is expanded into a `run:` script or a
//! github-script `script:`, in the file or through a local composite action's input. Passed
//! through `env:` and used as a quoted `$VAR` it is safe.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::analyzers::github::composite;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::OUTSIDER;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::github::taint::Origin;
use crate::analyzers::github::expr;
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;
use crate::source::SourceFile;

declare_rule!(RuleId::GithubScriptInjection, check);

/// Contexts whose value cannot carry code: secrets (an attacker does not choose them), numbers
/// and ids, commit SHAs, runner paths, the job's own strategy indices, repository and owner
/// names (GitHub allows only letters, digits, `-`, `_` and `.` in them).
fn constrained(ctx: &str) -> bool {
    ctx == "secrets"
        || ctx.starts_with("secrets.")
        || ctx.starts_with("runner.")
        || ctx.starts_with("strategy.")
        || matches!(
            ctx,
            "github.sha" | "github.workspace" | "github.action_path" | "github.run_id"
                | "github.run_number" | "github.run_attempt" | "github.retention_days"
                | "github.server_url" | "github.api_url" | "github.graphql_url" | "github.job"
                | "github.token" | "env.github_workspace" | "github.repository"
                | "github.repository_owner" | "github.event.repository.name"
                | "github.event.repository.full_name" | "github.event.repository.owner.login"
        )
        || [".number", ".id", "_id", ".sha", "_sha", "-sha", ".run_number", ".run_attempt", ".size", ".count", "_count"]
            .iter()
            .any(|s| ctx.ends_with(s))
}

/// At pedantic: every other expansion into code whose value is not provably constrained —
/// it bypasses shell quoting even when nobody outside chooses it today.
fn unconstrained(a: &Facts<'_, '_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        for s in r.sinks.iter().filter(|s| s.taint.is_none()) {
            let body = m.text(&s.bytes);
            let inner = body.trim().trim_start_matches("${{").trim_end_matches("}}");
            let ctx = expr::dataflow_contexts(inner).into_iter().find(|c| {
                if constrained(c) || r.clean_outputs.contains(c) {
                    return false;
                }
                // A literal matrix member (no expression in any of its values) is static.
                if let Some(k) = c.strip_prefix("matrix.") {
                    let vals = m.matrix_values(job, k);
                    return vals.is_empty() || vals.iter().any(|v| v.contains("${{"));
                }
                // Typed inputs (boolean, number, choice) are constrained; string inputs are
                // tainted already, and composite inputs are resolved across files.
                !c.starts_with("inputs.") && !c.starts_with("github.event.inputs.")
            });
            let Some(ctx) = ctx else { continue };
            let step = &job.steps[s.step];
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    s.bytes.clone(),
                    format!(
                        "`{ctx}` is expanded into the `{}` script of step `{}`: its value becomes code unescaped; pass it through `env:` and use \"$VAR\"",
                        s.sink,
                        step.label()
                    ),
                )
                .severity(Severity::Low)
                .persona(Persona::Pedantic)
                .confidence(Confidence::Low)
                .content(format!("{} {} {ctx} unescaped", job.id, step.label()))
                .property("context", ctx.clone()),
            );
        }
    }
}

/// Attacker-controlled contexts a caller may pass to an input (for used remote actions).
fn outsider_context(ctx: &str) -> bool {
    ctx == "github.head_ref"
        || [
            "github.event.issue.",
            "github.event.pull_request.",
            "github.event.comment.",
            "github.event.review.",
            "github.event.review_comment.",
            "github.event.discussion.",
            "github.event.head_commit.",
            "github.event.commits",
            "github.event.pages",
            "github.event.workflow_run.",
        ]
        .iter()
        .any(|p| ctx.starts_with(p))
            && !constrained(ctx)
}

/// `scan --online`: a used remote composite action (fetched at the pinned ref) expands one of
/// its `inputs.*` into a script, and this step passes an expression to that input. Reported at
/// the caller's `uses:`, the action's script related.
fn remote(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    use crate::analyzers::github::online::{remote_file, used};
    let Some(facts) = cx.online else { return };
    let m = a.m;
    let used = used(a, facts);
    for job in &m.jobs {
        for step in &job.steps {
            let Some(uses) = &step.uses else { continue };
            let Some(u) = used.iter().find(|u| &u.text == uses && m.file.text.get(u.bytes.clone()).is_some_and(|t| t.contains(uses.as_str()))) else {
                continue;
            };
            if u.uses.is_workflow() {
                continue;
            }
            let Some(file) = remote_file(u.facts, &u.uses) else { continue };
            for (input, sites) in composite::action_sinks(&file) {
                let Some(passed) = step.with_value(&input) else { continue };
                if !passed.value.contains("${{") {
                    continue;
                }
                let Some((range, label)) = sites.first() else { continue };
                let ctxs = expr::dataflow_contexts(&passed.value);
                // A secret, a number or a SHA carries no code.
                if !ctxs.is_empty() && ctxs.iter().all(|c| constrained(c)) {
                    continue;
                }
                let outsider = ctxs.iter().find(|c| outsider_context(c));
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    u.bytes.clone(),
                    format!(
                        "`{}` expands `inputs.{input}` into the script of its step `{label}`, and this step passes `{}` to it: {}",
                        u.text,
                        passed.value.trim(),
                        if outsider.is_some() { "outsiders choose that text and it becomes code" } else { "its text becomes code in the action" }
                    ),
                )
                .related(&file, range.clone(), format!("`inputs.{input}` expanded into a script"))
                .related(m.file, m.value_bytes(&passed.route), format!("passed as `{input}`"))
                .content(format!("remote {}@{} inputs.{input} {}", u.uses.repo, u.uses.git_ref, job.id))
                .property("context", format!("inputs.{input}"));
                if outsider.is_none() {
                    f = f.severity(Severity::Low).confidence(Confidence::Medium);
                }
                out.push(f);
            }
        }
    }
}

/// `scan --online`: a called reusable workflow (`jobs.<id>.uses: owner/repo/.github/workflows/
/// x.yml@ref`, fetched at that ref) expands one of its free-text `inputs.*` into a script, and
/// this job fills it with an expression. Reported at the caller's `uses:`, the called file's
/// script and the caller's `with:` related. Severity as for an injection in the file: outsiders'
/// text on a trigger they fire is high, on plain `pull_request` medium (the attacker already
/// controls that run), anything else low.
fn remote_workflow(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    use crate::analyzers::github::online::{remote_file, used};
    let Some(facts) = cx.online else { return };
    let m = a.m;
    let used = used(a, facts);
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let Some(uses) = &job.uses else { continue };
        let Some(u) = used.iter().find(|u| {
            &u.text == uses
                && u.uses.is_workflow()
                && m.file.text.get(u.bytes.clone()).is_some_and(|t| t.contains(uses.as_str()))
        }) else {
            continue;
        };
        let Some(file) = remote_file(u.facts, &u.uses) else { continue };
        for (input, sites) in composite::workflow_sinks(&file) {
            let Some(passed) = job.with.iter().find(|kv| kv.name.eq_ignore_ascii_case(&input))
            else {
                continue;
            };
            if !passed.value.contains("${{") {
                continue;
            }
            let Some((range, label)) = sites.first() else { continue };
            let ctxs = expr::dataflow_contexts(&passed.value);
            if !ctxs.is_empty() && ctxs.iter().all(|c| constrained(c)) {
                continue;
            }
            let outsider = ctxs.iter().find(|c| outsider_context(c));
            let fired: Vec<&String> = r
                .triggers
                .iter()
                .filter(|t| OUTSIDER.contains(&t.as_str()))
                .collect();
            let mut finding = RawFinding::new(
                ID,
                m.file,
                u.bytes.clone(),
                format!(
                    "the reusable workflow `{}` expands `inputs.{input}` into the script of `{label}`, and job `{}` passes `{}` to it: {}",
                    u.text,
                    job.id,
                    passed.value.trim(),
                    if outsider.is_some() {
                        "outsiders choose that text and it becomes code"
                    } else {
                        "its text becomes code in the called workflow"
                    }
                ),
            )
            .related(&file, range.clone(), format!("`inputs.{input}` expanded into a script"))
            .related(m.file, m.value_bytes(&passed.route), format!("passed as `{}`", passed.name))
            .content(format!(
                "remote workflow {}/{}@{} inputs.{input} {}",
                u.uses.repo, u.uses.path, u.uses.git_ref, job.id
            ))
            .property("context", format!("inputs.{input}"));
            match (outsider, fired.first()) {
                (Some(_), Some(t)) => {
                    finding = finding.related(
                        m.file,
                        a.trigger_bytes(t),
                        format!("`{t}` lets outsiders choose that text"),
                    );
                    if fired.iter().all(|t| t.as_str() == "pull_request") {
                        finding = finding.severity(Severity::Medium);
                    }
                }
                (Some(_), None) => finding = finding.severity(Severity::Medium),
                (None, _) => finding = finding.severity(Severity::Low).confidence(Confidence::Medium),
            }
            out.push(finding);
        }
    }
}

pub fn check(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    remote(a, cx, out);
    remote_workflow(a, cx, out);
    if cx.persona() >= Persona::Pedantic {
        unconstrained(a, out);
    }
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        let outsider = r.triggers.iter().find(|t| OUTSIDER.contains(&t.as_str()));
        for (inj, taint) in r.injections() {
            let step = &job.steps[inj.step];
            let mut f = RawFinding::new(
                ID,
                m.file,
                inj.bytes.clone(),
                format!(
                    "`{}` ({}) is expanded into the `{}` script of step `{}`: its text becomes code; pass it through `env:` and use \"$VAR\"",
                    taint.context,
                    taint.why,
                    inj.sink,
                    step.label()
                ),
            )
            .content(format!("{} {} {}", job.id, step.label(), taint.context))
            .property("context", taint.context.clone());
            if taint.origin == Origin::Writer {
                // Only someone who can dispatch, call or push chooses the text.
                out.push(f.severity(Severity::Low).confidence(Confidence::Medium));
                continue;
            }
            match outsider {
                Some(t) => {
                    f = f.related(
                        m.file,
                        a.trigger_bytes(t),
                        format!("`{t}` lets outsiders choose that text"),
                    );
                    // On plain pull_request the attacker already controls the workflow.
                    if !r
                        .triggers
                        .iter()
                        .any(|t| t != "pull_request" && OUTSIDER.contains(&t.as_str()))
                    {
                        f = f.severity(Severity::Medium);
                    }
                }
                None if !r.triggers.is_empty() => f = f.severity(Severity::Medium),
                None => {}
            }
            out.push(f);
        }
    }
}

/// A composite action that no file of the tree calls expands `inputs.X` into a script: whoever
/// calls it (in another repository) controls the text. Low confidence: the callers may pass
/// only constants.
fn uncalled(files: &[Arc<SourceFile>], out: &mut Output) {
    for u in composite::uncalled_inputs(files) {
        out.push(
            RawFinding::new(
                ID,
                u.action,
                u.range.clone(),
                format!(
                    "`inputs.{}` is expanded into the script of step `{}`: whoever calls this action chooses that text and it becomes code; pass it through `env:` and use \"$VAR\"",
                    u.input, u.label
                ),
            )
            .severity(Severity::Low)
            .confidence(Confidence::Low)
            .content(format!("{} uncalled inputs.{} {}", u.action.path, u.input, u.label))
            .property("context", format!("inputs.{}", u.input)),
        );
    }
}

/// Across files: a workflow passes attacker-controlled text to a local composite action that
/// expands the input into a script; reported in the action, the workflow's `with:` related.
pub fn check_project(files: &[Arc<SourceFile>], out: &mut Output) {
    uncalled(files, out);
    let mut seen = BTreeSet::new();
    for t in composite::tainted_inputs(files) {
        if !seen.insert((t.action.path.clone(), t.range.start, t.workflow.path.clone())) {
            continue;
        }
        let mut f = RawFinding::new(
            ID,
            t.action,
            t.range.clone(),
            format!(
                "`inputs.{}` is expanded into the script of step `{}`, and `{}` passes `{}` ({}) to it: its text becomes code",
                t.input, t.label, t.workflow.path, t.context, t.why
            ),
        )
        .related(
            t.workflow,
            t.with_bytes.clone(),
            format!("attacker-controlled `{}` passed as `{}`", t.context, t.input),
        )
        .content(format!(
            "{} inputs.{} {}",
            t.action.path, t.input, t.workflow.path
        ))
        .property("context", t.context.clone());
        if let Some(trig) = t.outsider.first() {
            f = f.related(
                t.workflow,
                t.trigger_bytes.clone(),
                format!("`{trig}` lets outsiders choose that text"),
            );
        }
        if !t.outsider.iter().any(|t| t.as_str() != "pull_request") {
            f = f.severity(Severity::Medium);
        }
        out.push(f);
    }
}
