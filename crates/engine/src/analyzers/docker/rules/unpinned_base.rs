//! `docker/unpinned-base`: a base image without a tag or with `:latest` (and no digest).

use crate::analyzers::docker::model::{Base, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerUnpinnedBase, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        let Base::Image(image) = &stage.base else {
            continue;
        };
        if !image.is_floating() {
            continue;
        }
        let what = if image.tag.is_some() {
            "the `latest` tag"
        } else {
            "no tag"
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                stage.image_span.clone(),
                format!(
                    "base image `{}` has {what}: every build may get a different image",
                    stage.image_text
                ),
            )
            .content(&stage.image_text),
        );
    }
}
