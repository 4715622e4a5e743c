//! `jenkins/ci-deploys`: the pipeline changes a running environment itself (kubectl apply,
//! helm upgrade, terraform apply, cloud deploy commands, deploy plugin steps): a compromised
//! build reaches production directly. Deployment belongs to an orchestrator that verifies
//! what it deploys.

use crate::analyzers::Output;
use crate::analyzers::jenkins::model::{Doc, EventKind, Model};
use crate::finding::RawFinding;

use super::where_;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::JenkinsCiDeploys, check);

pub fn check(doc: &Doc<'_>, m: &Model, out: &mut Output) {
    for e in m.events.iter().filter(|e| e.kind == EventKind::Deploy) {
        out.push(
            RawFinding::new(
                ID,
                doc.file,
                doc.range(&e.span),
                format!(
                    "{} deploys from {}",
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
