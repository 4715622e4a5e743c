//! `github/untrusted-checkout`: a privileged trigger checks out (or fetches) the PR's code and a
//! later step executes it. A checkout that nothing runs, or a same-repository-only job, is fine.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::reach::SourceKind;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUntrustedCheckout, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (job, r) in m.jobs.iter().zip(&a.jobs) {
        if r.privileged.is_empty() || r.fork_guarded {
            continue;
        }
        for (si, src) in r.sources.iter().enumerate() {
            if src.kind != SourceKind::Code {
                continue;
            }
            let execs: Vec<_> = r.execs.iter().filter(|e| e.source == si).collect();
            let Some(first) = execs.first() else { continue };
            let trigger = &r.privileged[0];
            let exec_step = &job.steps[first.step];
            let mut msg = format!(
                "job `{}` runs on `{trigger}` and {}; step `{}` then {}: anyone who can open a pull request runs code with this job's secrets and token",
                job.id,
                src.what,
                exec_step.label(),
                first.what
            );
            let mut f_sev = None;
            if let Some(g) = &r.gate {
                msg.push_str(&format!(" (the job is gated by {g}, but the PR author still controls the code that runs)"));
                f_sev = Some(Severity::High);
            }
            let mut f = RawFinding::new(ID, m.file, src.bytes.clone(), msg)
                .related(
                    m.file,
                    a.trigger_bytes(trigger),
                    format!("privileged trigger `{trigger}`"),
                )
                .related(
                    m.file,
                    first.bytes.clone(),
                    format!("executes the checked-out code: {}", first.what),
                )
                .content(format!("{} {} {}", job.id, src.what, trigger))
                .property("job", job.id.clone())
                .property("trigger", trigger.clone());
            for e in execs.iter().skip(1).take(2) {
                f = f.related(
                    m.file,
                    e.bytes.clone(),
                    format!("also executes it: {}", e.what),
                );
            }
            if let Some(s) = f_sev {
                f = f.severity(s);
            }
            out.push(f);
            // The executing step is where the attacker's code runs: its own finding, the
            // checkout related (unless the fetch and the run are the same step).
            if first.step != src.step {
                let line = m.file.span(src.bytes.clone()).start.line;
                let mut g = RawFinding::new(
                    ID,
                    m.file,
                    first.bytes.clone(),
                    format!(
                        "step `{}` {} — the pull request's code fetched at line {line} — in job `{}` on `{trigger}`, with the job's secrets and token",
                        exec_step.label(),
                        first.what,
                        job.id
                    ),
                )
                .related(m.file, src.bytes.clone(), "checks out the pull request's code")
                .related(
                    m.file,
                    a.trigger_bytes(trigger),
                    format!("privileged trigger `{trigger}`"),
                )
                .content(format!("{} exec {} {}", job.id, exec_step.label(), trigger))
                .property("job", job.id.clone())
                .property("trigger", trigger.clone());
                if let Some(s) = f_sev {
                    g = g.severity(s);
                }
                out.push(g);
            }
        }
    }
}
