//! `kubernetes/kubelet-insecure-config`: a kubelet started with an insecure flag, or a
//! KubeletConfiguration with an insecure setting, per the CIS Kubernetes Benchmark (section
//! 4.2): anonymous requests, AlwaysAllow authorization, no client CA, the unauthenticated
//! read-only port, streaming connections that never time out, kernel defaults not protected,
//! iptables chains not managed, hostname override, event rate limits, certificate rotation
//! off, no serving certificate, weak cipher suites. Flags whose insecure default only applies
//! without a config file are judged only when `--config` is absent; a KubeletConfiguration is
//! judged against the config file's defaults (anonymous off, Webhook authorization, read-only
//! port 0).

use super::control_plane_insecure_flag::weak_ciphers;
use crate::analyzers::kubernetes::flags::{FlagCheck, duration_secs, list_has, must_be, run};
use crate::analyzers::kubernetes::model::{Invocation, Model, Object};
use crate::analyzers::kubernetes::yaml::{Entry, Node};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesKubeletInsecureConfig, check);

const KUBELET: &[&str] = &["kubelet"];

fn no_config(i: &Invocation<'_>) -> bool {
    i.flag("config").is_none()
}

pub const CHECKS: &[FlagCheck] = &[
    FlagCheck {
        programs: KUBELET,
        flag: "anonymous-auth",
        severity: Severity::High,
        test: |i| {
            must_be(i, "anonymous-auth", "false", no_config(i))
                .map(|w| format!("{w}: anyone who reaches port 10250 uses the kubelet API"))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "authorization-mode",
        severity: Severity::High,
        test: |i| {
            match i.flag("authorization-mode") {
            None if no_config(i) => Some("`--authorization-mode` is not set: it defaults to AlwaysAllow".into()),
            Some(_) if list_has(i, "authorization-mode", "AlwaysAllow") => {
                Some("`--authorization-mode` includes AlwaysAllow: every kubelet API request is authorized".into())
            }
            _ => None,
        }
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "read-only-port",
        severity: Severity::Medium,
        test: |i| match i
            .flag("read-only-port")
            .and_then(|f| f.value.as_deref())
            .map(str::trim)
        {
            Some("0") => None,
            Some(v) => Some(format!(
                "`--read-only-port={v}`: an unauthenticated read-only kubelet API"
            )),
            None if no_config(i) => Some(
                "`--read-only-port` is not set to 0: it defaults to 10255, unauthenticated".into(),
            ),
            None => None,
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "streaming-connection-idle-timeout",
        severity: Severity::Medium,
        test: |i| {
            let v = i
                .flag("streaming-connection-idle-timeout")?
                .value
                .clone()
                .unwrap_or_default();
            (duration_secs(&v) == Some(0.0)).then(|| format!("`--streaming-connection-idle-timeout={v}`: exec and port-forward sessions never time out"))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "protect-kernel-defaults",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "protect-kernel-defaults", "true", false).map(|w| format!("{w}: the kubelet changes kernel settings instead of refusing to run on unexpected ones"))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "make-iptables-util-chains",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "make-iptables-util-chains", "true", false)
                .map(|w| format!("{w}: iptables rules drift from the pods' network settings"))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "hostname-override",
        severity: Severity::Low,
        test: |i| {
            i.flag("hostname-override").map(|f| format!(
            "`--hostname-override={}` is set: the node name no longer matches its certificate (TLS between kubelet and API server)",
            f.value.as_deref().unwrap_or_default()
        ))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "event-qps",
        severity: Severity::Low,
        test: |i| {
            let v = i.flag("event-qps")?.value.clone().unwrap_or_default();
            (v.trim() != "0").then(|| format!("`--event-qps={v}`: events beyond that rate are dropped from the record (0 keeps them all)"))
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "rotate-certificates",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "rotate-certificates", "true", false).map(|w| {
                format!("{w}: the kubelet's client certificate expires instead of rotating")
            })
        },
    },
    FlagCheck {
        programs: KUBELET,
        flag: "feature-gates",
        severity: Severity::Medium,
        test: |i| {
            list_has(i, "feature-gates", "RotateKubeletServerCertificate=false")
            .then(|| "`--feature-gates` sets RotateKubeletServerCertificate=false: serving certificates are not rotated".to_string())
        },
    },
    FlagCheck {
        programs: KUBELET,
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
];

/// One KubeletConfiguration setting: (path, flag named in the message, severity, test on the
/// entry if present; `None` = missing).
type ConfigCheck = (
    &'static [&'static str],
    &'static str,
    Severity,
    fn(Option<&Node>) -> Option<String>,
);

fn is_false(n: Option<&Node>) -> bool {
    n.and_then(Node::as_bool) == Some(false)
}

const CONFIG: &[ConfigCheck] = &[
    (
        &["authentication", "anonymous", "enabled"],
        "anonymous-auth",
        Severity::High,
        |n| {
            (n.and_then(Node::as_bool) == Some(true))
                .then(|| "anonymous requests are allowed".into())
        },
    ),
    (
        &["authorization", "mode"],
        "authorization-mode",
        Severity::High,
        |n| {
            (n.and_then(Node::as_str) == Some("AlwaysAllow"))
                .then(|| "every kubelet API request is authorized (AlwaysAllow)".into())
        },
    ),
    (
        &["authentication", "x509", "clientCAFile"],
        "client-ca-file",
        Severity::High,
        |n| {
            n.and_then(Node::as_str)
                .is_none_or(|v| v.trim().is_empty())
                .then(|| "no client CA: client certificates are not verified".into())
        },
    ),
    (&["readOnlyPort"], "read-only-port", Severity::Medium, |n| {
        let v = n.and_then(Node::as_i64)?;
        (v != 0).then(|| format!("an unauthenticated read-only kubelet API on port {v}"))
    }),
    (
        &["streamingConnectionIdleTimeout"],
        "streaming-connection-idle-timeout",
        Severity::Medium,
        |n| {
            (n.and_then(Node::as_str).and_then(duration_secs) == Some(0.0))
                .then(|| "exec and port-forward sessions never time out".into())
        },
    ),
    (
        &["protectKernelDefaults"],
        "protect-kernel-defaults",
        Severity::Medium,
        |n| {
            (n.is_none() || is_false(n))
                .then(|| "kernel defaults are not protected (it defaults to false)".into())
        },
    ),
    (
        &["makeIPTablesUtilChains"],
        "make-iptables-util-chains",
        Severity::Medium,
        |n| is_false(n).then(|| "iptables chains are not managed by the kubelet".into()),
    ),
    (&["eventRecordQPS"], "event-qps", Severity::Low, |n| {
        match n.and_then(Node::as_i64) {
        Some(0) => None,
        Some(v) => Some(format!("events beyond {v}/s are dropped from the record (0 keeps them all)")),
        None => Some("not set: events beyond the default 50/s are dropped from the record (0 keeps them all)".into()),
    }
    }),
    (
        &["rotateCertificates"],
        "rotate-certificates",
        Severity::Medium,
        |n| {
            (n.is_none() || is_false(n))
                .then(|| "the client certificate is not rotated (it defaults to false)".into())
        },
    ),
    (
        &["featureGates", "RotateKubeletServerCertificate"],
        "feature-gates",
        Severity::Medium,
        |n| {
            is_false(n).then(|| {
                "RotateKubeletServerCertificate is off: serving certificates are not rotated".into()
            })
        },
    ),
    (
        &["tlsCipherSuites"],
        "tls-cipher-suites",
        Severity::Low,
        |n| {
            n.is_none().then(|| "not set: Go's default cipher suites include CBC ones (CIS asks for an explicit strong list)".into())
        },
    ),
    (
        &["tlsCipherSuites"],
        "tls-cipher-suites",
        Severity::Medium,
        |n| {
            let list: Vec<&str> = n
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let weak = weak_ciphers(&list);
            (!weak.is_empty()).then(|| format!("weak cipher suites allowed: {}", weak.join(", ")))
        },
    ),
];

fn entry_at<'a>(o: &Object<'a>, path: &[&str]) -> Option<&'a Entry> {
    let (last, parents) = path.split_last()?;
    o.node.path(parents)?.entry(last)
}

fn config_objects(m: &Model<'_>, out: &mut Output) {
    for o in m.objects_of(&["KubeletConfiguration"]) {
        for (path, flag, severity, test) in CONFIG {
            let e = entry_at(o, path);
            let Some(why) = test(e.map(|e| &e.value)) else {
                continue;
            };
            let at = e.map_or_else(|| o.anchor(), Entry::span);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!("{}: `{}` (--{flag}): {why}", o.describe(), path.join(".")),
                )
                .content(format!("{} {} {} {why}", o.kind, o.name, path.join(".")))
                .severity(*severity),
            );
        }
        let bootstrap = o.node.get("serverTLSBootstrap").and_then(Node::as_bool) == Some(true);
        let has = |k: &str| {
            o.node
                .get(k)
                .and_then(Node::as_str)
                .is_some_and(|v| !v.trim().is_empty())
        };
        if !(bootstrap || has("tlsCertFile") && has("tlsPrivateKeyFile")) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    o.anchor(),
                    format!(
                        "{}: no `tlsCertFile`/`tlsPrivateKeyFile` (--tls-cert-file) and no `serverTLSBootstrap`: the kubelet serves a self-signed certificate",
                        o.describe()
                    ),
                )
                .content(format!("{} {} tls-cert-file", o.kind, o.name))
                .severity(Severity::Medium),
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
