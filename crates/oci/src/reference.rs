//! Image references as `docker`, `cosign` and `crane` spell them:
//! `[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:HEX]`. Without a registry (no `.` or `:` in the
//! first component, and not `localhost`) the registry is Docker Hub and a one-component name
//! gets `library/`.

use std::fmt;

use anyhow::{anyhow, bail};

pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's API answers.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `host[:port]` as written (Docker Hub: `docker.io`).
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:HEX`, lower case.
    pub digest: Option<String>,
}

impl Reference {
    pub fn parse(s: &str) -> anyhow::Result<Reference> {
        let s = s.trim();
        if s.is_empty() || s.len() > 4096 {
            bail!("an image reference must be 1 to 4096 characters");
        }
        if s.contains("://") {
            bail!("`{s}`: an image reference has no scheme (write `registry.example.com/app:1`)");
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(parse_digest(d)?)),
            None => (s, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(rest[i + 1..].to_string())),
            _ => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && !t.starts_with(['.', '-']);
            if !ok {
                bail!("`{s}`: `{t}` is not a valid tag");
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ => {
                let repo = if name.contains('/') {
                    name.to_string()
                } else {
                    format!("library/{name}")
                };
                (DOCKER_HUB.to_string(), repo)
            }
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        if !registry
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        {
            bail!("`{s}`: `{registry}` is not a registry host");
        }
        validate_repository(&repository).map_err(|e| anyhow!("`{s}`: {e}"))?;
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the API is on (Docker Hub's differs from its name).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// This repository at another digest.
    #[must_use]
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest.to_string()),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `sha256:` + 64 hex digits (lower-cased).
pub fn parse_digest(d: &str) -> anyhow::Result<String> {
    let d = d.trim();
    let Some(hex) = d.strip_prefix("sha256:") else {
        bail!("digest `{d}` is not `sha256:` followed by 64 hex digits");
    };
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("digest `{d}` is not `sha256:` followed by 64 hex digits");
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// Repository names per the distribution spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*` components
/// joined by `/`, at most 255 characters.
pub fn validate_repository(r: &str) -> Result<(), String> {
    if r.is_empty() || r.len() > 255 {
        return Err("a repository name must be 1 to 255 characters".into());
    }
    for comp in r.split('/') {
        let ok = !comp.is_empty()
            && comp.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && comp.starts_with(|c: char| c.is_ascii_alphanumeric())
            && comp.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(format!(
                "`{r}` is not a valid repository name (lower case, digits, . _ -)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_normalisation_and_parts() {
        let r = Reference::parse("nginx").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/nginx")
        );
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::parse("127.0.0.1:5000/team/app:1.2@sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert!(r.digest.unwrap().starts_with("sha256:abcdef"));
        let r = Reference::parse("localhost/app").unwrap();
        assert_eq!(r.registry, "localhost");
        assert!(Reference::parse("https://x.io/app").is_err());
        assert!(Reference::parse("x.io/App").is_err());
        assert!(Reference::parse("x.io/app:bad tag").is_err());
        assert!(Reference::parse("x.io/app@sha256:12").is_err());
        assert!(Reference::parse("x.io/app/../etc").is_err());
    }
}
