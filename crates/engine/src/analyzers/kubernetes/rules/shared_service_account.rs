//! `kubernetes/shared-service-account`: a workload runs as the namespace's `default` service
//! account (no `serviceAccountName`, an empty one, or `default`), or shares its service
//! account with another workload of the same file. A service account is the workload's
//! identity towards the API server: shared, every RBAC grant made for one workload goes to
//! all of them.

use std::collections::BTreeMap;

use super::key;
use crate::analyzers::kubernetes::model::{Model, Workload};
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesSharedServiceAccount,
    check,
    persona = Pedantic
);

fn account<'a>(w: &Workload<'a>) -> Option<&'a crate::analyzers::kubernetes::yaml::Entry> {
    w.pod_spec
        .entry("serviceAccountName")
        .or_else(|| w.pod_spec.entry("serviceAccount"))
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let mut by_account: BTreeMap<(String, String), Vec<&Workload<'_>>> = BTreeMap::new();
    for w in &m.workloads {
        let entry = account(w).filter(|e| !e.value.is_null() || e.value.as_str() == Some(""));
        let name = entry
            .and_then(|e| e.value.as_str())
            .map(str::trim)
            .unwrap_or_default();
        if name.is_empty() || name == "default" {
            let at = entry.map_or_else(|| w.spec_anchor(), Entry::span);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!(
                        "{} runs as the namespace's `default` service account ({}): it shares that identity with every pod that names none",
                        w.describe(),
                        if entry.is_some() { "named" } else { "no serviceAccountName" }
                    ),
                )
                .content(key(w, None, "default service account")),
            );
            continue;
        }
        let ns = w.namespace.clone().unwrap_or_default();
        by_account
            .entry((ns, name.to_string()))
            .or_default()
            .push(w);
    }
    for ((_, name), ws) in by_account {
        if ws.len() < 2 {
            continue;
        }
        for w in &ws {
            let Some(e) = account(w) else { continue };
            let others: Vec<String> = ws
                .iter()
                .filter(|o| !std::ptr::eq(**o, *w))
                .map(|o| o.describe())
                .collect();
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    e.span(),
                    format!(
                        "{} shares service account `{name}` with {}",
                        w.describe(),
                        others.join(", ")
                    ),
                )
                .content(key(w, None, &format!("shared sa {name}"))),
            );
        }
    }
}
