//! `jenkins/approval-without-submitter`: an `input` approval with no `submitter` comes before a
//! deployment or an image push: anyone who may build the job (and, on a PR-built job, the
//! pull request's author triggering it) can click "Proceed".

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, EventKind, Model};
use crate::finding::RawFinding;

use super::where_;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsApprovalWithoutSubmitter, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for a in m.approvals.iter().filter(|a| !a.submitter) {
        // The first deployment or push after the approval (in the file's order: a stage's
        // `input` directive sits before its steps).
        let Some(next) = m
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Deploy | EventKind::Push))
            .filter(|e| e.span.start > a.span.start)
            .min_by_key(|e| e.span.start)
        else {
            continue;
        };
        let what = if next.kind == EventKind::Deploy {
            "deploys"
        } else {
            "pushes an image"
        };
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                doc.range(&a.span),
                format!(
                    "the `input` approval in {} names no `submitter`: anyone allowed to build the job can approve what follows ({} {what} in {})",
                    where_(doc, a.scope.stage.as_ref()),
                    next.tool,
                    where_(doc, next.scope.stage.as_ref())
                ),
            )
            .related(doc.file, doc.range(&next.span), "what the approval lets through")
            .content(format!(
                "input {} {}",
                a.scope.stage.as_deref().unwrap_or(""),
                next.tool
            )),
        );
    }
}
