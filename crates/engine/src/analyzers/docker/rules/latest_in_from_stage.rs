//! `docker/latest-in-from-stage`: `COPY --from=<image>` or `RUN --mount=from=<image>` naming an
//! external image with no tag or `:latest` (and no digest): files are copied out of whatever
//! that image is today. Stage names are not images and are not reported.

use crate::analyzers::docker::model::{CopySource, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerLatestInFromStage, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for c in &m.copy_froms {
        let CopySource::Image(image) = &c.source else {
            continue;
        };
        if !image.is_floating() {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                c.span.clone(),
                format!(
                    "`--from={}` copies from an external image that is not pinned to a tag or digest",
                    c.text
                ),
            )
            .content(format!("--from={}", c.text)),
        );
    }
}
