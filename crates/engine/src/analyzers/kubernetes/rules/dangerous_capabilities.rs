//! `kubernetes/dangerous-capabilities`: `capabilities.add` grants a capability that breaks
//! container isolation (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, ALL…): the list shared
//! with compose plus Kubernetes' own NET_RAW and SETFCAP (`common::container`).

use super::{key, who};
use crate::analyzers::common::container::{Platform, dangerous_capability};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDangerousCapabilities, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(add) = c.sc("capabilities").and_then(|caps| caps.get("add")) else {
                continue;
            };
            for cap in add.items() {
                let Some(name) = cap.as_str() else { continue };
                if dangerous_capability(name, Platform::Kubernetes) {
                    out.push(
                        RawFinding::new(
                            ID,
                            m.file,
                            cap.span.clone(),
                            format!("{} adds capability {name}", who(w, c)),
                        )
                        .content(key(w, Some(c), &format!("cap {name}"))),
                    );
                }
            }
        }
    }
}
