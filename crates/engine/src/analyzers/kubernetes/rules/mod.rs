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
    ];
}

/// Every rule id the family reports, `kubernetes/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::KubernetesParseError, RULES)
}

pub fn run(model: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    for r in RULES {
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
