//! `kubernetes/secret-env-ref`: a Secret reaches a container through environment variables
//! (`env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`). Environment variables are inherited
//! by every child process, printed by crash handlers and debug endpoints, and readable in
//! /proc; a Secret mounted as a file is read only by who opens it (CIS Kubernetes 5.4.1).

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Node;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSecretEnvRef, check, persona = Pedantic);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            for e in c.node.get("env").map(Node::items).unwrap_or_default() {
                let Some(r) = e.get("valueFrom").and_then(|v| v.entry("secretKeyRef")) else {
                    continue;
                };
                let var = e.get("name").and_then(Node::as_str).unwrap_or("?");
                let secret = r.value.get("name").and_then(Node::as_str).unwrap_or("?");
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        r.span(),
                        format!(
                            "{} reads Secret `{secret}` into the environment variable `{var}`",
                            who(w, c)
                        ),
                    )
                    .content(key(
                        w,
                        Some(c),
                        &format!("env {var} secret {secret}"),
                    )),
                );
            }
            let Some(ef) = c.node.entry("envFrom") else {
                continue;
            };
            for src in ef.value.items() {
                let Some(r) = src.get("secretRef") else {
                    continue;
                };
                let secret = r.get("name").and_then(Node::as_str).unwrap_or("?");
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        ef.key_span.start..src.span.end,
                        format!("{} loads every key of Secret `{secret}` into its environment (`envFrom`)", who(w, c)),
                    )
                    .content(key(w, Some(c), &format!("envFrom secret {secret}"))),
                );
            }
        }
    }
}
