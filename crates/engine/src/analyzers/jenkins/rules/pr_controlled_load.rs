//! `jenkins/pr-controlled-load`: `load 'file.groovy'` or `evaluate(…)` in a scope that
//! change-request builds reach while credentials are bound: Groovy from the pull request's
//! checkout runs inside the pipeline, with every credential bound around it.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model};
use crate::finding::RawFinding;

use super::where_;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsPrControlledLoad, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for l in &m.loads {
        if l.scope.cred_vars.is_empty() || !m.pr_reachable(&l.scope) {
            continue;
        }
        let mut ids: Vec<&str> = l
            .scope
            .cred_vars
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let creds = match ids.as_slice() {
            [] => "credentials are".to_string(),
            [one] => format!("credential `{one}` is"),
            many => format!(
                "credentials {} are",
                many.iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                doc.range(&l.span),
                format!(
                    "`{}` runs Groovy from the workspace in {}, which change-request builds reach, while {creds} bound: a pull request can change that Groovy and read what is bound",
                    l.how,
                    where_(doc, l.scope.stage.as_ref())
                ),
            )
            .content(format!(
                "{} {}",
                l.how,
                l.scope.stage.as_deref().unwrap_or("")
            )),
        );
    }
}
