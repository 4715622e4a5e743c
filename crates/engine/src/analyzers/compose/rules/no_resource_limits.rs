//! `compose/no-resource-limits`: a service without a memory limit (`mem_limit`,
//! `deploy.resources.limits.memory`), a process limit (`pids_limit`,
//! `deploy.resources.limits.pids`; 0 and -1 mean none) or a CPU limit (`cpus`, `cpu_quota`,
//! `deploy.resources.limits.cpus`). One runaway or compromised service — a memory leak, a fork
//! bomb, a cryptominer — takes the host's capacity from every other. One finding per missing
//! limit, at the deepest of `deploy.resources.limits` that exists, else the service.

use serde_yaml::Value;
use yamlpath::Component;

use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeNoResourceLimits, check);

/// `-1`, `0` or an empty value: no limit.
fn unlimited(v: &Value) -> bool {
    scalar(v).is_none_or(|t| matches!(t.trim(), "" | "0" | "-1"))
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let limits = s
            .value
            .get("deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get("limits"));
        for (what, top, deploy) in [
            ("memory", &["mem_limit"][..], "memory"),
            ("pids", &["pids_limit"][..], "pids"),
            ("cpu", &["cpus", "cpu_quota"][..], "cpus"),
        ] {
            // A value written out as unlimited is reported there.
            let mut set_unlimited: Option<Vec<Component<'_>>> = None;
            let mut limited = false;
            for k in top {
                if let Some(v) = s.value.get(*k) {
                    if unlimited(v) {
                        set_unlimited = Some(vec![Component::from(*k)]);
                    } else {
                        limited = true;
                    }
                }
            }
            if let Some(v) = limits.and_then(|l| l.get(deploy)) {
                if unlimited(v) {
                    set_unlimited = Some(vec![
                        Component::from("deploy"),
                        Component::from("resources"),
                        Component::from("limits"),
                        Component::from(deploy),
                    ]);
                } else {
                    limited = true;
                }
            }
            if limited {
                continue;
            }
            let span = match &set_unlimited {
                Some(path) => m.span(&s.name, path),
                None => {
                    let mut at = None;
                    let path = ["deploy", "resources", "limits"];
                    for depth in (1..=path.len()).rev() {
                        let comps: Vec<Component<'_>> =
                            path[..depth].iter().map(|k| Component::from(*k)).collect();
                        let exists = path[..depth]
                            .iter()
                            .try_fold(s.value, |v, k| v.get(*k))
                            .is_some();
                        if exists && let Some(k) = m.key_span(&s.name, &comps) {
                            at = Some(k);
                            break;
                        }
                    }
                    at.unwrap_or_else(|| m.service_span(&s.name))
                }
            };
            let msg = if set_unlimited.is_some() {
                format!(
                    "service `{}` sets its {what} limit to none (0 or -1)",
                    s.name
                )
            } else {
                format!("service `{}` has no {what} limit", s.name)
            };
            out.push(
                RawFinding::new(ID, m.file, span, msg).content(format!("{} {what} limit", s.name)),
            );
        }
    }
}
