//! Kubernetes rules, one per file. Each exposes `ID` and `check(model, cx, out)`.

mod dangerous_capabilities;
mod default_service_account_token;
mod docker_socket;
mod host_namespace;
mod no_resource_limits;
mod privilege_escalation;
mod privileged;
mod run_as_root;
mod secret_in_env;
mod sensitive_host_path;
mod sensitivity_unpinned;
mod unpinned_image;
mod writable_root_fs;

use super::model::{Container, Model, Workload};
use crate::analyzers::{Output, ScanContext};

type Check = fn(&Model<'_>, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (privileged::ID, privileged::check),
    (privilege_escalation::ID, privilege_escalation::check),
    (run_as_root::ID, run_as_root::check),
    (host_namespace::ID, host_namespace::check),
    (sensitive_host_path::ID, sensitive_host_path::check),
    (docker_socket::ID, docker_socket::check),
    (dangerous_capabilities::ID, dangerous_capabilities::check),
    (writable_root_fs::ID, writable_root_fs::check),
    (no_resource_limits::ID, no_resource_limits::check),
    (unpinned_image::ID, unpinned_image::check),
    (secret_in_env::ID, secret_in_env::check),
    (
        default_service_account_token::ID,
        default_service_account_token::check,
    ),
    (sensitivity_unpinned::ID, sensitivity_unpinned::check),
];

pub const IDS: &[&str] = &[
    "kubernetes/parse-error",
    privileged::ID,
    privilege_escalation::ID,
    run_as_root::ID,
    host_namespace::ID,
    sensitive_host_path::ID,
    docker_socket::ID,
    dangerous_capabilities::ID,
    writable_root_fs::ID,
    no_resource_limits::ID,
    unpinned_image::ID,
    secret_in_env::ID,
    default_service_account_token::ID,
    sensitivity_unpinned::ID,
];

pub fn run(model: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(model, cx, out);
        }
    }
}

/// "container `app` of Deployment `web`", for messages.
fn who(w: &Workload<'_>, c: &Container<'_>) -> String {
    format!("{} `{}` of {}", c.kind.label(), c.name, w.describe())
}

/// Fingerprint content that survives reordering: kind/name/container/setting.
fn key(w: &Workload<'_>, c: Option<&Container<'_>>, what: &str) -> String {
    match c {
        Some(c) => format!("{} {} {} {what}", w.kind, w.name, c.name),
        None => format!("{} {} {what}", w.kind, w.name),
    }
}

/// hostPath volumes of a pod spec: (volume name, path, range of the `path:` entry).
fn host_paths<'a>(w: &Workload<'a>) -> Vec<(&'a str, &'a str, std::ops::Range<usize>)> {
    use super::yaml::Node;
    let mut v = Vec::new();
    for vol in w
        .pod_spec
        .get("volumes")
        .map(Node::items)
        .unwrap_or_default()
    {
        let Some(entry) = vol.get("hostPath").and_then(|h| h.entry("path")) else {
            continue;
        };
        let Some(path) = entry.value.as_str() else {
            continue;
        };
        let name = vol
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        v.push((name, path, entry.span()));
    }
    v
}
