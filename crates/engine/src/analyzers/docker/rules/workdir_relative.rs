//! `docker/workdir-relative`: `WORKDIR` with a relative path depends on whatever the previous
//! `WORKDIR` (or the base image's) was — a base image update silently moves your files.

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::{Model, substitute};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerWorkdirRelative, check);

fn is_absolute(p: &str) -> bool {
    let p = p.trim_matches('"');
    p.starts_with('/')
        || p.starts_with('\\')
        || p.contains('$')
        || p.as_bytes().get(1) == Some(&b':')
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for (i, ins) in stage.instructions.iter().enumerate() {
            let Instruction::Workdir(w) = ins else {
                continue;
            };
            let path = substitute(&w.arguments.value, &stage.vars_at(&m.globals, i));
            if is_absolute(&path) {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    w.arguments.span.clone(),
                    format!("WORKDIR `{path}` is relative: use an absolute path"),
                )
                .content(format!("WORKDIR {path}")),
            );
        }
    }
}
