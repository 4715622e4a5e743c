//! Kubernetes rules, one per file. Each declares itself with `declare_rule!` (id, persona, confidence, `check(model, cx, out)`); `declare_rules!` lists them once.

use super::model::{Container, Model, Workload};
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

type Check = fn(&Model<'_>, &ScanContext<'_>, &mut Output);

declare_rules! {
    RULES: Check = [
        privileged,
        privilege_escalation,
        run_as_root,
        host_namespace,
        sensitive_host_path,
        docker_socket,
        dangerous_capabilities,
        writable_root_fs,
        no_resource_limits,
        unpinned_image,
        secret_in_env,
        default_service_account_token,
        sensitivity_unpinned,
        rbac_wildcard,
        rbac_dangerous_verbs,
        rbac_cluster_admin_binding,
        rbac_default_service_account_binding,
        capabilities_not_dropped,
        seccomp_unconfined,
        apparmor_unconfined,
        proc_mount_unmasked,
        unsafe_sysctls,
        host_port,
        host_path_volume,
        low_uid,
        no_security_context,
        shared_service_account,
        no_probes,
        default_namespace,
        image_not_digest,
        image_pull_policy,
        secret_env_ref,
        no_resource_requests,
        network_policy_unmatched,
        service_exposed,
        dashboard_deployed,
        tiller_deployed,
        psp_permissive,
        control_plane_insecure_flag,
        etcd_insecure_flag,
        kubelet_insecure_config,
        removed_api_version,
        no_namespace_limits,
        cni_without_network_policy,
        no_pod_anti_affinity,
    ];
}

/// Every rule id the family reports, `kubernetes/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::KubernetesParseError, RULES)
}

pub fn run(model: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    for r in RULES {
        if crate::limits::budget_exceeded() {
            break;
        }
        if cx.enabled(r.id) {
            (r.check)(model, cx, out);
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

/// hostPath volumes of PersistentVolumes: (object, path, range of the `path:` entry).
fn pv_host_paths<'m, 'a>(
    m: &'m Model<'a>,
) -> Vec<(
    &'m super::model::Object<'a>,
    &'a str,
    std::ops::Range<usize>,
)> {
    m.objects_of(&["PersistentVolume"])
        .filter_map(|o| {
            let e = o.path(&["spec", "hostPath"])?.entry("path")?;
            Some((o, e.value.as_str()?, e.span()))
        })
        .collect()
}

/// Whether every container mount of volume `name` is read-only (and there is at least one).
fn mounted_read_only(w: &Workload<'_>, name: &str) -> bool {
    use super::yaml::Node;
    let mounts: Vec<&Node> = w
        .containers
        .iter()
        .flat_map(|c| {
            c.node
                .get("volumeMounts")
                .map(Node::items)
                .unwrap_or_default()
        })
        .filter(|m| m.get("name").and_then(Node::as_str) == Some(name))
        .collect();
    !mounts.is_empty()
        && mounts
            .iter()
            .all(|m| m.get("readOnly").and_then(Node::as_bool) == Some(true))
}

/// A node path mounted read-only by log shippers (the container runtime's log directory):
/// reported as an ordinary hostPath, not a sensitive one.
fn read_only_log_mount(w: &Workload<'_>, name: &str, path: &str) -> bool {
    let p = path.trim().trim_end_matches('/');
    (p == "/var/lib/docker/containers" || p.starts_with("/var/lib/docker/containers/"))
        && mounted_read_only(w, name)
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

/// The key span of the deepest entry that exists along `path` below `node` (where a finding
/// about a missing setting points: `securityContext:` when `capabilities` is missing inside
/// it), or `None` when not even the first key exists.
fn deepest(node: &super::yaml::Node, path: &[&str]) -> Option<std::ops::Range<usize>> {
    let mut cur = node;
    let mut found = None;
    for k in path {
        let Some(e) = cur.entry(k) else { break };
        found = Some(e.key_span.clone());
        cur = &e.value;
    }
    found
}

/// Where a finding about a missing container setting at `path` points: the deepest existing
/// key of the path, else the container's `name:`.
fn missing_at(c: &Container<'_>, path: &[&str]) -> std::ops::Range<usize> {
    deepest(c.node, path).unwrap_or_else(|| c.anchor())
}

/// System namespaces whose workloads are the cluster's own (CNI, kube-proxy, log shippers).
fn system_namespace(ns: Option<&str>) -> bool {
    matches!(ns, Some("kube-system"))
}
