//! Container image references: `[registry/]repository[:tag][@digest]`, as Docker parses them.

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (`docker.io` when none is given).
    pub registry: String,
    /// Repository path without the registry (`library/alpine`).
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:…`
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parse a reference. Returns `None` for `scratch`, empty strings, and references that still
    /// contain unresolved variables (`$BASE`), which cannot be judged.
    pub fn parse(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.contains('$') || s.eq_ignore_ascii_case("scratch") {
            return None;
        }
        ImageRef::split(s)
    }

    /// Split a reference into its parts as written, without judging it: `scratch` and `$VAR`
    /// are repositories like any other here (a Kubernetes `image:` has no build-time
    /// variables, and `scratch` there is a real repository name). `None` when it is empty or
    /// has no repository.
    pub fn split(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        // A tag is after the last ':' that is not part of a registry host:port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        if repository.is_empty() {
            return None;
        }
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    pub fn has_digest(&self) -> bool {
        self.digest.as_deref().is_some_and(|d| d.contains(':'))
    }

    /// No tag or `latest`, and no digest: the image can change under you.
    pub fn is_floating(&self) -> bool {
        !self.has_digest() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }

    /// `registry/repository` as written in allow-lists.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let r = ImageRef::parse("alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.clone()),
            ("docker.io", "library/alpine", None)
        );
        assert!(r.is_floating());
        let r = ImageRef::parse("localhost:5000/team/app:1.2").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        let r = ImageRef::parse("ghcr.io/o/i:v1@sha256:abc").unwrap();
        assert!(r.has_digest() && !r.is_floating());
        assert!(ImageRef::parse("node:latest").unwrap().is_floating());
        assert!(!ImageRef::parse("node:20").unwrap().is_floating());
        assert!(ImageRef::parse("scratch").is_none());
        assert!(ImageRef::parse("${BASE}").is_none());
        assert_eq!(ImageRef::parse("org/app").unwrap().repository, "org/app");
    }
}
