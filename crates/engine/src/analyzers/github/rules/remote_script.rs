//! `github/remote-script`: a `run:` step executes a script it downloads (`curl … | sh`,
//! `bash <(curl …)`, `iex (iwr …)`). High when the step can read a secret (its `env:` or
//! script references one, or the job's or workflow's `env:` does).

use pipeguard_shell::classify::Kind;

use crate::analyzers::github::facts::Facts;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubRemoteScript, check);

/// `iex (iwr …)` / `Invoke-Expression (Invoke-RestMethod …)` / `… | iex` on one line: the byte
/// range of the line in `run`.
fn pwsh_eval(run: &str) -> Vec<(std::ops::Range<usize>, &'static str)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for line in run.split_inclusive('\n') {
        let l = line.to_ascii_lowercase();
        let evals = l.contains("iex") || l.contains("invoke-expression");
        let fetches = ["iwr", "irm", "invoke-webrequest", "invoke-restmethod", "downloadstring", "new-object net.webclient"]
            .iter()
            .any(|w| l.contains(w));
        if evals && fetches && !l.trim_start().starts_with('#') {
            let lead = line.len() - line.trim_start().len();
            out.push((pos + lead..pos + line.trim_end().len(), "Invoke-Expression of a download"));
        }
        pos += line.len();
    }
    out
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
        for (si, step) in job.steps.iter().enumerate() {
            let Some(run) = step.run.as_deref() else { continue };
            let info = &r.steps[si];
            let mut hits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
            if let Some(script) = &info.script {
                for action in info.actions.iter().filter(|x| x.kind == Kind::DownloadExec) {
                    let Some(cmd) = script.commands.get(action.command) else { continue };
                    let end = script.piped_into(cmd).map_or(cmd.span.end, |n| n.span.end);
                    hits.push((cmd.span.start..end, action.tool.clone()));
                }
            }
            for (range, what) in pwsh_eval(run) {
                if !hits.iter().any(|(h, _)| h.start <= range.start && range.start < h.end.max(h.start + 1)) {
                    hits.push((range, what.to_string()));
                }
            }
            if hits.is_empty() {
                continue;
            }
            // Secrets the step can read: its own references, and job/workflow-level ones.
            let secret = r
                .secrets
                .iter()
                .find(|s| s.step == Some(si) || s.step.is_none())
                .map(|s| s.name.clone());
            for (range, what) in hits {
                let bytes = a.run_range(ji, si, &range);
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    bytes.clone(),
                    format!(
                        "step `{}` runs a script downloaded at run time ({what}) without verifying it{}",
                        step.label(),
                        match &secret {
                            Some(s) => format!(", with the secret `{s}` in reach"),
                            None => String::new(),
                        }
                    ),
                )
                .content(format!("{} {} {}", job.id, step.label(), m.text(&bytes)));
                if secret.is_some() {
                    f = f.severity(Severity::High);
                }
                out.push(f);
            }
        }
    }
}
