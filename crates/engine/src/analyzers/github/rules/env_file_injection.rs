//! `github/env-file-injection`: untrusted data written to `$GITHUB_ENV` / `$GITHUB_PATH` /
//! `$GITHUB_OUTPUT`. A newline in the data defines any variable for later steps (`BASH_ENV`,
//! `LD_PRELOAD`, `NODE_OPTIONS`…) or prepends a directory to `PATH`. Untrusted: an
//! attacker-controlled expression, an env var bound to one, or file contents read after the job
//! checked out PR code or downloaded a triggering run's artifacts.

use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubEnvFileInjection, check);

const FILES: &[&str] = &["GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"];

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for (ji, (job, r)) in m.jobs.iter().zip(&a.jobs).enumerate() {
        for (si, step) in job.steps.iter().enumerate() {
            let Some(run) = step.run.as_deref() else {
                continue;
            };
            // Variables bound to text that can hold a newline (branch names cannot).
            let tainted: Vec<String> = m
                .env
                .iter()
                .chain(&job.env)
                .chain(&step.env)
                .filter(|kv| {
                    expr::find(&kv.value, 0).iter().any(|s| {
                        expr::dataflow_contexts(&kv.value[s.body.clone()])
                            .iter()
                            .any(|c| expr::can_hold_newline(c))
                    })
                })
                .map(|kv| kv.name.clone())
                .collect();
            let after_untrusted = !r.privileged.is_empty() && r.sources.iter().any(|s| s.step < si);
            let mut pos = 0;
            for line in run.split_inclusive('\n') {
                let start = pos;
                pos += line.len();
                let Some(file) = FILES.iter().find(|f| line.contains(*f)) else {
                    continue;
                };
                // Only the list element that writes the file (`check || echo X >> $GITHUB_ENV`).
                let full = line;
                let Some(line) = writer_segment(line, file) else {
                    continue;
                };
                let mut why = None;
                for s in expr::find(line, 0) {
                    if let Some(c) = expr::dataflow_contexts(&line[s.body.clone()])
                        .into_iter()
                        .find(|c| expr::can_hold_newline(c))
                    {
                        why = Some(format!("`{c}`"));
                        break;
                    }
                }
                if why.is_none() {
                    why = tainted
                        .iter()
                        .find(|v| {
                            line.contains(&format!("${v}")) || line.contains(&format!("${{{v}}}"))
                        })
                        .map(|v| format!("`${v}` (set from attacker-controlled text)"));
                }
                if why.is_none()
                    && after_untrusted
                    && ["$(cat", "$(<", "cat ", "jq ", "$(head", "< "]
                        .iter()
                        .any(|p| line.contains(p))
                {
                    why = Some("file contents from untrusted code or artifacts".into());
                }
                let Some(why) = why else { continue };
                let trimmed = full.trim_end().len();
                let lead = full.len() - full.trim_start().len();
                let bytes = a.run_range(ji, si, &(start + lead..start + trimmed.max(lead + 1)));
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "step `{}` writes {why} to ${file}: a newline in it sets arbitrary variables or paths for the following steps",
                        step.label()
                    ),
                )
                .content(format!("{} {} {file}", job.id, step.label()))
                .property("file", (*file).to_string());
                if *file == "GITHUB_OUTPUT" {
                    f = f.severity(Severity::Medium);
                }
                out.push(f);
            }
        }
    }
}

/// The `&&` / `||` / `;` separated part of a line that writes to `file`, when it writes.
fn writer_segment<'l>(line: &'l str, file: &str) -> Option<&'l str> {
    let mut parts = Vec::new();
    let (mut start, mut quote, mut prev) = (0, None::<char>, ' ');
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, ';') => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            (None, '&' | '|') if prev == c && i > start => {
                parts.push(&line[start..i - 1]);
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    parts.push(&line[start..]);
    parts
        .into_iter()
        .find(|p| p.contains(file) && (p.contains(">>") || p.contains("tee")))
}

#[cfg(test)]
mod tests {
    use super::writer_segment;

    #[test]
    fn segments() {
        let l = "echo \"$BODY\" | grep -q x || echo \"X=1\" >> $GITHUB_ENV";
        assert_eq!(
            writer_segment(l, "GITHUB_ENV"),
            Some(" echo \"X=1\" >> $GITHUB_ENV")
        );
        assert!(writer_segment("echo $GITHUB_ENV", "GITHUB_ENV").is_none());
        assert!(writer_segment("echo \"a=$T\" | tee -a $GITHUB_ENV", "GITHUB_ENV").is_some());
    }
}
