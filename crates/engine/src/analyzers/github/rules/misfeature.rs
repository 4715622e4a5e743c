//! `github/misfeature`: features that work but make a workflow fail open or hard to reason
//! about: `shell: cmd` (a failing command that is not the last one does not fail the step),
//! `actions/setup-python` with `pip-install:` (packages installed unpinned into the interpreter
//! every later step shares), and, at auditor, a step shell that is none of the documented ones.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Route, Seg, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubMisfeature, check);

/// Shells GitHub documents for `run:` steps (as the head of a custom `… {0}` command too).
const KNOWN: &[&str] = &["bash", "sh", "pwsh", "powershell", "python", "python3", "cmd"];

/// The program a `shell:` value runs (`/usr/bin/env bash -e {0}` → `bash`).
fn program(shell: &str) -> Option<String> {
    let mut words = shell.split_whitespace();
    let mut w = words.next()?;
    let base = |w: &str| w.rsplit(['/', '\\']).next().unwrap_or(w).to_ascii_lowercase();
    if base(w) == "env" {
        w = words.find(|x| !x.starts_with('-'))?;
    }
    let b = base(w);
    Some(b.strip_suffix(".exe").unwrap_or(&b).to_string())
}

fn key(r: &Route, k: &str) -> Route {
    route_with(r, Seg::Key(k.into()))
}

/// Commands of a `cmd` script: lines that are not blank, comments or `^` continuations.
fn cmd_commands(run: &str) -> usize {
    let mut n = 0;
    let mut continued = false;
    for l in run.lines() {
        let t = l.trim();
        let comment = t.is_empty()
            || t.starts_with("::")
            || t.to_ascii_lowercase().starts_with("rem ")
            || t.to_ascii_lowercase().starts_with("@rem ");
        if !continued && !comment {
            n += 1;
        }
        continued = t.ends_with('^');
    }
    n
}

/// `run` is the step's script (None for a default that covers every step).
fn shell_finding(
    a: &Facts<'_, '_>,
    route: &Route,
    value: &str,
    whose: &str,
    run: Option<&str>,
    out: &mut Output,
) {
    let m = a.m;
    if value.contains("${{") {
        return;
    }
    let Some(prog) = program(value) else { return };
    let bytes = m.value_bytes(route);
    if prog == "cmd" {
        let mut f = RawFinding::new(
            ID,
            m.file,
            bytes,
            format!("{whose} runs under `cmd`: only the last command's exit status fails the step, so an earlier failure (a test, a signature check) passes silently; use `pwsh` or `bash`"),
        )
        .content(format!("shell cmd {whose}"));
        // One command: its status is the step's, nothing fails open yet.
        if run.is_some_and(|r| cmd_commands(r) <= 1) {
            f = f.persona(Persona::Pedantic);
        }
        out.push(f);
    } else if !KNOWN.contains(&prog.as_str()) {
        out.push(
            RawFinding::new(
                ID,
                m.file,
                bytes,
                format!("{whose} runs under `{value}`, not one of the shells GitHub documents: how it fails, quotes and expands is unknown to readers and to scanners"),
            )
            .persona(Persona::Auditor)
            .content(format!("shell {prog} {whose}")),
        );
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let defaults = |r: &Route| key(&key(&key(r, "defaults"), "run"), "shell");
    let wf = defaults(&Vec::new());
    if let Some(v) = m.value_at(&wf).and_then(crate::analyzers::github::model::scalar) {
        shell_finding(a, &wf, &v, "every `run:` step of the workflow", None, out);
    }
    for job in &m.jobs {
        let jr = defaults(&job.route);
        if let Some(v) = m.value_at(&jr).and_then(crate::analyzers::github::model::scalar) {
            shell_finding(
                a,
                &jr,
                &v,
                &format!("every `run:` step of job `{}`", job.id),
                None,
                out,
            );
        }
        for step in &job.steps {
            if let (Some(v), Some(run)) = (&step.shell, step.run.as_deref()) {
                shell_finding(
                    a,
                    &key(&step.route, "shell"),
                    v,
                    &format!("step `{}`", step.label()),
                    Some(run),
                    out,
                );
            }
            if step.action().as_deref() == Some("actions/setup-python")
                && let Some(kv) = step.with_value("pip-install")
                && !kv.value.trim().is_empty()
            {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        m.value_bytes(&kv.route),
                        format!("`actions/setup-python` with `pip-install: {}` installs packages into the interpreter every later step uses, outside a lockfile or virtual environment; install them in a `run:` step from a pinned, hashed requirements file", kv.value.trim()),
                    )
                    .content(format!("setup-python pip-install {}", job.id)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::program;

    #[test]
    fn cmd_scripts() {
        assert_eq!(super::cmd_commands("e2etest.exe -test.v"), 1);
        assert_eq!(super::cmd_commands("REM build\nnmake ^\n  all\nnmake test\n"), 2);
    }

    #[test]
    fn programs() {
        assert_eq!(program("bash").as_deref(), Some("bash"));
        assert_eq!(program("bash -el {0}").as_deref(), Some("bash"));
        assert_eq!(program("/usr/bin/env -S bash {0}").as_deref(), Some("bash"));
        assert_eq!(program("C:\\Windows\\cmd.exe /c {0}").as_deref(), Some("cmd"));
        assert_eq!(program("tcc -run {0}").as_deref(), Some("tcc"));
    }
}
