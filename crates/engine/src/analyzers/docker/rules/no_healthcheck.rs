//! `docker/no-healthcheck`: the image defines no `HEALTHCHECK` (in its final stage or the stages
//! it builds on). `HEALTHCHECK NONE` is an explicit choice and not reported.

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerNoHealthcheck, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let Some(last) = m.final_stage() else { return };
    let has = m.ancestry(last.index).iter().any(|&s| {
        m.stages[s]
            .instructions
            .iter()
            .any(|i| matches!(i, Instruction::Healthcheck(_)))
    });
    if has {
        return;
    }
    out.push(
        RawFinding::new(
            ID,
            m.file,
            last.from_span.start..last.image_span.end,
            "the image has no HEALTHCHECK",
        )
        .content(format!("no HEALTHCHECK after FROM {}", last.image_text)),
    );
}
