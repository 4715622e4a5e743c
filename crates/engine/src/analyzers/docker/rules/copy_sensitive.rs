//! `docker/copy-sensitive`: `COPY`/`ADD` of files that hold credentials — SSH keys and `.ssh`,
//! `.env`, `*.pem`/`*.key`/`*.p12`, cloud and registry credential files. Anything copied into a
//! layer stays in the image, even if a later layer deletes it.

use parse_dockerfile::{Instruction, Source};

use crate::analyzers::docker::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerCopySensitive, check);

/// What makes a path sensitive, or `None`.
pub fn sensitive(path: &str) -> Option<&'static str> {
    let p = path.trim_end_matches('/').replace('\\', "/");
    let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    let name = parts
        .last()
        .copied()
        .unwrap_or_default()
        .to_ascii_lowercase();
    for dir in &parts {
        match dir.to_ascii_lowercase().as_str() {
            ".ssh" => return Some("an SSH directory"),
            ".aws" => return Some("AWS credentials"),
            ".gnupg" => return Some("a GnuPG keyring"),
            ".kube" => return Some("a kubeconfig"),
            _ => {}
        }
    }
    if parts.len() >= 2 && parts[parts.len() - 2] == ".docker" && name == "config.json" {
        return Some("Docker registry credentials");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|k| name.starts_with(k))
        && !name.ends_with(".pub")
    {
        return Some("an SSH private key");
    }
    if name == ".env" || (name.starts_with(".env.") && !is_template(&name)) {
        return Some("an environment file");
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    if matches!(
        ext,
        "pem" | "key" | "p12" | "pfx" | "jks" | "keystore" | "ppk"
    ) {
        return Some("a key or certificate store");
    }
    match name.as_str() {
        ".netrc" | "_netrc" | ".npmrc" | ".pypirc" | ".git-credentials" | ".htpasswd"
        | "credentials" | "credentials.json" | "kubeconfig" | "secrets.yml" | "secrets.yaml"
        | "secrets.json" | ".vault-token" => Some("a credentials file"),
        _ => None,
    }
}

fn is_template(name: &str) -> bool {
    ["example", "sample", "template", "dist", "defaults"]
        .iter()
        .any(|t| name.ends_with(t))
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for stage in &m.stages {
        for ins in stage.instructions {
            let (kw, srcs) = match ins {
                Instruction::Copy(c) => ("COPY", &c.src),
                Instruction::Add(a) => ("ADD", &a.src),
                _ => continue,
            };
            for src in srcs {
                let Source::Path(p) = src else { continue };
                if p.value.contains("://") {
                    continue;
                }
                let Some(what) = sensitive(&p.value) else {
                    continue;
                };
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        p.span.clone(),
                        format!("{kw} puts `{}` ({what}) into an image layer", p.value),
                    )
                    .content(format!("{kw} {}", p.value)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sensitive;

    #[test]
    fn paths() {
        for p in [
            "id_rsa",
            "./keys/id_ed25519",
            ".ssh/",
            "/root/.ssh/known_hosts",
            ".env",
            ".env.production",
            "certs/server.pem",
            "tls.key",
            ".npmrc",
            "home/.aws/credentials",
            ".docker/config.json",
        ] {
            assert!(sensitive(p).is_some(), "{p}");
        }
        for p in [
            ".",
            "src/",
            ".env.example",
            "package.json",
            "config.json",
            "id_rsa.pub",
            "keys.txt",
        ] {
            assert!(sensitive(p).is_none(), "{p}");
        }
    }
}
