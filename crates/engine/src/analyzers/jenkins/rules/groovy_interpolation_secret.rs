//! `jenkins/groovy-interpolation-secret`: a credential variable is interpolated by Groovy
//! (`"${PASS}"`, `"$TOKEN"`) into a sh/bat/powershell script. Groovy substitutes the value into
//! the command line before the shell runs: it lands in process listings and the build log's
//! command echo, and a value with shell metacharacters is executed. Single quotes leave the
//! expansion to the shell, which reads the variable from the environment.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model, var_name};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsGroovyInterpolationSecret, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for step in &m.steps {
        for (path, span) in step.interpolated.iter().flat_map(|i| &i.refs) {
            let name = var_name(path);
            let Some(cv) = step.scope.cred_vars.iter().rev().find(|v| v.var == name) else {
                continue;
            };
            // A user name or a key file's path is not the secret.
            if !cv.secret {
                continue;
            }
            let cred = &cv.id;
            out.push(
                RawFinding::new(
                    ID,
                    doc.file,
                    doc.range(span),
                    format!(
                        "credential variable `{name}` (credential `{cred}`) is interpolated by Groovy into a `{}` step; use single quotes so the shell reads it from the environment",
                        step.step
                    ),
                )
                .related(doc.file, doc.range(&step.call_span), format!("`{}` step", step.step))
                .content(format!("{} {name}", step.step))
                .property("variable", name),
            );
        }
    }
}
