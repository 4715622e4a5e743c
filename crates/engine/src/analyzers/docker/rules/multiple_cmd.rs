//! `docker/multiple-cmd`: more than one `CMD` (or `ENTRYPOINT`) in a stage — only the last one
//! takes effect, so the earlier ones are misleading. Reported on each later one.

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerMultipleCmd, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for kw in ["CMD", "ENTRYPOINT"] {
            let spans: Vec<_> = stage
                .instructions
                .iter()
                .filter_map(|i| match (i, kw) {
                    (Instruction::Cmd(c), "CMD") => Some(c.cmd.span.clone()),
                    (Instruction::Entrypoint(e), "ENTRYPOINT") => Some(e.entrypoint.span.clone()),
                    _ => None,
                })
                .collect();
            let Some(first) = spans.first() else { continue };
            for span in &spans[1..] {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        span.clone(),
                        format!("a second {kw} in the stage: only the last {kw} takes effect"),
                    )
                    .related(m.file, first.clone(), format!("first {kw}"))
                    .content(format!("{kw} #{}", spans.len())),
                );
            }
        }
    }
}
