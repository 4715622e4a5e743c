//! `compose/sensitive-host-mount`: a bind mount of a sensitive host path — `/`, `/etc`,
//! `/root`, `/home`, `/proc`, `/sys`, `/var/run`, `/dev`, `/boot`, `/var/lib/docker`, SSH and
//! cloud credential directories. Read-only mounts are still reported (they expose secrets such
//! as `/etc/shadow` or SSH keys). The runtime socket is `compose/docker-socket`.

use yamlpath::Component;

use crate::analyzers::compose::model::{Model, bind_mounts};
use crate::analyzers::compose::rules::docker_socket::is_runtime_socket;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeSensitiveHostMount, check);

/// Host paths that are sensitive themselves and below.
const TREES: &[&str] = &[
    "/root",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/var/lib/docker",
    "/var/lib/kubelet",
    "/etc/kubernetes",
    "/etc/ssh",
    "/etc/shadow",
    "/etc/sudoers",
];

/// Paths sensitive only as a whole (subpaths such as `/etc/localtime` are routine).
const EXACT: &[&str] = &[
    "/", "/etc", "/home", "/var", "/var/run", "/run", "/usr", "/lib", "/bin", "/sbin", "/var/log",
];

/// Credential directories in a home directory.
const HOME_DIRS: &[&str] = &[
    ".ssh",
    ".aws",
    ".kube",
    ".docker",
    ".gnupg",
    ".config/gcloud",
];

pub fn is_sensitive(source: &str) -> bool {
    let p = if source.len() > 1 {
        source.trim_end_matches('/')
    } else {
        source
    };
    if EXACT.contains(&p) {
        return true;
    }
    if TREES
        .iter()
        .any(|t| p == *t || p.starts_with(&format!("{t}/")))
    {
        return true;
    }
    let home = p
        .strip_prefix("~/")
        .or_else(|| p.strip_prefix("$HOME/"))
        .or_else(|| p.strip_prefix("${HOME}/"))
        .or_else(|| {
            p.strip_prefix("/home/")
                .and_then(|r| r.split_once('/').map(|(_, rest)| rest))
        });
    home.is_some_and(|h| {
        HOME_DIRS
            .iter()
            .any(|d| h == *d || h.starts_with(&format!("{d}/")))
    })
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for mount in bind_mounts(s.value) {
            if is_runtime_socket(&mount.source) || !is_sensitive(&mount.source) {
                continue;
            }
            let span = m.span(
                &s.name,
                &[Component::from("volumes"), Component::from(mount.index)],
            );
            let ro = if mount.read_only { " (read-only)" } else { "" };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "service `{}` mounts the host path `{}` at `{}`{ro}",
                        s.name, mount.source, mount.target
                    ),
                )
                .content(format!("{} {}", s.name, mount.source)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths() {
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/root/.bashrc",
            "/proc",
            "/home",
            "~/.ssh",
            "/home/u/.aws/credentials",
        ] {
            assert!(super::is_sensitive(p), "{p}");
        }
        for p in [
            "/etc/localtime",
            "./data",
            "/srv/app",
            "/home/u/project",
            "~/code",
        ] {
            assert!(!super::is_sensitive(p), "{p}");
        }
    }
}
