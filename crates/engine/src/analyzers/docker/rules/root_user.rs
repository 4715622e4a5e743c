//! `docker/root-user`: the image's final stage runs as root — an explicit `USER root` (or uid 0)
//! as the last `USER`, or no `USER` at all in the final stage and the stages it builds on.

use parse_dockerfile::Instruction;

use crate::analyzers::docker::model::{Base, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerRootUser, check);

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let Some(last) = m.final_stage() else { return };
    // The last USER in the final stage, else inherited from the stage it is built FROM.
    for idx in m.ancestry(last.index) {
        let stage = &m.stages[idx];
        let last_user = stage.instructions.iter().rev().find_map(|i| match i {
            Instruction::User(u) => Some(u),
            _ => None,
        });
        if let Some(user) = last_user {
            if is_root(&user.arguments.value) {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        user.user.span.start..user.arguments.span.end,
                        "the image's last USER is root: the container runs with uid 0",
                    )
                    .content(format!("USER {}", user.arguments.value)),
                );
            }
            return;
        }
        if !matches!(stage.base, Base::Stage(_)) {
            break;
        }
    }
    // No USER anywhere: root unless the base image is a known non-root variant. `scratch` has
    // no user database, but its processes still run as uid 0 (`USER 65532` works numerically).
    if last.image_text.contains("nonroot") || last.image_text.contains("rootless") {
        return;
    }
    out.push(
        RawFinding::new(
            ID,
            m.file,
            last.from_span.start..last.image_span.end,
            "the final stage has no USER instruction: the container runs as root",
        )
        .content(format!("no USER after FROM {}", last.image_text)),
    );
}
