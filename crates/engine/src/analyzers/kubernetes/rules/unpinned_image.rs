//! `kubernetes/unpinned-image`: a container image without a tag, or tagged `latest`, and not
//! pinned by digest: what runs changes whenever the tag moves.

use super::{key, who};
use crate::analyzers::common::image::ImageRef;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesUnpinnedImage, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(img) = c.node.get("image") else {
                continue;
            };
            let Some(image) = img.as_str() else { continue };
            let image = image.trim();
            if image.is_empty()
                || image.contains('@')
                || image.contains("${")
                || image.contains("{{")
            {
                continue;
            }
            let Some(parsed) = ImageRef::split(image) else {
                continue;
            };
            let why = match parsed.tag.as_deref() {
                None => "has no tag (means :latest)",
                Some("latest") => "uses the :latest tag",
                Some(_) => continue,
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    img.span.clone(),
                    format!("image `{image}` of {} {why}", who(w, c)),
                )
                .content(key(w, Some(c), &format!("image {image}"))),
            );
        }
    }
}
