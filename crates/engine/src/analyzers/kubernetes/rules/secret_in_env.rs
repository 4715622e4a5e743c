//! `kubernetes/secret-in-env`: an `env` entry with a secret-looking name (PASSWORD, TOKEN,
//! API_KEY…) carries a literal value instead of `valueFrom.secretKeyRef`. The value is in the
//! manifest, in git, and readable by anyone who can `get` the workload. Values are redacted.

use super::{key, who};
use crate::analyzers::common::secrets::{is_placeholder, is_secret_name};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::{Node, Style, Value};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSecretInEnv, check);

/// The value's text without its quotes, for redaction.
fn inner(node: &Node) -> std::ops::Range<usize> {
    match node.value {
        Value::Scalar(_, Style::Quoted) if node.span.len() >= 2 => {
            node.span.start + 1..node.span.end - 1
        }
        _ => node.span.clone(),
    }
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            for env in c.node.get("env").map(Node::items).unwrap_or_default() {
                let Some(name) = env.get("name").and_then(Node::as_str) else {
                    continue;
                };
                let Some(value) = env.get("value") else {
                    continue;
                };
                let Some(text) = value.as_str() else { continue };
                if !is_secret_name(name) || is_placeholder(text) {
                    continue;
                }
                let span = env
                    .entry("value")
                    .map_or_else(|| value.span.clone(), super::super::yaml::Entry::span);
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        span,
                        format!(
                            "{} sets `{name}` to a literal value; use valueFrom.secretKeyRef",
                            who(w, c)
                        ),
                    )
                    .content(key(w, Some(c), &format!("env {name}")))
                    .redact(m.file, inner(value)),
                );
            }
        }
    }
}
