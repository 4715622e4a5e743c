//! `kubernetes/image-pull-policy`: a container's `imagePullPolicy` is not `Always` (written,
//! or by default for a tagged image: `IfNotPresent`). A node then starts the image from its
//! cache without asking the registry: a pod without pull credentials runs a private image
//! another tenant pulled, and a re-pushed tag keeps its old content. The AlwaysPullImages
//! admission plugin enforces the same cluster-wide.

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesImagePullPolicy, check, persona = Auditor);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let image = c
                .node
                .get("image")
                .and_then(|i| i.as_str())
                .unwrap_or_default();
            let (at, what) = match c.node.entry("imagePullPolicy") {
                Some(e) => match e.value.as_str() {
                    Some("Always") | None => continue,
                    Some(p) => (e.span(), format!("`imagePullPolicy: {p}`")),
                },
                None => {
                    // The default is Always for `:latest` and untagged images.
                    let tag =
                        crate::analyzers::common::image::ImageRef::split(image).and_then(|r| {
                            if r.has_digest() {
                                Some(String::new())
                            } else {
                                r.tag
                            }
                        });
                    match tag.as_deref() {
                        None | Some("latest") => continue,
                        Some(_) => (
                            c.anchor(),
                            "no imagePullPolicy (IfNotPresent for a tagged image)".to_string(),
                        ),
                    }
                }
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!("{} may start a cached image: {what}", who(w, c)),
                )
                .content(key(w, Some(c), "imagePullPolicy")),
            );
        }
    }
}
