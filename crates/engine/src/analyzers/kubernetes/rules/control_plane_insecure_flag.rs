//! `kubernetes/control-plane-insecure-flag`: a static pod (or any container) running
//! kube-apiserver, kube-controller-manager or kube-scheduler with a flag the CIS Kubernetes
//! Benchmark (sections 1.2–1.4) marks insecure, or without a flag it requires: anonymous
//! access, token/basic-auth files, AlwaysAllow authorization, missing Node/RBAC authorizers,
//! admission plugins (AlwaysAdmit enabled; NodeRestriction, EventRateLimit, AlwaysPullImages,
//! ImagePolicyWebhook not enabled; NamespaceLifecycle, ServiceAccount, PodSecurity disabled),
//! the insecure port, audit logging, TLS to kubelets and etcd, service-account keys, encryption
//! of secrets at rest, profiling, bind addresses, weak cipher suites. Also the
//! KubeSchedulerConfiguration's `enableProfiling` and an EncryptionConfiguration whose first
//! provider for secrets is `identity` (stored in plain text). One finding per failed check,
//! named by its flag, at the flag (or at `command:` when it is missing).

use crate::analyzers::kubernetes::flags::{
    FlagCheck, at_least, duration_secs, forbidden, list_has, must_be, required, run,
};
use crate::analyzers::kubernetes::model::{Invocation, Model};
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesControlPlaneInsecureFlag, check);

const API: &[&str] = &["kube-apiserver"];
const CM: &[&str] = &["kube-controller-manager"];
const CM_SCHED: &[&str] = &["kube-controller-manager", "kube-scheduler"];
const ALL: &[&str] = &[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
];

/// Cipher suites that are not AEAD or use RSA key exchange, RC4 or 3DES.
pub fn weak_ciphers(list: &[&str]) -> Vec<String> {
    list.iter()
        .filter(|c| {
            let u = c.to_ascii_uppercase();
            u.contains("_CBC_")
                || u.contains("RC4")
                || u.contains("3DES")
                || u.starts_with("TLS_RSA_")
                || u.ends_with("_SHA")
        })
        .map(|c| (*c).to_string())
        .collect()
}

fn plugin_enabled(inv: &Invocation<'_>, plugin: &str) -> bool {
    list_has(inv, "enable-admission-plugins", plugin) || list_has(inv, "admission-control", plugin)
}

fn plugin_missing(inv: &Invocation<'_>, plugin: &str, why: &str) -> Option<String> {
    (!plugin_enabled(inv, plugin)).then(|| {
        format!(
            "the `{plugin}` admission plugin is not enabled (`--enable-admission-plugins`): {why}"
        )
    })
}

fn plugin_disabled(inv: &Invocation<'_>, plugin: &str, why: &str) -> Option<String> {
    list_has(inv, "disable-admission-plugins", plugin).then(|| {
        format!(
            "the `{plugin}` admission plugin is disabled (`--disable-admission-plugins`): {why}"
        )
    })
}

fn authorization_lacks(inv: &Invocation<'_>, mode: &str, why: &str) -> Option<String> {
    // Without the flag it is reported once, as "AlwaysAllow by default".
    inv.flag("authorization-mode")?;
    (!list_has(inv, "authorization-mode", mode))
        .then(|| format!("`--authorization-mode` does not include {mode}: {why}"))
}

pub const CHECKS: &[FlagCheck] = &[
    FlagCheck {
        programs: API,
        flag: "anonymous-auth",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "anonymous-auth", "false", true)
                .map(|w| format!("{w}: unauthenticated requests reach the API as system:anonymous"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "basic-auth-file",
        severity: Severity::High,
        test: |i| {
            forbidden(
                i,
                "basic-auth-file",
                "static passwords in a file, never rotated",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "token-auth-file",
        severity: Severity::High,
        test: |i| {
            forbidden(
                i,
                "token-auth-file",
                "static bearer tokens in a file, never rotated or revoked",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "kubelet-https",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "kubelet-https", "true", false)
                .map(|w| format!("{w}: the API server talks to kubelets in clear text"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "kubelet-client-certificate",
        severity: Severity::Medium,
        test: |i| {
            if i.flag("kubelet-client-certificate").is_some()
                && i.flag("kubelet-client-key").is_some()
            {
                return None;
            }
            Some("`--kubelet-client-certificate` and `--kubelet-client-key` are not both set: kubelets cannot authenticate the API server".into())
        },
    },
    FlagCheck {
        programs: API,
        flag: "kubelet-certificate-authority",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "kubelet-certificate-authority",
                "kubelets' serving certificates are not verified (man in the middle)",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "authorization-mode",
        severity: Severity::High,
        test: |i| {
            match i.flag("authorization-mode") {
            None => Some("`--authorization-mode` is not set: it defaults to AlwaysAllow, every request is authorized".into()),
            Some(_) if list_has(i, "authorization-mode", "AlwaysAllow") => {
                Some("`--authorization-mode` includes AlwaysAllow: every request is authorized".into())
            }
            Some(_) => None,
        }
        },
    },
    FlagCheck {
        programs: API,
        flag: "authorization-mode",
        severity: Severity::Medium,
        test: |i| {
            authorization_lacks(
                i,
                "Node",
                "kubelets are not limited to their own node's objects",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "authorization-mode",
        severity: Severity::Medium,
        test: |i| authorization_lacks(i, "RBAC", "roles and bindings are not enforced"),
    },
    FlagCheck {
        programs: API,
        flag: "enable-admission-plugins",
        severity: Severity::High,
        test: |i| {
            plugin_enabled(i, "AlwaysAdmit").then(|| {
                "the `AlwaysAdmit` admission plugin is enabled: admission control is off"
                    .to_string()
            })
        },
    },
    FlagCheck {
        programs: API,
        flag: "enable-admission-plugins",
        severity: Severity::Low,
        test: |i| {
            plugin_missing(
                i,
                "AlwaysPullImages",
                "pods can start private images cached on the node without pull credentials",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "enable-admission-plugins",
        severity: Severity::Low,
        test: |i| {
            plugin_missing(
                i,
                "EventRateLimit",
                "nothing limits the event flood one client can send",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "enable-admission-plugins",
        severity: Severity::Medium,
        test: |i| {
            plugin_missing(
                i,
                "NodeRestriction",
                "a kubelet can modify other nodes and the pods bound to them",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "enable-admission-plugins",
        severity: Severity::Low,
        test: |i| {
            plugin_missing(
                i,
                "ImagePolicyWebhook",
                "no image policy decides which images may run",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "disable-admission-plugins",
        severity: Severity::Low,
        test: |i| {
            plugin_disabled(
                i,
                "NamespaceLifecycle",
                "objects can be created in namespaces being deleted or that do not exist",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "disable-admission-plugins",
        severity: Severity::Medium,
        test: |i| {
            plugin_disabled(
                i,
                "ServiceAccount",
                "pods are not given service accounts and their token automation",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "disable-admission-plugins",
        severity: Severity::High,
        test: |i| {
            plugin_disabled(
                i,
                "PodSecurity",
                "Pod Security Standards are not enforced on any namespace",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "insecure-port",
        severity: Severity::High,
        test: |i| {
            match i.flag("insecure-port") {
            Some(f) if f.value.as_deref().map(str::trim) != Some("0") => Some(format!(
                "`--insecure-port={}`: an unauthenticated, unencrypted API port",
                f.value.as_deref().unwrap_or_default()
            )),
            Some(_) => None,
            None => Some("`--insecure-port` is not set to 0: before Kubernetes 1.20 that leaves an unauthenticated API port on localhost:8080".into()),
        }
        },
    },
    FlagCheck {
        programs: API,
        flag: "insecure-bind-address",
        severity: Severity::High,
        test: |i| {
            forbidden(
                i,
                "insecure-bind-address",
                "it serves the unauthenticated insecure port on that address",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "secure-port",
        severity: Severity::High,
        test: |i| {
            (i.flag("secure-port")
                .and_then(|f| f.value.as_deref())
                .map(str::trim)
                == Some("0"))
            .then(|| "`--secure-port=0`: the API server serves no TLS port".to_string())
        },
    },
    FlagCheck {
        programs: API,
        flag: "audit-log-path",
        severity: Severity::Medium,
        test: |i| required(i, "audit-log-path", "no audit log is written"),
    },
    FlagCheck {
        programs: API,
        flag: "audit-log-maxage",
        severity: Severity::Low,
        test: |i| {
            at_least(i, "audit-log-maxage", 30.0, true)
                .map(|w| format!("{w}: days of audit logs kept"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "audit-log-maxbackup",
        severity: Severity::Low,
        test: |i| {
            at_least(i, "audit-log-maxbackup", 10.0, true)
                .map(|w| format!("{w}: rotated audit log files kept"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "audit-log-maxsize",
        severity: Severity::Low,
        test: |i| {
            at_least(i, "audit-log-maxsize", 100.0, true)
                .map(|w| format!("{w}: MB per audit log file"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "audit-policy-file",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "audit-policy-file",
                "without an audit policy nothing is audited",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "request-timeout",
        severity: Severity::Low,
        test: |i| {
            let f = i.flag("request-timeout")?;
            let v = f.value.as_deref().unwrap_or_default();
            match duration_secs(v) {
                Some(s) if s <= 300.0 => None,
                _ => Some(format!(
                    "`--request-timeout={v}` is longer than 300s: slow clients hold connections (resource exhaustion)"
                )),
            }
        },
    },
    FlagCheck {
        programs: API,
        flag: "service-account-lookup",
        severity: Severity::High,
        test: |i| {
            must_be(i, "service-account-lookup", "true", false)
                .map(|w| format!("{w}: tokens of deleted service accounts stay valid"))
        },
    },
    FlagCheck {
        programs: API,
        flag: "service-account-key-file",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "service-account-key-file",
                "service-account tokens cannot be verified against a rotatable key",
            )
        },
    },
    FlagCheck {
        programs: API,
        flag: "etcd-certfile",
        severity: Severity::Medium,
        test: |i| {
            if i.flag("etcd-certfile").is_some() && i.flag("etcd-keyfile").is_some() {
                return None;
            }
            Some("`--etcd-certfile` and `--etcd-keyfile` are not both set: the API server does not authenticate to etcd with a client certificate".into())
        },
    },
    FlagCheck {
        programs: API,
        flag: "etcd-cafile",
        severity: Severity::Medium,
        test: |i| required(i, "etcd-cafile", "etcd's certificate is not verified"),
    },
    FlagCheck {
        programs: API,
        flag: "tls-cert-file",
        severity: Severity::Medium,
        test: |i| {
            if i.flag("tls-cert-file").is_some() && i.flag("tls-private-key-file").is_some() {
                return None;
            }
            Some("`--tls-cert-file` and `--tls-private-key-file` are not both set: the API server serves a self-signed certificate".into())
        },
    },
    FlagCheck {
        programs: API,
        flag: "client-ca-file",
        severity: Severity::High,
        test: |i| required(i, "client-ca-file", "client certificates are not verified"),
    },
    FlagCheck {
        programs: API,
        flag: "encryption-provider-config",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "encryption-provider-config",
                "secrets are stored in etcd unencrypted",
            )
        },
    },
    FlagCheck {
        programs: ALL,
        flag: "profiling",
        severity: Severity::Low,
        test: |i| {
            must_be(i, "profiling", "false", true)
                .map(|w| format!("{w}: the profiling endpoints expose internals"))
        },
    },
    FlagCheck {
        programs: ALL,
        flag: "tls-cipher-suites",
        severity: Severity::Medium,
        test: |i| {
            let weak = weak_ciphers(&i.list("tls-cipher-suites"));
            (!weak.is_empty()).then(|| {
                format!(
                    "`--tls-cipher-suites` allows weak suites: {}",
                    weak.join(", ")
                )
            })
        },
    },
    FlagCheck {
        programs: CM_SCHED,
        flag: "bind-address",
        severity: Severity::Low,
        test: |i| match i.flag("bind-address").and_then(|f| f.value.as_deref()) {
            Some("127.0.0.1") => None,
            Some(v) => Some(format!(
                "`--bind-address={v}`: the health and metrics endpoints listen beyond localhost"
            )),
            None => Some("`--bind-address` is not set: it listens on 0.0.0.0".into()),
        },
    },
    FlagCheck {
        programs: CM,
        flag: "root-ca-file",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "root-ca-file",
                "pods cannot verify the API server's certificate from their token volume",
            )
        },
    },
    FlagCheck {
        programs: CM,
        flag: "service-account-private-key-file",
        severity: Severity::Medium,
        test: |i| {
            required(
                i,
                "service-account-private-key-file",
                "service-account tokens are not signed with a rotatable key",
            )
        },
    },
    FlagCheck {
        programs: CM,
        flag: "use-service-account-credentials",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "use-service-account-credentials", "true", true).map(|w| format!("{w}: every controller runs with the controller manager's own, broad credentials"))
        },
    },
    FlagCheck {
        programs: CM,
        flag: "terminated-pod-gc-threshold",
        severity: Severity::Low,
        test: |i| {
            let f = i.flag("terminated-pod-gc-threshold")?;
            let v = f.value.as_deref().unwrap_or_default();
            match v.trim().parse::<i64>() {
                Ok(n) if (1..=12500).contains(&n) => None,
                _ => Some(format!(
                    "`--terminated-pod-gc-threshold={v}`: terminated pods pile up (0 disables collection; above 12500 exceeds the default)"
                )),
            }
        },
    },
    FlagCheck {
        programs: CM,
        flag: "feature-gates",
        severity: Severity::Medium,
        test: |i| {
            list_has(i, "feature-gates", "RotateKubeletServerCertificate=false")
            .then(|| "`--feature-gates` sets RotateKubeletServerCertificate=false: kubelet serving certificates are not rotated".to_string())
        },
    },
];

/// `KubeSchedulerConfiguration.enableProfiling` (default true) and the EncryptionConfiguration.
fn config_objects(m: &Model<'_>, out: &mut Output) {
    for o in m.objects_of(&["KubeSchedulerConfiguration"]) {
        let e = o.node.entry("enableProfiling");
        if e.and_then(|e| e.value.as_bool()) == Some(false) {
            continue;
        }
        let at = e.map_or_else(
            || o.anchor(),
            crate::analyzers::kubernetes::yaml::Entry::span,
        );
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!(
                    "{}: `enableProfiling` is {} (profiling: the endpoints expose internals)",
                    o.describe(),
                    if e.is_some() {
                        "true"
                    } else {
                        "not false (it defaults to true)"
                    }
                ),
            )
            .content(format!("{} {} profiling", o.kind, o.name))
            .severity(Severity::Low),
        );
    }
    for o in m.objects_of(&["EncryptionConfiguration"]) {
        for r in o.get("resources").map(Node::items).unwrap_or_default() {
            let covers_secrets = r
                .get("resources")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|x| matches!(x.as_str(), Some("secrets" | "*.*" | "*.")));
            let Some(providers) = r.entry("providers") else {
                continue;
            };
            let first = providers
                .value
                .items()
                .first()
                .and_then(|p| p.entries().first());
            if !covers_secrets || first.is_none_or(|e| e.key != "identity") {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    providers.key_span.clone(),
                    format!(
                        "{}: the first provider for secrets is `identity`: the encryption provider stores them unencrypted",
                        o.describe()
                    ),
                )
                .content(format!("{} {} identity first", o.kind, o.name)),
            );
        }
    }
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for (content, f) in run(m, CHECKS) {
        out.push(
            RawFinding::new(ID, m.file, f.at, f.message)
                .content(content)
                .severity(f.severity),
        );
    }
    config_objects(m, out);
}
