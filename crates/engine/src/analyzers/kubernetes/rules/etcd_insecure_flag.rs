//! `kubernetes/etcd-insecure-flag`: an etcd container without the TLS the CIS Kubernetes
//! Benchmark (section 2) requires: client and peer certificates (`--cert-file`/`--key-file`,
//! `--peer-cert-file`/`--peer-key-file`), client-certificate authentication
//! (`--client-cert-auth`, `--peer-client-cert-auth`), no self-signed `--auto-tls` /
//! `--peer-auto-tls`, and a CA of its own (`--trusted-ca-file` not the API server's
//! `--client-ca-file`). etcd holds every secret of the cluster.

use crate::analyzers::kubernetes::flags::{FlagCheck, must_be, run};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesEtcdInsecureFlag, check);

const ETCD: &[&str] = &["etcd"];

fn pair(
    i: &crate::analyzers::kubernetes::model::Invocation<'_>,
    a: &str,
    b: &str,
    what: &str,
) -> Option<String> {
    if i.flag(a).is_some() && i.flag(b).is_some() {
        return None;
    }
    Some(format!("`--{a}` and `--{b}` are not both set: {what}"))
}

pub const CHECKS: &[FlagCheck] = &[
    FlagCheck {
        programs: ETCD,
        flag: "cert-file",
        severity: Severity::Medium,
        test: |i| {
            pair(
                i,
                "cert-file",
                "key-file",
                "clients talk to etcd without TLS",
            )
        },
    },
    FlagCheck {
        programs: ETCD,
        flag: "client-cert-auth",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "client-cert-auth", "true", true)
                .map(|w| format!("{w}: any client that reaches etcd reads every secret"))
        },
    },
    FlagCheck {
        programs: ETCD,
        flag: "auto-tls",
        severity: Severity::Medium,
        test: |i| {
            (must_be(i, "auto-tls", "false", false).is_some())
                .then(|| "`--auto-tls=true`: self-signed certificates nobody verifies".to_string())
        },
    },
    FlagCheck {
        programs: ETCD,
        flag: "peer-cert-file",
        severity: Severity::High,
        test: |i| {
            pair(
                i,
                "peer-cert-file",
                "peer-key-file",
                "etcd members replicate without TLS",
            )
        },
    },
    FlagCheck {
        programs: ETCD,
        flag: "peer-client-cert-auth",
        severity: Severity::Medium,
        test: |i| {
            must_be(i, "peer-client-cert-auth", "true", true)
                .map(|w| format!("{w}: any host can join the etcd cluster as a peer"))
        },
    },
    FlagCheck {
        programs: ETCD,
        flag: "peer-auto-tls",
        severity: Severity::Medium,
        test: |i| {
            (must_be(i, "peer-auto-tls", "false", false).is_some()).then(|| {
                "`--peer-auto-tls=true`: self-signed peer certificates nobody verifies".to_string()
            })
        },
    },
];

/// etcd's `--trusted-ca-file` equal to an API server's `--client-ca-file` in the same file:
/// every client certificate of the cluster is then an etcd client certificate.
fn shared_ca(m: &Model<'_>, out: &mut Output) {
    let mut api_cas = Vec::new();
    let mut etcd_cas = Vec::new();
    for w in &m.workloads {
        for c in &w.containers {
            let Some(inv) = c.invocation() else { continue };
            let (flag, list) = match inv.program.as_str() {
                "kube-apiserver" => ("client-ca-file", &mut api_cas),
                "etcd" => ("trusted-ca-file", &mut etcd_cas),
                _ => continue,
            };
            if let Some(f) = inv.flag(flag)
                && let Some(v) = f.value.clone()
            {
                list.push((v, f.span.clone(), format!("{} `{}`", w.kind, w.name)));
            }
        }
    }
    for (ca, span, who) in &etcd_cas {
        if let Some((_, api_span, api)) = api_cas.iter().find(|(a, _, _)| a == ca) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span.clone(),
                    format!("etcd ({who}): `--trusted-ca-file={ca}` is the API server's client CA: every client certificate of the cluster is an etcd client"),
                )
                .content(format!("{who} trusted-ca-file shared"))
                .related(m.file, api_span.clone(), format!("`--client-ca-file` of {api}")),
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
    shared_ca(m, out);
}
