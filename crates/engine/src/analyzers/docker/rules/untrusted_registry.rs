//! `docker/untrusted-registry`: a base image (or a `COPY --from` image) that does not come from
//! one of the registries the policy trusts (`docker.trusted_registries`). Silent when the policy
//! lists none.

use crate::analyzers::common::image::ImageRef;
use crate::analyzers::docker::model::{Base, CopySource, Model};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerUntrustedRegistry, check);

/// `registry.example.com` trusts that host; `ghcr.io/acme` trusts that path prefix;
/// `*.example.com` trusts subdomains. Docker Hub is `docker.io`.
pub fn is_trusted(image: &ImageRef, trusted: &[String]) -> bool {
    let full = image.full_name().to_ascii_lowercase();
    let registry = image.registry.to_ascii_lowercase();
    trusted.iter().any(|t| {
        let t = t.trim().trim_end_matches('/').to_ascii_lowercase();
        let t = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .unwrap_or(&t);
        if let Some(domain) = t.strip_prefix("*.") {
            return registry.ends_with(&format!(".{domain}"));
        }
        if t.contains('/') {
            full == t || full.starts_with(&format!("{t}/"))
        } else {
            registry == t || (t == "hub.docker.com" && registry == "docker.io")
        }
    })
}

pub fn check(m: &Model<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let trusted = &cx.config.docker.trusted_registries;
    if trusted.is_empty() {
        return;
    }
    let images = m
        .stages
        .iter()
        .filter_map(|s| match &s.base {
            Base::Image(i) => Some((i, s.image_span.clone(), &s.image_text, "base image")),
            _ => None,
        })
        .chain(m.copy_froms.iter().filter_map(|c| match &c.source {
            CopySource::Image(i) => Some((i, c.span.clone(), &c.text, "`--from` image")),
            _ => None,
        }));
    for (image, span, text, what) in images {
        if is_trusted(image, trusted) {
            continue;
        }
        out.push(
            RawFinding::new(
                ID,
                m.file,
                span,
                format!(
                    "{what} `{text}` comes from `{}`, which is not a trusted registry",
                    image.registry
                ),
            )
            .content(text),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_matching() {
        let t = |list: &[&str], img: &str| {
            let list: Vec<String> = list.iter().map(|s| (*s).to_string()).collect();
            is_trusted(&ImageRef::parse(img).unwrap(), &list)
        };
        assert!(t(&["registry.acme.io"], "registry.acme.io/base/node:20"));
        assert!(!t(&["registry.acme.io"], "node:20"));
        assert!(t(&["docker.io/library"], "node:20@sha256:abcd"));
        assert!(!t(&["docker.io/library"], "bitnami/node:20"));
        assert!(t(&["ghcr.io/acme"], "ghcr.io/acme/app:1"));
        assert!(!t(&["ghcr.io/acme"], "ghcr.io/acmeevil/app:1"));
        assert!(t(&["*.acme.io"], "eu.acme.io/x:1"));
        assert!(t(&["docker.io"], "alpine:3.20"));
    }
}
