//! `kubernetes/dangerous-capabilities`: `capabilities.add` grants a capability that breaks
//! container isolation (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, ALL…).

use super::{key, who};
use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesDangerousCapabilities, check);

const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "BPF",
    "PERFMON",
    "NET_RAW",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SETFCAP",
];

pub fn dangerous(cap: &str) -> bool {
    let c = cap.trim().to_ascii_uppercase();
    let c = c.strip_prefix("CAP_").unwrap_or(&c);
    DANGEROUS.contains(&c)
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(add) = c.sc("capabilities").and_then(|caps| caps.get("add")) else {
                continue;
            };
            for cap in add.items() {
                let Some(name) = cap.as_str() else { continue };
                if dangerous(name) {
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
