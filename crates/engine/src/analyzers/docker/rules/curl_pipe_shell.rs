//! `docker/curl-pipe-shell`: a `RUN` that pipes a download into an interpreter (`curl … | sh`,
//! `wget -O- … | bash`, `sh -c "$(curl …)"`): whatever the server returns that day runs as root
//! in the build, with no checksum or signature.

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::classify::{Kind, classify};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerCurlPipeShell, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        for script in &run.scripts {
            for action in classify(script) {
                if action.kind != Kind::DownloadExec {
                    continue;
                }
                let Some(cmd) = script.commands.get(action.command) else {
                    continue;
                };
                // Span the whole pipeline: the download and the interpreter.
                let end = script
                    .piped_into(cmd)
                    .map_or(cmd.span.end, |next| next.span.end);
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        cmd.span.start..end,
                        format!(
                            "RUN executes a downloaded script ({}) without verifying it",
                            action.tool
                        ),
                    )
                    .content(m.text(cmd.span.start..end)),
                );
            }
        }
    }
}
