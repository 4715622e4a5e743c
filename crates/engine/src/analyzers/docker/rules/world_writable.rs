//! `docker/world-writable`: files or directories made writable by everyone (`chmod 777`,
//! `chmod -R a+w`, `mkdir -m 777`, `COPY --chmod=777`): any process or user in the container can
//! replace the application's code or config.

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::{world_writable, world_writable_mode};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerWorldWritable, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        for cmd in run.commands() {
            let Some(mode) = world_writable(cmd) else {
                continue;
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    format!("`{}` makes files writable by every user", mode.text),
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
    for stage in &m.stages {
        for ins in stage.instructions {
            let opts = match ins {
                Instruction::Copy(c) => &c.options,
                Instruction::Add(a) => &a.options,
                _ => continue,
            };
            for f in opts.iter().filter(|f| f.name.value == "chmod") {
                let Some(v) = &f.value else { continue };
                if world_writable_mode(&v.value) {
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            f.span(),
                            format!(
                                "`--chmod={}` makes the copied files writable by every user",
                                v.value
                            ),
                        )
                        .content(format!("--chmod={}", v.value)),
                    );
                }
            }
        }
    }
}
