//! `docker/apt-lists-not-cleaned`: a `RUN` of the image's final stages runs `apt-get update` but
//! does not remove `/var/lib/apt/lists` in the same layer: tens of MB of stale package indexes
//! ship in the image. Cache mounts on `/var/lib/apt` are fine.

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use pipeguard_shell::Command;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerAptListsNotCleaned, check);

fn is_apt_update(c: &Command) -> bool {
    matches!(c.program(), Some("apt-get" | "apt")) && c.subcommand() == Some("update")
}

fn cleans_lists(c: &Command) -> bool {
    match c.program() {
        Some("rm") => c
            .operands()
            .any(|w| w.text.starts_with("/var/lib/apt/lists")),
        Some("apt-get" | "apt") => matches!(c.subcommand(), Some("distclean" | "dist-clean")),
        _ => false,
    }
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        if !m.in_final_image(run.stage) || run.has_cache_mount(&["/var/lib/apt"]) {
            continue;
        }
        let Some(update) = run.commands().find(|c| is_apt_update(c)) else {
            continue;
        };
        if run.commands().any(cleans_lists) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                update.span.clone(),
                "apt-get update without `rm -rf /var/lib/apt/lists/*` in the same RUN leaves the package lists in the image",
            )
            .content(m.text(update.span.clone())),
        );
    }
}
