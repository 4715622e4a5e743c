//! `pipeguard fix` for GitHub workflows: text edits at the model's spans (the file's own text is
//! edited, never re-serialised). Each proposal names the findings it removes; the fix pipeline
//! re-scans the edited text and keeps a fix only when they are gone and nothing new appeared.
//!
//! - `github/script-injection`: the `${{ }}` in a `run:` script becomes a quoted shell variable
//!   set in the step's `env:` (an `env.X` context becomes `"$X"` directly);
//! - `github/persisted-credentials`: `persist-credentials: false` on the checkout;
//! - `github/excessive-permissions`: on each job without permissions, the scopes its steps need
//!   (`scopes.rs`) or `contents: read` when they need no more, and a top-level
//!   `permissions: {}` when every job then sets its own.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::ops::Range;

use super::facts::Facts;
use super::model::{DocKind, Job, Model, Route, Seg, Step, route_with};
use super::rules;
use crate::edit::{Edit, Fix, Proposal, line_start, newline_of, next_line_start};
use crate::finding::Finding;
use crate::source::{FileKind, SourceFile};

fn key(r: &Route, k: &str) -> Route {
    route_with(r, Seg::Key(k.to_string()))
}

fn unsafe_(f: &Finding, reason: impl Into<String>) -> Proposal {
    Proposal::Unsafe {
        rule_id: f.rule_id.clone(),
        fingerprint: f.fingerprint.clone(),
        line: f.location.start_line,
        reason: reason.into(),
    }
}

pub fn propose(
    file: &SourceFile,
    findings: &[Finding],
    online: Option<&crate::online::OnlineFacts>,
) -> Vec<Proposal> {
    let kind = if file.kind == FileKind::GithubAction {
        DocKind::Action
    } else {
        DocKind::Workflow
    };
    let Ok(m) = Model::parse(file, kind) else {
        return Vec::new();
    };
    let a = Facts::new(&m);
    let nl = newline_of(&file.text);
    let mut out = Vec::new();
    let mut perm_findings = Vec::new();
    for f in findings {
        let Some(at) = file.offset_of(f.location.start_line, f.location.start_column) else {
            continue;
        };
        let id = f.rule_id.as_str();
        if id == rules::script_injection::ID.as_str() {
            out.push(injection(&a, f, at, nl));
        } else if id == rules::persisted_credentials::ID.as_str() {
            if let Some(p) = persisted(&a, f, at, nl) {
                out.push(p);
            }
        } else if id == rules::excessive_permissions::ID.as_str() {
            perm_findings.push((f, at));
        } else if let Some(facts) = online
            && (id == rules::unpinned_action::ID.as_str() || id == rules::stale_pin::ID.as_str())
            && let Some(p) = pin(file, f, at, facts)
        {
            out.push(p);
        }
    }
    if !perm_findings.is_empty() {
        out.extend(permissions(&a, &perm_findings, nl));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// script injection

/// Where the expression sits in the shell script, by quoting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The shell quoting state at the end of `before` (a prefix of a `run:` script); `None` when it
/// cannot be told (a here-document, an unterminated construct we do not model).
fn quote_state(before: &str) -> Option<Quote> {
    if before.contains("<<") {
        return None;
    }
    let mut q = Quote::None;
    let mut chars = before.chars().peekable();
    let mut comment = false;
    let mut prev_space = true;
    while let Some(c) = chars.next() {
        if comment {
            if c == '\n' {
                comment = false;
                prev_space = true;
            }
            continue;
        }
        match (q, c) {
            (Quote::None | Quote::Double, '\\') => {
                chars.next();
            }
            (Quote::None, '\'') => q = Quote::Single,
            (Quote::None, '"') => q = Quote::Double,
            (Quote::None, '#') if prev_space => comment = true,
            (Quote::Single, '\'') | (Quote::Double, '"') => q = Quote::None,
            _ => {}
        }
        prev_space = c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(');
    }
    // An expression in a shell comment is harmless text, but is still reported: leave it.
    if comment {
        return None;
    }
    Some(q)
}

/// An environment variable name for a context: its last segments, upper-cased.
fn var_name(context: &str) -> String {
    let parts: Vec<&str> = context
        .split('.')
        .filter(|p| !p.is_empty() && *p != "*")
        .collect();
    let tail: Vec<&str> = match parts.as_slice() {
        [] => vec!["VALUE"],
        [one] => vec![*one],
        [.., a, b] => {
            if matches!(*a, "event" | "github" | "outputs" | "inputs" | "env") {
                vec![*b]
            } else {
                vec![*a, *b]
            }
        }
    };
    let mut s: String = tail
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() {
        s.insert_str(0, "V_");
    }
    // GitHub does not let a workflow set GITHUB_* or RUNNER_* variables.
    for p in ["GITHUB_", "RUNNER_"] {
        if s.starts_with(p) {
            s = format!("PG_{s}");
        }
    }
    s
}

/// A YAML plain scalar when that reads back as the same string, else single-quoted.
fn yaml_scalar(v: &str) -> String {
    let plain_ok = !v.is_empty()
        && !v.contains(": ")
        && !v.contains(" #")
        && !v.contains('\n')
        && !v.contains('\t')
        && !v.ends_with(':')
        && !v.ends_with(' ')
        && !v.starts_with([
            '\'', '"', '&', '*', '!', '|', '>', '%', '@', '`', '[', ']', '{', '}', ',', '#', '?',
            '-', ' ',
        ]);
    if plain_ok {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// The shell the step's `run:` uses, when it is set anywhere.
fn shell_of(m: &Model<'_>, job: &Job, step: &Step) -> Option<String> {
    if let Some(s) = &step.shell {
        return Some(s.clone());
    }
    let from = |r: Route| {
        m.value_at(&r)
            .and_then(super::model::scalar)
            .filter(|s| !s.is_empty())
    };
    let jd = key(&key(&key(&job.route, "defaults"), "run"), "shell");
    from(jd).or_else(|| {
        from(vec![
            Seg::Key("defaults".into()),
            Seg::Key("run".into()),
            Seg::Key("shell".into()),
        ])
    })
}

#[allow(clippy::many_single_char_names)]
fn injection(a: &Facts<'_, '_>, f: &Finding, at: usize, nl: &str) -> Proposal {
    let m = a.m;
    let text = m.file.text.as_str();
    let found = m
        .jobs
        .iter()
        .zip(&a.jobs)
        .enumerate()
        .find_map(|(ji, (job, r))| {
            r.sinks
                .iter()
                .find(|s| s.bytes.start == at)
                .map(|s| (ji, job, s))
        });
    let Some((job_index, job, sink)) = found else {
        return unsafe_(
            f,
            "the expression is not in this file's own steps (a composite action input): fix the action",
        );
    };
    if sink.sink != "run" {
        return unsafe_(
            f,
            "a github-script `script:`: read the value from `process.env` by hand",
        );
    }
    let step = &job.steps[sink.step];
    match shell_of(m, job, step) {
        Some(s) => {
            let prog = s.split_whitespace().next().unwrap_or_default();
            if !matches!(prog, "bash" | "sh") {
                return unsafe_(f, format!("the step runs `{s}`, not a POSIX shell"));
            }
        }
        None => {
            let windows = job
                .runs_on
                .iter()
                .chain(&job.matrix_values)
                .any(|r| r.to_ascii_lowercase().contains("windows"));
            if windows {
                return unsafe_(
                    f,
                    "the job may run on Windows, whose default shell is PowerShell",
                );
            }
            // `runs-on: ${{ inputs.os }}`: the runner (and so the default shell) is not known.
            let unknown = job
                .runs_on
                .iter()
                .any(|r| r.contains("${{") && !r.contains("matrix."));
            if unknown || job.runs_on.is_empty() && m.kind == DocKind::Workflow {
                return unsafe_(
                    f,
                    "the runner's OS (and so its default shell) is not known: set `shell: bash` first",
                );
            }
        }
    }
    let run_route = key(&step.route, "run");
    let rv = m.value_bytes(&run_route);
    let Some(head) = text.get(rv.clone()).and_then(|s| s.chars().next()) else {
        return unsafe_(f, "the `run:` value could not be located");
    };
    if sink.bytes.start < rv.start || sink.bytes.end > rv.end {
        return unsafe_(f, "the expression is not inside the `run:` text");
    }
    let script_start = match head {
        '|' | '>' => {
            let header_end = next_line_start(text, rv.start);
            let header = &text[rv.start..header_end];
            if header.contains('+') {
                return unsafe_(f, "a keep-chomping (`|+`) block: edit by hand");
            }
            header_end
        }
        '"' | '\'' => return unsafe_(f, "a quoted YAML `run:` scalar: edit by hand"),
        _ => {
            if sink.bytes.start == rv.start {
                return unsafe_(
                    f,
                    "the plain `run:` value starts with the expression; a quote there would change the YAML",
                );
            }
            rv.start
        }
    };
    let expr_text = &text[sink.bytes.clone()];
    let inner = expr_text
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    let script = &text[rv.clone()];
    // `${{ env.X }}` is the shell's own `$X`.
    let direct = inner
        .strip_prefix("env.")
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_string);
    let mut edits = Vec::new();
    let name = if let Some(n) = direct {
        n
    } else {
        let context = f
            .properties
            .get("context")
            .cloned()
            .unwrap_or_else(|| inner.to_string());
        let base = var_name(&context);
        let same_value = |kv: &super::model::KeyValue| squash(&kv.value) == squash(expr_text);
        if let Some(existing) = step.env.iter().find(|kv| same_value(kv)) {
            existing.name.clone()
        } else {
            let taken: BTreeSet<String> = step
                .env
                .iter()
                .chain(&job.env)
                .chain(&m.env)
                .map(|kv| kv.name.to_ascii_uppercase())
                .collect();
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name)
                || script.contains(&format!("${name}"))
                || script.contains(&format!("${{{name}}}"))
            {
                name = format!("{base}_{n}");
                n += 1;
            }
            let entry = format!("{name}: {}", yaml_scalar(expr_text.trim()));
            match env_insertion(m, step, &rv, &entry, nl) {
                Ok(e) => edits.push(e),
                Err(why) => return unsafe_(f, why),
            }
            name
        }
    };
    // Every expansion of the same expression in this script takes the variable (they share the
    // finding's fingerprint).
    let r = &a.jobs[job_index];
    for other in r.sinks.iter().filter(|s| {
        s.step == sink.step
            && s.sink == "run"
            && squash(&text[s.bytes.clone()]) == squash(expr_text)
    }) {
        let Some(quote) = quote_state(&text[script_start..other.bytes.start]) else {
            return unsafe_(
                f,
                "the expression is in a here-document or shell comment: edit by hand",
            );
        };
        if other.bytes.start == rv.start {
            return unsafe_(
                f,
                "the plain `run:` value starts with the expression; a quote there would change the YAML",
            );
        }
        let replacement = match quote {
            Quote::None => format!("\"${name}\""),
            Quote::Double => format!("${{{name}}}"),
            Quote::Single => format!("'\"${name}\"'"),
        };
        edits.push(Edit::replace(other.bytes.clone(), replacement));
    }
    Proposal::Fix(Fix {
        rule_id: f.rule_id.clone(),
        targets: vec![f.fingerprint.clone()],
        line: f.location.start_line,
        title: format!("pass `{inner}` through `env: {name}` and use \"${name}\""),
        edits,
    })
}

/// An expression without its whitespace (`${{x}}` and `${{ x }}` are the same).
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Column (in bytes from the line start) of `offset`; `None` if only spaces or `- ` precede it.
fn column(text: &str, offset: usize) -> (usize, bool) {
    let ls = line_start(text, offset);
    let before = &text[ls..offset];
    let only_spaces = before.chars().all(|c| c == ' ');
    (before.chars().count(), only_spaces)
}

/// Where the end of a value's last line is (the insertion point for a following key).
fn after_value(text: &str, v: &Range<usize>) -> (usize, bool) {
    let end = v.end.min(text.len());
    if end > 0 && text.as_bytes()[end - 1] == b'\n' {
        return (end, false);
    }
    let p = next_line_start(text, end);
    // At the end of a file without a final newline, one must be added first.
    (p, p == text.len() && !text.ends_with('\n'))
}

/// An edit that adds `entry` (`NAME: value`) to the step's `env:`, creating the mapping after
/// the `run:` value when the step has none.
fn env_insertion(
    m: &Model<'_>,
    step: &Step,
    rv: &Range<usize>,
    entry: &str,
    nl: &str,
) -> Result<Edit, String> {
    let text = m.file.text.as_str();
    let env_route = key(&step.route, "env");
    if m.value_at(&env_route).is_some() {
        let Some(last) = step.env.last() else {
            return Err("the step's `env:` is empty or not a mapping: edit by hand".into());
        };
        let ev = m.value_bytes(&env_route);
        if text[ev.clone()].trim_start().starts_with('{') {
            return Err("the step's `env:` is a flow mapping: edit by hand".into());
        }
        let first_key = m.key_bytes(&step.env[0].route);
        let (col, clean) = column(text, first_key.start);
        if !clean {
            return Err("the step's `env:` layout is unusual: edit by hand".into());
        }
        let lv = m.value_bytes(&last.route);
        let (at, need_nl) = after_value(text, &lv);
        let pre = if need_nl { nl } else { "" };
        return Ok(Edit::insert(
            at,
            format!("{pre}{}{entry}{nl}", " ".repeat(col)),
        ));
    }
    let kb = m.key_bytes(&key(&step.route, "run"));
    let (col, _) = column(text, kb.start);
    let (at, need_nl) = after_value(text, rv);
    let pre = if need_nl { nl } else { "" };
    let pad = " ".repeat(col);
    Ok(Edit::insert(
        at,
        format!("{pre}{pad}env:{nl}{pad}  {entry}{nl}"),
    ))
}

// ---------------------------------------------------------------------------------------------
// persisted credentials

/// Actions that push with the checkout's persisted token.
const PUSHING_ACTIONS: &[&str] = &[
    "stefanzweifel/git-auto-commit-action",
    "ad-m/github-push-action",
    "endbug/add-and-commit",
    "peter-evans/create-pull-request",
    "planetscale/ghcommit-action",
    "github-actions-x/commit",
    "actions-js/push",
];

fn persisted(a: &Facts<'_, '_>, f: &Finding, at: usize, nl: &str) -> Option<Proposal> {
    let m = a.m;
    let text = m.file.text.as_str();
    let (job, si) = m.jobs.iter().find_map(|job| {
        job.steps
            .iter()
            .position(|s| {
                s.action().as_deref() == Some("actions/checkout") && a.step_head(s).start == at
            })
            .map(|i| (job, i))
    })?;
    let step = &job.steps[si];
    if let Some(v) = step.with_value("persist-credentials") {
        return Some(unsafe_(
            f,
            format!(
                "`persist-credentials: {}` is set explicitly: decide by hand",
                v.value.trim()
            ),
        ));
    }
    for later in &job.steps[si + 1..] {
        let pushes = later.run.as_deref().is_some_and(|r| {
            r.contains("git push")
                || r.contains("git commit")
                || r.contains("git tag")
                || r.contains("git fetch")
                || r.contains("git pull")
                || r.contains("gh ")
        }) || later
            .action()
            .is_some_and(|u| PUSHING_ACTIONS.iter().any(|p| u.starts_with(p)));
        if pushes {
            return Some(unsafe_(
                f,
                format!(
                    "step `{}` may use the persisted token (git push/fetch, gh, a committing action)",
                    later.label()
                ),
            ));
        }
    }
    let with_route = key(&step.route, "with");
    let edit = if m.value_at(&with_route).is_some() {
        let Some(last) = step.with.last() else {
            return Some(unsafe_(
                f,
                "the checkout's `with:` is empty or not a mapping: edit by hand",
            ));
        };
        let wv = m.value_bytes(&with_route);
        if text[wv].trim_start().starts_with('{') {
            return Some(unsafe_(
                f,
                "the checkout's `with:` is a flow mapping: edit by hand",
            ));
        }
        let (col, clean) = column(text, m.key_bytes(&step.with[0].route).start);
        if !clean {
            return Some(unsafe_(
                f,
                "the checkout's `with:` layout is unusual: edit by hand",
            ));
        }
        let (at, need_nl) = after_value(text, &m.value_bytes(&last.route));
        let pre = if need_nl { nl } else { "" };
        Edit::insert(
            at,
            format!("{pre}{}persist-credentials: false{nl}", " ".repeat(col)),
        )
    } else {
        let uk = m.key_bytes(&key(&step.route, "uses"));
        let (col, _) = column(text, uk.start);
        let uv = m.value_bytes(&key(&step.route, "uses"));
        let (at, need_nl) = after_value(text, &uv);
        let pre = if need_nl { nl } else { "" };
        let pad = " ".repeat(col);
        Edit::insert(
            at,
            format!("{pre}{pad}with:{nl}{pad}  persist-credentials: false{nl}"),
        )
    };
    Some(Proposal::Fix(Fix {
        rule_id: f.rule_id.clone(),
        targets: vec![f.fingerprint.clone()],
        line: f.location.start_line,
        title: "set `persist-credentials: false` on the checkout".into(),
        edits: vec![edit],
    }))
}

// ---------------------------------------------------------------------------------------------
// permissions

/// The `permissions:` lines for a job: the scopes its steps need when every step is known
/// (with `contents: read` when nothing else is needed), else `contents: read` and why the job
/// may need more.
///
/// Each grant but `contents: read` names the step that needs it (the line's comment), so that
/// the grant can be reviewed and removed with the step.
fn job_permissions(m: &Model<'_>, job: &Job) -> (Vec<(String, String, String)>, Option<String>) {
    let read = vec![("contents".to_string(), "read".to_string(), String::new())];
    match super::scopes::job_scopes(m, job) {
        Ok(s) if s.is_empty() => (read, None),
        Ok(s) => (
            s.into_iter()
                .map(|(k, (v, step))| {
                    let why = if k == "contents" && v == "read" {
                        String::new()
                    } else {
                        comment_text(&step)
                    };
                    (k.to_string(), v.to_string(), why)
                })
                .collect(),
            None,
        ),
        Err(why) => (read, Some(why)),
    }
}

/// A step label as a one-line YAML comment: no line breaks, at most 60 characters.
fn comment_text(step: &str) -> String {
    let one: String = step
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one = one.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one.chars().take(60).collect();
    if one.chars().count() > 60 {
        out.push('…');
    }
    format!("needed by `{out}`")
}

fn permissions(a: &Facts<'_, '_>, found: &[(&Finding, usize)], nl: &str) -> Vec<Proposal> {
    let m = a.m;
    let text = m.file.text.as_str();
    let mut out = Vec::new();
    if m.kind != DocKind::Workflow {
        return out;
    }
    // Findings at a job's key about a job with no permissions (and none at workflow level).
    let mut job_targets: Vec<(&Job, &Finding)> = Vec::new();
    for (f, at) in found {
        let job = m.jobs.iter().find(|j| {
            j.permissions.is_none() && m.permissions.is_none() && m.key_bytes(&j.route).start == *at
        });
        match job {
            Some(j) => job_targets.push((j, f)),
            None => out.push(unsafe_(f, "choose the scopes the jobs need by hand")),
        }
    }
    if job_targets.is_empty() {
        return out;
    }
    let mut edits = Vec::new();
    let mut targets = Vec::new();
    let mut fixed_jobs = BTreeSet::new();
    let mut inferred = Vec::new();
    for (job, f) in &job_targets {
        let (scopes, unknown) = job_permissions(m, job);
        if let Some(why) = unknown {
            out.push(unsafe_(
                f,
                format!(
                    "job `{}` may need more than `contents: read`: {why}",
                    job.id
                ),
            ));
            continue;
        }
        let v = m.value_bytes(&job.route);
        let (col, clean) = column(text, v.start);
        if !clean || text[v.clone()].trim_start().starts_with('{') {
            out.push(unsafe_(
                f,
                format!("job `{}` is not a block mapping: edit by hand", job.id),
            ));
            continue;
        }
        let pad = " ".repeat(col);
        let lines = scopes.iter().fold(String::new(), |mut acc, (k, v, why)| {
            let _ = if why.is_empty() {
                write!(acc, "{pad}  {k}: {v}{nl}")
            } else {
                write!(acc, "{pad}  {k}: {v}  # {why}{nl}")
            };
            acc
        });
        edits.push(Edit::insert(
            line_start(text, v.start),
            format!("{pad}permissions:{nl}{lines}"),
        ));
        targets.push(f.fingerprint.clone());
        fixed_jobs.insert(job.id.clone());
        if scopes.len() != 1 || scopes[0].0 != "contents" || scopes[0].1 != "read" {
            let s: Vec<String> = scopes.iter().map(|(k, v, _)| format!("{k}: {v}")).collect();
            inferred.push(format!("`{}` {}", job.id, s.join(", ")));
        }
    }
    if edits.is_empty() {
        return out;
    }
    // Every job now sets its own: a top-level `permissions: {}` makes that the rule for new jobs.
    let all_set = m
        .jobs
        .iter()
        .all(|j| j.permissions.is_some() || fixed_jobs.contains(&j.id));
    let jobs_key = m.key_bytes(&vec![Seg::Key("jobs".into())]);
    let (jcol, _) = column(text, jobs_key.start);
    if all_set && jcol == 0 {
        edits.push(Edit::insert(
            line_start(text, jobs_key.start),
            format!("permissions: {{}}{nl}{nl}"),
        ));
    }
    let line = job_targets
        .iter()
        .map(|(_, f)| f.location.start_line)
        .min()
        .unwrap_or(1);
    out.push(Proposal::Fix(Fix {
        rule_id: rules::excessive_permissions::ID.as_str().to_string(),
        targets,
        line,
        title: format!(
            "give job{} `{}` {}{}",
            if fixed_jobs.len() == 1 { "" } else { "s" },
            fixed_jobs.iter().cloned().collect::<Vec<_>>().join("`, `"),
            if inferred.is_empty() {
                "`permissions: contents: read`".to_string()
            } else {
                format!(
                    "the permissions their steps need ({}{})",
                    inferred.join("; "),
                    if inferred.len() < fixed_jobs.len() {
                        "; the others `contents: read`"
                    } else {
                        ""
                    }
                )
            },
            if all_set && jcol == 0 {
                " and the workflow `permissions: {}`"
            } else {
                ""
            }
        ),
        edits,
    }));
    out
}

// ---------------------------------------------------------------------------------------------
// pins (online)

/// `uses: owner/repo@TAG` → `owner/repo@<the tag's commit> # TAG`; a stale pin → the commit of
/// the tag its comment names.
fn pin(
    file: &SourceFile,
    f: &Finding,
    at: usize,
    facts: &crate::online::OnlineFacts,
) -> Option<Proposal> {
    let text = file.text.as_str();
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[at..line_end];
    let value: &str = line
        .split(" #")
        .next()
        .unwrap_or(line)
        .trim_end()
        .trim_end_matches(['"', '\'']);
    let value = value.trim_start_matches(['"', '\'']);
    let value_start = at + line.find(value)?;
    let u = crate::online::parse_uses(value)?;
    let repo = facts.repo(&u.repo)?;
    let Some(tags) = &repo.tags else {
        return Some(unsafe_(f, format!("the tags of {} are not known", u.repo)));
    };
    let at_sign = value_start + value.rfind('@')? + 1;
    let ref_range = at_sign..at_sign + u.git_ref.len();
    let comment_start = line.find(" #").map(|i| at + i);
    if f.rule_id == rules::stale_pin::ID.as_str() {
        let comment = comment_start
            .map(|c| &text[c..line_end])
            .unwrap_or_default();
        let Some((tag, sha)) = comment
            .split_whitespace()
            .find_map(|w| tags.get_key_value(w))
        else {
            return Some(unsafe_(
                f,
                "the pinned commit is no tag's commit: choose a release by hand",
            ));
        };
        return Some(Proposal::Fix(Fix {
            rule_id: f.rule_id.clone(),
            targets: vec![f.fingerprint.clone()],
            line: f.location.start_line,
            title: format!(
                "pin {} to {sha}, the commit of {tag} its comment names",
                u.repo
            ),
            edits: vec![Edit::replace(ref_range, sha.clone())],
        }));
    }
    if u.is_sha() {
        return None;
    }
    let Some(sha) = tags.get(&u.git_ref) else {
        return Some(unsafe_(
            f,
            format!(
                "`{}` is not a tag of {} (a branch?): choose a release to pin by hand",
                u.git_ref, u.repo
            ),
        ));
    };
    if repo
        .branches
        .as_ref()
        .is_some_and(|b| b.contains_key(&u.git_ref))
    {
        return Some(unsafe_(
            f,
            format!(
                "`{}` is both a tag and a branch of {}: pin by hand",
                u.git_ref, u.repo
            ),
        ));
    }
    let mut edits = vec![Edit::replace(ref_range, sha.clone())];
    // The version goes in a comment after the value (before any comment already there).
    let after_value = value_start + value.len();
    let closing_quote = text[after_value..line_end].starts_with(['"', '\'']);
    edits.push(Edit::insert(
        after_value + usize::from(closing_quote),
        format!(" # {}", u.git_ref),
    ));
    Some(Proposal::Fix(Fix {
        rule_id: f.rule_id.clone(),
        targets: vec![f.fingerprint.clone()],
        line: f.location.start_line,
        title: format!("pin {}@{} to its commit {sha}", u.repo, u.git_ref),
        edits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_quotes() {
        assert_eq!(var_name("github.event.issue.title"), "ISSUE_TITLE");
        assert_eq!(var_name("github.head_ref"), "HEAD_REF");
        assert_eq!(var_name("github.event.pull_request.head.ref"), "HEAD_REF");
        assert_eq!(var_name("steps.meta.outputs.tags"), "TAGS");
        assert_eq!(var_name("github.event.inputs.github_x"), "PG_GITHUB_X");
        assert_eq!(quote_state("echo "), Some(Quote::None));
        assert_eq!(quote_state("echo \"a "), Some(Quote::Double));
        assert_eq!(quote_state("echo 'a "), Some(Quote::Single));
        assert_eq!(quote_state("echo \"it's "), Some(Quote::Double));
        assert_eq!(quote_state("cat <<EOF\n"), None);
        assert_eq!(quote_state("# note "), None);
        assert_eq!(
            yaml_scalar("${{ github.head_ref }}"),
            "${{ github.head_ref }}"
        );
        assert_eq!(
            yaml_scalar("${{ format('a: {0}', x) }}"),
            "'${{ format(''a: {0}'', x) }}'"
        );
    }
}
