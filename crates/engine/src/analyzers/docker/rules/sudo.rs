//! `docker/sudo`: `sudo` in a `RUN`. Build steps already run as the current `USER`; sudo in an
//! image means it is installed and configured, a ready privilege escalation at run time.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::uses_sudo;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerSudo, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        let Some((cmd, word)) = run.commands().find_map(|c| uses_sudo(c).map(|w| (c, w))) else {
            continue;
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                word.span.start..cmd.span.end,
                format!(
                    "RUN uses `{}`: run the step as the right USER instead",
                    word.text
                ),
            )
            .content(m.text(cmd.span.clone())),
        );
    }
}
