//! `docker/apk-cache`: `apk add` without `--no-cache` keeps the package index in the layer
//! (unless the same `RUN` removes `/var/cache/apk` or uses a cache mount there).

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::{Manager, has_flag, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerApkCache, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        if run.has_cache_mount(&["/var/cache/apk", "/etc/apk/cache"]) {
            continue;
        }
        let cleaned = run.commands().any(|c| {
            (c.program() == Some("rm")
                && c.operands().any(|w| w.text.starts_with("/var/cache/apk")))
                || (c.program() == Some("apk") && c.subcommand() == Some("cache"))
        });
        if cleaned {
            continue;
        }
        let hit = run.commands().find(|c| {
            install(c).is_some_and(|i| i.manager == Manager::Apk)
                && !has_flag(c.args(), None, &["no-cache", "no-network"])
        });
        if let Some(cmd) = hit {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    "apk add without --no-cache leaves the package index in the image",
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
}
