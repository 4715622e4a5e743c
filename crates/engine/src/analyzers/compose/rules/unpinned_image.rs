//! `compose/unpinned-image`: `image:` with no tag or `:latest` and no digest, for a service
//! that is not built locally (`build:` makes `image:` the name of the result).

use yamlpath::Component;

use crate::analyzers::compose::model::Model;
use crate::analyzers::common::image::ImageRef;
use crate::analyzers::common::interpolate::substitute;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeUnpinnedImage, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        if s.value.get("build").is_some() {
            continue;
        }
        let Some(text) = s.value.get("image").and_then(|v| v.as_str()) else {
            continue;
        };
        // `${TAG:-latest}` means `latest` unless the environment says otherwise.
        let text = substitute(text, &std::collections::HashMap::new());
        let Some(image) = ImageRef::parse(&text) else {
            continue;
        };
        if !image.is_floating() {
            continue;
        }
        let span = m.span(&s.name, &[Component::from("image")]);
        out.push(
            RawFinding::new(
                ID,
                m.file,
                span,
                format!(
                    "service `{}` uses image `{text}` without a version tag or digest",
                    s.name
                ),
            )
            .content(format!("{} {text}", s.name)),
        );
    }
}
