//! `docker/base-not-digest`: a tagged base image not pinned by digest. Tags are mutable; a digest
//! is the only reference that cannot be moved. Floating references are `docker/unpinned-base`.

use crate::analyzers::docker::model::{Base, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerBaseNotDigest, check);

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        let Base::Image(image) = &stage.base else {
            continue;
        };
        if image.has_digest() || image.is_floating() {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                stage.image_span.clone(),
                format!(
                    "base image `{}` is pinned by tag, not by digest",
                    stage.image_text
                ),
            )
            .content(&stage.image_text),
        );
    }
}
