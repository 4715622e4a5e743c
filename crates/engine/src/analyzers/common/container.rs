//! What compose and Kubernetes check alike about a container: the capabilities that break
//! isolation, the host namespaces it can share, the container runtime's socket and the host
//! paths that must not be mounted. One table each; where the two families judge differently,
//! the difference is a named column or list with its reason, not a second copy.

/// The platform a container setting is judged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Compose,
    Kubernetes,
}

// ---------------------------------------------------------------------------- capabilities

/// Capabilities that amount to root on the host or break container isolation, on both
/// platforms: mounting and namespace tricks (SYS_ADMIN), kernel modules, raw I/O and ptrace,
/// bypassing file permissions (DAC_*), eBPF and perf, the LSM (MAC_*), the clock and reboot.
pub const DANGEROUS_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
];

/// compose only: SYSLOG (reading and clearing the kernel log, which leaks kernel addresses
/// that defeat KASLR). Docker's default set does not grant it, so `cap_add: [SYSLOG]` is a
/// deliberate widening; the Kubernetes list never had it (historical, kept so that the
/// Kubernetes findings stay what they were).
pub const COMPOSE_EXTRA_CAPABILITIES: &[&str] = &["SYSLOG"];

/// Kubernetes only: NET_RAW (packet spoofing and sniffing on the pod network: the Pod Security
/// Standards' baseline leaves it out of the capabilities a pod may add, and CRI-O no longer
/// grants it by default) and SETFCAP (sets file capabilities on binaries the container writes).
/// Both are in Docker's default set, so adding them in compose changes nothing: compose does not
/// report them.
pub const KUBERNETES_EXTRA_CAPABILITIES: &[&str] = &["NET_RAW", "SETFCAP"];

/// `cap_sys_admin`, ` SYS_ADMIN ` → `SYS_ADMIN`.
pub fn capability_name(cap: &str) -> String {
    let c = cap.trim().to_ascii_uppercase();
    match c.strip_prefix("CAP_") {
        Some(rest) => rest.to_string(),
        None => c,
    }
}

/// Whether adding `cap` (any case, with or without `CAP_`) is dangerous on `platform`.
pub fn dangerous_capability(cap: &str, platform: Platform) -> bool {
    let c = capability_name(cap);
    let extra = match platform {
        Platform::Compose => COMPOSE_EXTRA_CAPABILITIES,
        Platform::Kubernetes => KUBERNETES_EXTRA_CAPABILITIES,
    };
    DANGEROUS_CAPABILITIES.contains(&c.as_str()) || extra.contains(&c.as_str())
}

// ---------------------------------------------------------------------------- switches

/// A YAML switch as both families read it: `true`/`yes`/`on` and `false`/`no`/`off`, any
/// case, quoted or not (the API server and compose reject other spellings of a boolean
/// anyway, and the author's intent is plain).
pub fn switch(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------- namespaces

/// A host namespace a container can share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    Network,
    Pid,
    Ipc,
    Uts,
    User,
}

/// compose keys whose value `host` shares a host namespace, in the order they are checked
/// (`net` is the v1 spelling of `network_mode`).
pub const COMPOSE_NAMESPACE_KEYS: &[(&str, Namespace)] = &[
    ("network_mode", Namespace::Network),
    ("pid", Namespace::Pid),
    ("ipc", Namespace::Ipc),
    ("uts", Namespace::Uts),
    ("userns_mode", Namespace::User),
    ("net", Namespace::Network),
];

/// Pod spec fields whose `true` shares a node namespace, with what is shared. Kubernetes has
/// no UTS switch, and its user-namespace switch (`hostUsers`) defaults to sharing, so only the
/// three below are settings an author turns on.
pub const POD_NAMESPACE_FIELDS: &[(&str, Namespace, &str)] = &[
    (
        "hostNetwork",
        Namespace::Network,
        "the node's network namespace",
    ),
    ("hostPID", Namespace::Pid, "the node's process namespace"),
    ("hostIPC", Namespace::Ipc, "the node's IPC namespace"),
];

// ---------------------------------------------------------------------------- runtime socket

/// Socket file names of container runtimes (docker, containerd, CRI-O, podman, dockershim).
const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "podman.sock",
    "dockershim.sock",
];

/// Whether a host path is a container runtime's socket, or the directory holding it: whoever
/// talks to it starts privileged containers on the host. Any directory, since hosts and
/// rootless setups put the sockets elsewhere (`/run/user/1000/docker.sock`).
pub fn is_runtime_socket(path: &str) -> bool {
    let p = path.trim().trim_end_matches('/');
    let name = p.rsplit('/').next().unwrap_or(p);
    RUNTIME_SOCKETS.contains(&name)
        || p.ends_with("/var/run/docker")
        || p.ends_with("/run/containerd")
}

// ---------------------------------------------------------------------------- host paths

/// How a sensitive host path counts on a platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Not sensitive on this platform.
    No,
    /// Only the path itself (its subpaths are mounted routinely).
    Exact,
    /// The path and everything below it.
    Tree,
}

/// Host paths a container must not mount, with how each platform counts them. Where the
/// columns differ:
/// - `/etc`, `/home`, `/bin`, `/sbin`, `/var/run`: compose services bind single files such as
///   `/etc/localtime` or a project directory under `/home` routinely, so only the directory
///   itself counts; a hostPath volume under them on a node is never routine.
/// - `/var`: only compose by itself; a pod mounting `/var` or `/var/lib` mounts
///   `/var/lib/kubelet` with it (a parent of a listed tree counts as that tree).
/// - `/dev`: a tree for compose; exact for Kubernetes, where device plugins and CSI drivers
///   mount `/dev/…` entries as part of their job.
/// - `/lib/modules`, `/var/lib/containerd`, `/var/lib/etcd`: node state, Kubernetes only.
/// - `/etc/ssh`, `/etc/shadow`, `/etc/sudoers`: compose's exceptions to its exact `/etc`;
///   Kubernetes covers them with the `/etc` tree.
pub const SENSITIVE_HOST_PATHS: &[(&str, Scope, Scope)] = &[
    // (path, compose, kubernetes)
    ("/", Scope::Exact, Scope::Exact),
    ("/etc", Scope::Exact, Scope::Tree),
    ("/root", Scope::Tree, Scope::Tree),
    ("/home", Scope::Exact, Scope::Tree),
    ("/proc", Scope::Tree, Scope::Tree),
    ("/sys", Scope::Tree, Scope::Tree),
    ("/boot", Scope::Tree, Scope::Tree),
    ("/dev", Scope::Tree, Scope::Exact),
    ("/lib/modules", Scope::No, Scope::Tree),
    ("/usr", Scope::Exact, Scope::Exact),
    ("/bin", Scope::Exact, Scope::Tree),
    ("/sbin", Scope::Exact, Scope::Tree),
    ("/lib", Scope::Exact, Scope::Exact),
    ("/var", Scope::Exact, Scope::No),
    ("/var/run", Scope::Exact, Scope::Tree),
    ("/run", Scope::Exact, Scope::Exact),
    ("/var/lib/kubelet", Scope::Tree, Scope::Tree),
    ("/var/lib/docker", Scope::Tree, Scope::Tree),
    ("/var/lib/containerd", Scope::No, Scope::Tree),
    ("/var/lib/etcd", Scope::No, Scope::Tree),
    ("/etc/kubernetes", Scope::Tree, Scope::Tree),
    ("/etc/ssh", Scope::Tree, Scope::Tree),
    ("/etc/shadow", Scope::Tree, Scope::Tree),
    ("/etc/sudoers", Scope::Tree, Scope::Tree),
    ("/var/log", Scope::Exact, Scope::Exact),
];

/// Credential directories in a home directory (compose: `~/.ssh`, `$HOME/.aws`,
/// `/home/u/.kube`). A pod's hostPath has no `~`, and `/home` is a tree there.
pub const HOME_CREDENTIAL_DIRS: &[&str] = &[
    ".ssh",
    ".aws",
    ".kube",
    ".docker",
    ".gnupg",
    ".config/gcloud",
];

/// `/etc/` → `/etc`; an empty path (or only slashes) is the root.
fn normalize(p: &str) -> &str {
    let t = p.trim().trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Whether mounting host path `path` into a container is sensitive on `platform`.
pub fn sensitive_host_path(path: &str, platform: Platform) -> bool {
    let p = normalize(path);
    let listed = SENSITIVE_HOST_PATHS.iter().any(|(s, compose, kube)| {
        let scope = match platform {
            Platform::Compose => compose,
            Platform::Kubernetes => kube,
        };
        match scope {
            Scope::No => false,
            Scope::Exact => p == *s,
            // A parent of a sensitive tree mounts that tree too (`/var/lib` ⊃ `/var/lib/kubelet`).
            Scope::Tree => {
                p == *s
                    || p.strip_prefix(s).is_some_and(|r| r.starts_with('/'))
                    || s.strip_prefix(p).is_some_and(|r| r.starts_with('/'))
            }
        }
    });
    listed || (platform == Platform::Compose && home_credentials(p))
}

fn home_credentials(p: &str) -> bool {
    let home = p
        .strip_prefix("~/")
        .or_else(|| p.strip_prefix("$HOME/"))
        .or_else(|| p.strip_prefix("${HOME}/"))
        .or_else(|| {
            p.strip_prefix("/home/")
                .and_then(|r| r.split_once('/').map(|(_, rest)| rest))
        });
    home.is_some_and(|h| {
        HOME_CREDENTIAL_DIRS
            .iter()
            .any(|d| h == *d || h.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_per_platform() {
        for p in [Platform::Compose, Platform::Kubernetes] {
            assert!(dangerous_capability("cap_sys_admin", p));
            assert!(dangerous_capability(" ALL ", p));
            assert!(!dangerous_capability("NET_BIND_SERVICE", p));
        }
        assert!(dangerous_capability("SYSLOG", Platform::Compose));
        assert!(!dangerous_capability("SYSLOG", Platform::Kubernetes));
        assert!(dangerous_capability("NET_RAW", Platform::Kubernetes));
        assert!(!dangerous_capability("NET_RAW", Platform::Compose));
        assert!(dangerous_capability("SETFCAP", Platform::Kubernetes));
    }

    #[test]
    fn sockets() {
        for p in [
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/var/run/crio/crio.sock",
            "/run/crio/crio.sock",
            "/run/user/1000/podman/podman.sock",
            "/var/run/docker/",
            "/run/containerd",
        ] {
            assert!(is_runtime_socket(p), "{p}");
        }
        for p in ["/var/run", "/var/lib/docker", "/srv/docker.socket"] {
            assert!(!is_runtime_socket(p), "{p}");
        }
    }

    #[test]
    fn host_paths() {
        use Platform::{Compose, Kubernetes};
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/root/.bashrc",
            "/proc",
            "/home",
            "~/.ssh",
        ] {
            assert!(sensitive_host_path(p, Compose), "{p}");
        }
        assert!(sensitive_host_path("/home/u/.aws/credentials", Compose));
        for p in [
            "/etc/localtime",
            "./data",
            "/srv/app",
            "/home/u/project",
            "~/code",
        ] {
            assert!(!sensitive_host_path(p, Compose), "{p}");
        }
        assert!(sensitive_host_path("/etc/localtime", Kubernetes));
        assert!(sensitive_host_path("/lib/modules/6.1", Kubernetes));
        assert!(!sensitive_host_path("/lib/modules", Compose));
        assert!(!sensitive_host_path("/dev/fuse", Kubernetes));
        assert!(sensitive_host_path("/dev/fuse", Compose));
        assert!(!sensitive_host_path("/var/log/pods", Kubernetes));
        assert!(sensitive_host_path("/var/lib", Kubernetes));
        assert!(sensitive_host_path("/var", Kubernetes));
        assert!(!sensitive_host_path("/var/lib/app-data", Kubernetes));
        assert!(!sensitive_host_path("/data/redis", Kubernetes));
    }
}
