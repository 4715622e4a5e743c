//! `docker/apt-no-recommends`: `apt-get install` without `--no-install-recommends` pulls in
//! recommended packages nobody asked for — more code, more CVEs, a bigger image.

use crate::analyzers::docker::model::Model;
use crate::analyzers::docker::tools::{Manager, has_flag, install};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerAptNoRecommends, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for run in &m.runs {
        // An apt.conf written earlier in the file may switch recommends off globally.
        let configured = m.runs.iter().any(|r| {
            r.span.start < run.span.start
                && m.in_final_image(r.stage) == m.in_final_image(run.stage)
                && m.text(r.span.clone()).contains("Install-Recommends")
        });
        if configured {
            continue;
        }
        let hit = run.commands().find(|c| {
            let Some(i) = install(c).filter(|i| i.manager == Manager::Apt) else {
                return false;
            };
            c.program() != Some("aptitude")
                && (!i.packages.is_empty() || has_flag(c.args(), Some('f'), &["fix-broken"]))
                && !has_flag(c.args(), None, &["no-install-recommends"])
                && !c.args().iter().any(|w| {
                    w.text.contains("Install-Recommends=false")
                        || w.text.contains("Install-Recommends=0")
                })
        });
        if let Some(cmd) = hit {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    cmd.span.clone(),
                    "apt-get install without --no-install-recommends installs extra packages",
                )
                .content(m.text(cmd.span.clone())),
            );
        }
    }
}
