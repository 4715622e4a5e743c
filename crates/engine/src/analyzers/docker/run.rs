//! `RUN` instructions as shell scripts. The Dockerfile text of a shell-form `RUN` is turned into
//! bash of the *same length* (comment and empty lines inside continuations blanked, the escape
//! directive's continuation character rewritten as `\`), so every span the shell parser reports
//! is a file offset after adding the argument's start. Here-document bodies of `RUN <<EOF` are
//! scripts of their own; exec-form `RUN ["a", "b"]` becomes one command.

use std::ops::Range;

use parse_dockerfile::{Command as DfCommand, RunInstruction};

use super::heredoc::Body;
use pipeguard_shell::{self as shell, Command, Pipeline, Quoting, Script, Word};

/// One analysed `RUN`.
pub struct Run {
    /// Stage index and instruction index inside the stage.
    pub stage: usize,
    pub index: usize,
    /// From the `RUN` keyword to the end of its arguments (heredoc bodies included).
    pub span: Range<usize>,
    /// The scripts it runs, spans in file offsets.
    pub scripts: Vec<Script>,
    pub exec_form: bool,
    /// `--mount=…` option values (`type=cache,target=/root/.cache`).
    pub mounts: Vec<String>,
}

impl Run {
    /// Every command of every script, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.scripts.iter().flat_map(|s| s.commands.iter())
    }

    /// A `--mount=type=cache` whose target starts with one of `prefixes`.
    pub fn has_cache_mount(&self, prefixes: &[&str]) -> bool {
        self.mounts.iter().any(|m| {
            let mut is_cache = false;
            let mut target = "";
            for part in m.split(',') {
                match part.split_once('=') {
                    Some(("type", "cache")) => is_cache = true,
                    Some(("target" | "dst" | "destination", t)) => target = t,
                    _ => {}
                }
            }
            is_cache && prefixes.iter().any(|p| target.starts_with(p))
        })
    }

    /// The literal value of a top-level `NAME=value` statement of the scripts
    /// (`buildDeps='gcc make' && apt-get install $buildDeps`).
    pub fn assigned(&self, name: &str) -> Option<String> {
        self.scripts
            .iter()
            .flat_map(|s| &s.statement_assignments)
            .find(|(n, v)| n == name && v.is_literal())
            .map(|(_, v)| v.text.clone())
    }

    /// A `--mount=type=secret` (the right way to use a credential in a build).
    pub fn has_secret_mount(&self) -> bool {
        self.mounts
            .iter()
            .any(|m| m.split(',').any(|p| p == "type=secret" || p == "type=ssh"))
    }
}

/// Build the `Run` of a RUN instruction. `posix` is false when the stage's shell is not a POSIX
/// shell (Windows `cmd`/PowerShell): shell-form text is then not analysed.
pub fn analyse(
    text: &str,
    run: &RunInstruction<'_>,
    escape: char,
    posix: bool,
    stage: usize,
    index: usize,
    bodies: &[Body],
) -> Run {
    let mounts = run
        .options
        .iter()
        .filter(|f| f.name.value == "mount")
        .filter_map(|f| f.value.as_ref().map(|v| v.value.to_string()))
        .collect();
    let mut end = match &run.arguments {
        DfCommand::Exec(e) => e.span.end,
        DfCommand::Shell(s) => s.span.end,
        _ => run.run.span.end,
    };
    let mut scripts = Vec::new();
    let mut exec_form = false;
    match &run.arguments {
        DfCommand::Exec(array) => {
            exec_form = true;
            scripts.push(exec_script(text, &array.value, array.span.clone(), posix));
        }
        DfCommand::Shell(s) if posix => {
            let start = s.span.start;
            let raw = text.get(s.span.clone()).unwrap_or_default();
            let bash = to_bash(raw, escape);
            scripts.push(shifted(shell::parse(&bash), start));
        }
        _ => {}
    }
    for doc in &run.here_docs {
        end = end.max(doc.span.end);
        let runs_body = match &run.arguments {
            DfCommand::Shell(s) => heredoc_is_script(s.value),
            _ => false,
        };
        if posix && runs_body {
            let body = text.get(doc.span.clone()).unwrap_or_default();
            scripts.push(shifted(shell::parse(body), doc.span.start));
        }
    }
    // Bodies the pre-pass blanked: they open at the end of this RUN's line.
    if let DfCommand::Shell(s) = &run.arguments {
        let args_end = s.span.end;
        for body in bodies.iter().filter(|b| {
            b.opened_at >= args_end
                && text
                    .get(args_end..b.opened_at)
                    .is_some_and(|t| t.trim().is_empty())
        }) {
            end = end.max(body.span.end);
            if posix && heredoc_is_script(s.value) {
                let src = text.get(body.span.clone()).unwrap_or_default();
                scripts.push(shifted(shell::parse(src), body.span.start));
            }
        }
    }
    Run {
        stage,
        index,
        span: run.run.span.start..end,
        scripts,
        exec_form,
        mounts,
    }
}

/// `RUN <<EOF`, `RUN bash -ex <<EOF`: the body is the script. `RUN python3 <<EOF` is not shell.
fn heredoc_is_script(line: &str) -> bool {
    let mut words = line.split_whitespace().filter(|w| !w.starts_with("<<"));
    match words.next() {
        None => true,
        Some(w) => {
            matches!(
                shell::basename(w),
                "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh"
            ) && words.all(|w| w.starts_with('-') && w != "-c")
        }
    }
}

/// Exec form: one command whose words are the array's strings. `["sh", "-c", "script"]` also
/// parses the script when it maps back to the file byte for byte (no JSON escapes).
fn exec_script(
    text: &str,
    items: &[parse_dockerfile::UnescapedString<'_>],
    span: Range<usize>,
    posix: bool,
) -> Script {
    let words: Vec<Word> = items
        .iter()
        .map(|s| Word {
            text: s.value.to_string(),
            span: s.span.clone(),
            quoting: Quoting::Double,
            expansions: Vec::new(),
        })
        .collect();
    let mut script = Script {
        commands: vec![Command {
            words,
            assignments: Vec::new(),
            span,
            pipeline: 0,
            stage: 0,
            in_substitution: false,
        }],
        pipelines: vec![Pipeline { commands: vec![0] }],
        statement_assignments: Vec::new(),
        had_errors: false,
    };
    let is_shell_c = items.len() >= 3
        && matches!(
            shell::basename(&items[0].value),
            "sh" | "bash" | "ash" | "dash"
        )
        && items[1].value == "-c";
    if posix && is_shell_c {
        let body = &items[2];
        // The span may or may not include the quotes; find the value inside it.
        let raw = text.get(body.span.clone()).unwrap_or_default();
        if let Some(at) = raw.find(body.value.as_ref()) {
            let nested = shifted(shell::parse(&body.value), body.span.start + at);
            script = nested;
        }
    }
    script
}

/// Rewrite Dockerfile shell-form text as bash of the same byte length.
pub fn to_bash(raw: &str, escape: char) -> String {
    let mut out: Vec<u8> = raw.as_bytes().to_vec();
    let mut line_start = 0;
    let mut first = true;
    let mut continued = false;
    while line_start < raw.len() {
        let line_end = raw[line_start..]
            .find('\n')
            .map_or(raw.len(), |i| line_start + i);
        let line = &raw[line_start..line_end];
        let trimmed = line.trim();
        // Inside a continuation, Docker drops comment lines and empty lines entirely.
        if !first && continued && (trimmed.is_empty() || trimmed.starts_with('#')) {
            let stop = (line_end + 1).min(raw.len());
            for b in &mut out[line_start..stop] {
                *b = b' ';
            }
            line_start = line_end + 1;
            continue;
        }
        first = false;
        let body = line.trim_end();
        continued = body.ends_with(escape);
        if continued {
            // Move the continuation character right before the newline (Docker allows trailing
            // blanks after it, bash does not) and make it a backslash.
            let esc_at = line_start + body.len() - escape.len_utf8();
            for b in &mut out[esc_at..line_end] {
                *b = b' ';
            }
            if line_end > esc_at {
                out[line_end - 1] = b'\\';
            }
        } else if line.ends_with('\r') {
            out[line_end - 1] = b' ';
        }
        line_start = line_end + 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes, at character boundaries.
    String::from_utf8(out).unwrap_or_else(|_| raw.to_string())
}

/// Move every span of `script` by `by` bytes.
fn shifted(mut script: Script, by: usize) -> Script {
    let mv = |r: &mut Range<usize>| *r = r.start + by..r.end + by;
    for c in &mut script.commands {
        mv(&mut c.span);
        for w in c
            .words
            .iter_mut()
            .chain(c.assignments.iter_mut().map(|(_, w)| w))
        {
            mv(&mut w.span);
            for e in &mut w.expansions {
                mv(&mut e.span);
            }
        }
    }
    for (_, w) in &mut script.statement_assignments {
        mv(&mut w.span);
        for e in &mut w.expansions {
            mv(&mut e.span);
        }
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_and_comments_become_bash() {
        let raw = "apt-get update \\  \n  # a comment\n\n  && apt-get install -y curl";
        let bash = to_bash(raw, '\\');
        assert_eq!(bash.len(), raw.len());
        let s = shell::parse(&bash);
        let names: Vec<_> = s.commands.iter().filter_map(|c| c.name()).collect();
        assert_eq!(names, ["apt-get", "apt-get"], "{bash:?}");
        assert!(!s.had_errors, "{bash:?}");
        let raw = "echo a `\r\n  && echo b";
        let s = shell::parse(&to_bash(raw, '`'));
        assert_eq!(s.commands.len(), 2);
        assert_eq!(&raw[s.commands[1].span.clone()], "echo b");
    }

    #[test]
    fn heredoc_scripts() {
        assert!(heredoc_is_script("<<EOF"));
        assert!(heredoc_is_script("bash -ex <<'EOF'"));
        assert!(!heredoc_is_script("python3 <<EOF"));
        assert!(!heredoc_is_script("sh -c <<EOF"));
    }
}
