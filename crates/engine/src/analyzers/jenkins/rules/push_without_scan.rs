//! `jenkins/push-without-scan`: an image is pushed (`docker push` / buildx `--push` / crane… in a
//! shell step, `docker.build(…).push()`, `img.push()`) and no image scan (trivy, grype, snyk
//! container, a scanner plugin step, pipeguard) comes before it in the pipeline.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, EventKind, Model};
use crate::finding::RawFinding;

use super::where_;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsPushWithoutScan, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    let first_scan = m
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Scan)
        .map(|e| e.span.start)
        .min();
    for e in m.events.iter().filter(|e| e.kind == EventKind::Push) {
        if first_scan.is_some_and(|s| s < e.span.start) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                doc.range(&e.span),
                format!(
                    "{} pushes an image in {} with no image scan before it",
                    e.tool,
                    where_(doc, e.scope.stage.as_ref())
                ),
            )
            .content(format!(
                "{} {}",
                e.tool,
                e.scope.stage.as_deref().unwrap_or("")
            )),
        );
    }
}
