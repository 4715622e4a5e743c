//! `jenkins/credentials-on-pr`: a credential is bound (withCredentials, `credentials()` in
//! `environment {}`, `docker.withRegistry`, `sshagent`, `credentialsId:`) in a scope that
//! change-request builds run: explicitly (`when { changeRequest() }`, `if (env.CHANGE_ID)`), or
//! without any guard in a pipeline that is built for pull requests (it tests for them elsewhere).
//! A binding inside a method counts where the method is called: a helper the file calls only
//! from stages change requests never run (`when { buildingTag() }`) is not reported.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, Model, PrScope};
use crate::finding::RawFinding;

use super::where_;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsCredentialsOnPr, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for b in &m.bindings {
        if !m.pr_reachable(&b.scope) {
            continue;
        }
        let id = b.id.as_deref().unwrap_or("<dynamic>");
        let why = if b.scope.pr == PrScope::OnlyPr {
            "which runs only for change requests"
        } else {
            "which has no condition excluding change-request builds"
        };
        let mut f = RawFinding::new(
            ID,
            doc.file,
            doc.range(&b.span),
            format!(
                "credential `{id}` is bound in {}, {why}: pull-request code can read it",
                match (&b.scope.stage, &b.scope.method) {
                    (None, Some(method)) => format!("method `{method}`"),
                    _ => where_(doc, b.scope.stage.as_ref()),
                }
            ),
        )
        .content(format!(
            "{} {id} {}",
            b.how,
            b.scope.stage.as_deref().unwrap_or("")
        ))
        .property("credential", id);
        if let Some(p) = &b.scope.pr_span {
            f = f.related(doc.file, doc.range(p), "change-request condition");
        }
        out.push(f);
    }
}
