//! `kubernetes/no-namespace-limits`: a namespace whose workloads (or claims) appear in the
//! file has no LimitRange, or no ResourceQuota, among the file's objects. Without a LimitRange
//! a container that sets no limits gets none; without a ResourceQuota one team's namespace can
//! take the cluster's capacity. Reported once per namespace and kind of limit, at the first
//! object of the namespace. Objects in other files are not seen.

use std::collections::BTreeSet;

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::Entry;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::KubernetesNoNamespaceLimits,
    check,
    persona = Auditor
);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let ns_of = |o: &crate::analyzers::kubernetes::model::Object<'_>| {
        o.namespace.clone().unwrap_or_else(|| "default".to_string())
    };
    for (limit, why) in [
        ("LimitRange", "containers without limits get none"),
        ("ResourceQuota", "nothing caps what the namespace consumes"),
    ] {
        let covered: BTreeSet<String> = m.objects_of(&[limit]).map(&ns_of).collect();
        let mut reported = BTreeSet::new();
        for o in &m.objects {
            let runs = o.kind == "PersistentVolumeClaim"
                || m.workloads.iter().any(|w| std::ptr::eq(w.object, o.node))
                || matches!(
                    o.kind.as_str(),
                    "Pod" | "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CronJob"
                );
            let ns = ns_of(o);
            if !runs || covered.contains(&ns) || !reported.insert(ns.clone()) {
                continue;
            }
            let md = o.path(&["metadata"]);
            let at = md
                .and_then(|md| md.entry("namespace").or_else(|| md.entry("name")))
                .map_or_else(|| o.anchor(), Entry::span);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    at,
                    format!(
                        "namespace `{ns}` of {} has no {limit} in this file: {why}",
                        o.describe()
                    ),
                )
                .content(format!("{ns} no {limit}")),
            );
        }
    }
}
