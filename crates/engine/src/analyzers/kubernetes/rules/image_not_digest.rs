//! `kubernetes/image-not-digest`: a container image pinned by tag but not by digest
//! (`image@sha256:…`). A tag is a mutable pointer: whoever can push to the repository decides
//! what runs next time the pod starts. Images without a tag or with `:latest` are
//! `kubernetes/unpinned-image`'s findings.

use super::{key, who};
use crate::analyzers::common::image::ImageRef;
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesImageNotDigest, check, persona = Pedantic);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(img) = c.node.get("image") else {
                continue;
            };
            let Some(image) = img.as_str().map(str::trim) else {
                continue;
            };
            if image.is_empty() || image.contains("{{") {
                continue;
            }
            let Some(r) = ImageRef::split(image) else {
                continue;
            };
            if r.has_digest() || r.tag.as_deref().is_none_or(|t| t == "latest") {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    img.span.clone(),
                    format!(
                        "image `{image}` of {} is pinned by tag, not by digest",
                        who(w, c)
                    ),
                )
                .content(key(w, Some(c), &format!("image tag {image}"))),
            );
        }
    }
}
