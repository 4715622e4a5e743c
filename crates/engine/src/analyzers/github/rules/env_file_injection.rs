//! `github/env-file-injection`: untrusted data written to `$GITHUB_ENV` / `$GITHUB_PATH` /
//! `$GITHUB_OUTPUT`. A newline in the data defines any variable for later steps (`BASH_ENV`,
//! `LD_PRELOAD`, `NODE_OPTIONS`…) or prepends a directory to `PATH`. Untrusted: an
//! attacker-controlled expression, an env var bound to one, or file contents read after the job
//! checked out PR code or downloaded a triggering run's artifacts.

use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::github::model::DocKind;
use crate::finding::{Confidence, RawFinding, Severity};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubEnvFileInjection, check);

const FILES: &[&str] = &["GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT"];

/// Steps of job `ji` that write untrusted data to an env file, with what they write (the
/// composite-action case of computed content left out). `dangerous-trigger` asks this too.
pub fn tainted_writes(a: &Facts<'_, '_>, ji: usize) -> Vec<(usize, String)> {
    let mut out = Output::default();
    job_writes(a, ji, &mut out);
    out.findings
        .iter()
        .filter(|f| f.confidence != Some(Confidence::Low))
        .filter_map(|f| {
            let step: usize = f.properties.get("step")?.parse().ok()?;
            Some((step, f.properties.get("what")?.clone()))
        })
        .collect()
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for ji in 0..a.jobs.len() {
        job_writes(a, ji, out);
    }
    for f in &mut out.findings {
        if f.rule_id == ID.as_str() {
            f.properties.remove("step");
            f.properties.remove("what");
        }
    }
}

fn job_writes(a: &Facts<'_, '_>, ji: usize, out: &mut Output) {
    let m = a.m;
    let (job, r) = (&m.jobs[ji], &a.jobs[ji]);
    {
        for (si, step) in job.steps.iter().enumerate() {
            let Some(run) = step.run.as_deref() else {
                continue;
            };
            // Variables bound to text that can hold a newline (branch names cannot).
            let mut tainted: Vec<String> = m
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
            let composite = m.kind == DocKind::Action;
            let mut pos = 0;
            for line in run.split_inclusive('\n') {
                let start = pos;
                pos += line.len();
                // A shell variable assigned from a tainted one carries its taint:
                // `msg=$(echo "$TITLE" | sed …)`, `read -r msg <<< "$TITLE"`.
                if let Some(name) = derived_var(line, &tainted) {
                    tainted.push(name);
                }
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
                // In a composite action the caller is unknown: any computed content counts.
                let mut low = false;
                if why.is_none() && composite && computed(line, file) {
                    why = Some("computed content (the action's caller can influence it)".into());
                    low = true;
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
                .property("file", (*file).to_string())
                .property("step", si.to_string())
                .property("what", why.clone());
                if *file == "GITHUB_OUTPUT" {
                    f = f.severity(Severity::Medium);
                }
                if low {
                    f = f.severity(Severity::Low).confidence(Confidence::Low);
                }
                out.push(f);
            }
        }
    }
}

/// `NAME=…$T…` / `export NAME=…` / `read [-r] NAME <<< …$T…` where `T` is tainted: `NAME`.
pub(crate) fn derived_var(line: &str, tainted: &[String]) -> Option<String> {
    let l = line.trim();
    let mentions = |rhs: &str| {
        tainted
            .iter()
            .any(|v| rhs.contains(&format!("${v}")) || rhs.contains(&format!("${{{v}}}")))
    };
    if let Some(rest) = l.strip_prefix("read ") {
        let (lhs, rhs) = rest.split_once("<<<")?;
        let name = lhs.split_whitespace().rfind(|w| !w.starts_with('-'))?;
        return mentions(rhs).then(|| name.to_string());
    }
    let l = l
        .strip_prefix("export ")
        .or_else(|| l.strip_prefix("local "))
        .or_else(|| l.strip_prefix("declare "))
        .unwrap_or(l);
    let (name, rhs) = l.split_once('=')?;
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    (ok && mentions(rhs)).then(|| name.to_string())
}

/// The write puts computed text into the file: a command substitution, a variable other than
/// the file's own name (`$X`, `${X}`, `$env:X`, `%X%`).
fn computed(segment: &str, file: &str) -> bool {
    let s = segment
        .replace(&format!("${{{file}}}"), "")
        .replace(&format!("$env:{file}"), "")
        .replace(&format!("%{file}%"), "")
        .replace(&format!("${file}"), "");
    s.contains('$') || s.contains('`') || {
        let parts: Vec<&str> = s.split('%').collect();
        parts.len() >= 3
            && parts[1..parts.len() - 1]
                .iter()
                .any(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    }
}

/// The `&&` / `||` / `;` separated part of a line that writes to `file`, when it writes.
pub(crate) fn writer_segment<'l>(line: &'l str, file: &str) -> Option<&'l str> {
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
        .find(|p| {
            p.contains(file)
                && (p.contains(">>")
                    || p.contains("tee")
                    || p.contains("Add-Content")
                    || p.contains("Out-File"))
        })
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

    #[test]
    fn shell_variables() {
        let t = vec!["TITLE".to_string()];
        assert_eq!(
            super::derived_var("m=$(echo \"$TITLE\" | sed 's/x//')", &t).as_deref(),
            Some("m")
        );
        assert_eq!(super::derived_var("read -r m <<< \"$TITLE\"", &t).as_deref(), Some("m"));
        assert!(super::derived_var("m=$(date)", &t).is_none());
        assert!(super::computed(" echo \"foo=$(bar)\" >> $GITHUB_ENV", "GITHUB_ENV"));
        assert!(super::computed(" echo LIB=%LIB% >> %GITHUB_ENV%", "GITHUB_ENV"));
        assert!(!super::computed(" echo foo=bar >> $GITHUB_ENV", "GITHUB_ENV"));
    }
}
