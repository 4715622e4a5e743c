//! `kubernetes/secret-in-env`: an `env` entry with a secret-looking name (PASSWORD, TOKEN,
//! API_KEY…) carries a literal value instead of `valueFrom.secretKeyRef`. The value is in the
//! manifest, in git, and readable by anyone who can `get` the workload. Values are redacted.

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::{Node, Style, Value};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesSecretInEnv, check);

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "CLIENT_KEY",
    "ENCRYPTION_KEY",
    "SIGNING_KEY",
];

/// Names that hold a reference to a secret (a file, a name, a URL), not the secret itself.
const NOT_A_VALUE: &[&str] = &[
    "_FILE",
    "_PATH",
    "_NAME",
    "_URL",
    "_URI",
    "_ENDPOINT",
    "_DIR",
    "_REF",
    "_KEY_ID",
    "_ID",
    "_TYPE",
    "_MODE",
    "_ENABLED",
    "_LENGTH",
    "_TTL",
    "_EXPIRY",
    "_HEADER",
];

pub fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace('-', "_");
    let n = n.as_str();
    (SECRET_WORDS.iter().any(|w| n.contains(w))
        || n == "PASS"
        || n.ends_with("_PASS")
        || n.ends_with("_PWD"))
        && !NOT_A_VALUE.iter().any(|s| n.ends_with(s))
}

/// Values that are obviously not a real secret: empty, booleans, references and placeholders.
pub fn placeholder(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    t.len() < 4
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "none" | "changeme" | "change-me"
        )
        || t.starts_with("$(")
        || t.starts_with("${")
        || t.contains("{{")
        || (t.starts_with('<') && t.ends_with('>'))
        || lower.chars().all(|c| c == 'x' || c == '*')
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.starts_with('/')
}

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
                if !secret_name(name) || placeholder(text) {
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
