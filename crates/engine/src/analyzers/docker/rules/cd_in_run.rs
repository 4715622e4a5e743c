//! `docker/cd-in-run`: `cd` inside `RUN` to change directory for the following commands; the
//! next `RUN` starts in the `WORKDIR` again, which is easy to get wrong. One finding per `RUN`.

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerCdInRun, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        let Some(cd) = run
            .commands()
            .find(|c| c.program() == Some("cd") && !c.in_substitution)
        else {
            continue;
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                cd.span.clone(),
                "`cd` in RUN: use WORKDIR to change directories",
            )
            .content(m.text(cd.span.clone())),
        );
    }
}
