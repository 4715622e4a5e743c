//! `docker/pip-no-cache`: `pip install` without `--no-cache-dir` stores downloaded wheels in
//! the layer. Fine with `PIP_NO_CACHE_DIR` set or a cache mount on the pip cache.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::{Manager, has_flag, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerPipNoCache, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        if run.has_cache_mount(&["/root/.cache", "/home", "/tmp"]) {
            continue;
        }
        let env_off = m.ancestry(run.stage).iter().any(|&s| {
            m.stages[s]
                .vars
                .iter()
                .any(|(i, v, _)| v.name == "PIP_NO_CACHE_DIR" && (s != run.stage || *i < run.index))
        });
        if env_off {
            continue;
        }
        let hit = run.commands().find(|c| {
            let assigned = c.assignments.iter().any(|(n, _)| n == "PIP_NO_CACHE_DIR");
            install(c).is_some_and(|i| {
                i.manager == Manager::Pip && !has_flag(c.args(), None, &["no-cache-dir"])
            }) && !assigned
        });
        if let Some(cmd) = hit {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    "pip install without --no-cache-dir keeps its download cache in the image",
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
}
