//! `docker/apk-unpinned`: `apk add` of packages without a version (`pkg=1.2.3`, `pkg~1.2`).

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::rules::apt_unpinned::{list, package_names, unpinned};
use crate::analyzers::docker::tools::{Manager, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerApkUnpinned, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        let hit = run.commands().find_map(|c| {
            let i = install(c).filter(|i| i.manager == Manager::Apk)?;
            let loose = unpinned(&package_names(m, run, &i.packages), &['=', '~', '<', '>']);
            (!loose.is_empty()).then(|| (c, list(&loose)))
        });
        if let Some((cmd, names)) = hit {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    format!("apk packages installed without a pinned version: {names}"),
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
}
