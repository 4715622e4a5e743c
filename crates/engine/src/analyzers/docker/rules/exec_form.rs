//! `docker/exec-form`: `CMD`/`ENTRYPOINT` in shell form run under `/bin/sh -c`: the
//! application is not PID 1, does not get SIGTERM on `docker stop`, and is killed after the
//! grace period without shutting down cleanly.

use parse_dockerfile::{Command, Instruction};

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerExecForm, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for ins in stage.instructions {
            let (kw, keyword, args) = match ins {
                Instruction::Cmd(c) => ("CMD", &c.cmd, &c.arguments),
                Instruction::Entrypoint(e) => ("ENTRYPOINT", &e.entrypoint, &e.arguments),
                _ => continue,
            };
            let Command::Shell(s) = args else { continue };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    keyword.span.start..s.span.end,
                    format!(
                        "{kw} in shell form: use the JSON exec form so the process gets signals"
                    ),
                )
                .content(format!("{kw} {}", s.value)),
            );
        }
    }
}
