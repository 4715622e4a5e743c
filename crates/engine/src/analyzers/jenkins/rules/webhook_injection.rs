//! `jenkins/webhook-injection`: a Generic Webhook Trigger variable that reads a pull-request
//! author's field (see `../sources.rs`) is pasted into program text — Groovy interpolation into a
//! shell step, or a shell re-parse (`eval`, `sh -c`, `ssh`) of its expansion in a single-quoted
//! step or a freestyle shell builder.

use std::ops::Range;

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model, WebhookVars};
use crate::analyzers::jenkins::rules::script_injection::strongest;
use crate::analyzers::jenkins::sources::{self, Control};
use crate::analyzers::jenkins::xml::Element;
use crate::analyzers::rule::declare_rule;
use crate::finding::RawFinding;
use crate::rules::RuleId;
use crate::source::SourceFile;
use pipeguard_groovy::OffsetMap;
use pipeguard_shell as shell;

declare_rule!(RuleId::JenkinsWebhookInjection, check);

/// Shells that run their `-c` argument, and commands that hand their arguments to a shell.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash"];

/// Expansions of `vars` that a shell parses again as program text: the arguments of `eval`,
/// the operands of `sh -c`, the remote command of `ssh`. (variable, expansion span, command
/// span), spans in `script`'s text.
pub(crate) fn reparsed<'a>(
    script: &'a shell::Script,
    vars: &WebhookVars,
) -> Vec<(&'a str, Range<usize>, Range<usize>)> {
    let mut out = Vec::new();
    for cmd in &script.commands {
        let Some(prog) = cmd.program() else { continue };
        let sink = prog == "eval"
            || prog == "ssh"
            || (SHELLS.contains(&prog) && cmd.has_flag(Some('c'), None));
        if !sink {
            continue;
        }
        for w in cmd.args() {
            for x in &w.expansions {
                if let Some(v) = &x.variable
                    && vars.contains_key(v)
                {
                    out.push((v.as_str(), x.span.clone(), cmd.span.clone()));
                }
            }
        }
    }
    out
}

/// A webhook variable as a rule met it.
struct Var<'a> {
    name: &'a str,
    jsonpath: &'a str,
    control: Control,
}

fn finding(
    file: &SourceFile,
    at: Range<usize>,
    (step, step_name): (Range<usize>, &str),
    v: &Var<'_>,
    how: &str,
) -> RawFinding {
    let Var {
        name: var,
        jsonpath,
        control,
    } = *v;
    RawFinding::new(
        ID,
        file,
        at,
        format!(
            "Generic Webhook Trigger variable `{var}` (from `{jsonpath}`, set by {}) is {how}: it can inject shell commands; read it from the environment as data instead",
            control.who()
        ),
    )
    .related(file, step, format!("`{step_name}` step"))
    .severity(control.severity())
    .content(format!("{step_name} {var}"))
    .property("variable", var)
    .property("jsonpath", jsonpath)
    .property("confidence", control.confidence())
}

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    if m.webhook_vars.is_empty() {
        return;
    }
    for step in &m.steps {
        for interp in &step.interpolated {
            let Some((_, span, t)) = strongest(m, &interp.refs, true) else {
                continue;
            };
            let jp = t.webhook.clone().unwrap_or_default();
            out.push(finding(
                doc.file,
                doc.range(span),
                (doc.range(&step.call_span), &step.step),
                &Var {
                    name: &t.origin,
                    jsonpath: &jp,
                    control: t.control,
                },
                &format!("interpolated by Groovy into a `{}` script", step.step),
            ));
        }
        // A literal (single-quoted) script: the shell reads the variable, and parses it again
        // only through eval / sh -c / ssh.
        let Some(s) = &step.script else { continue };
        if s.is_interpolated() {
            continue;
        }
        let (text, map) = s.text_with_placeholders("GROOVY_VALUE");
        let parsed = shell::parse(&text);
        for (var, x, _) in reparsed(&parsed, &m.webhook_vars) {
            let Some((jp, c)) = m.webhook_vars.get(var) else {
                continue;
            };
            out.push(finding(
                doc.file,
                doc.range(&map.map_range(&x)),
                (doc.range(&step.call_span), &step.step),
                &Var {
                    name: var,
                    jsonpath: jp,
                    control: *c,
                },
                "expanded where the shell parses it again as a command (eval, sh -c, ssh)",
            ));
        }
    }
}

/// The job's `<genericVariables>` (`GenericVariable` key / JSONPath value) that read a PR
/// author's field.
pub fn job_webhook_vars(root: &Element) -> WebhookVars {
    let mut out = WebhookVars::new();
    root.walk("", &mut |el, _| {
        if el.short_name() != "GenericVariable" {
            return;
        }
        let key = el.child("key").map(|k| k.text.trim().to_string());
        let value = el.child("value").map(|v| v.text.trim().to_string());
        let is_jsonpath = el
            .child("expressionType")
            .is_none_or(|t| t.text.trim() == "JSONPath");
        if let (Some(k), Some(v)) = (key, value)
            && is_jsonpath
            && !k.is_empty()
            && let Some(c) = sources::webhook_source(&v)
        {
            out.insert(k, (v, c));
        }
    });
    out
}

/// A freestyle shell builder's command (`text` as unescaped, `map` into the file).
pub fn shell_builder(
    file: &SourceFile,
    text: &str,
    map: &OffsetMap,
    builder: &str,
    vars: &WebhookVars,
    out: &mut Output,
) {
    let parsed = shell::parse(text);
    for (var, x, cmd) in reparsed(&parsed, vars) {
        let Some((jp, c)) = vars.get(var) else {
            continue;
        };
        out.push(finding(
            file,
            map.map_range(&x),
            (map.map_range(&cmd), builder),
            &Var {
                name: var,
                jsonpath: jp,
                control: *c,
            },
            "expanded where the shell parses it again as a command (eval, sh -c, ssh)",
        ));
    }
}
