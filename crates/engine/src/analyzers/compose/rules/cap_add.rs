//! `compose/cap-add`: `cap_add` of capabilities that amount to root on the host or break
//! isolation: `ALL`, `SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE`, `SYS_MODULE`, `DAC_READ_SEARCH`…
//! (the list shared with Kubernetes, plus compose's own `SYSLOG`: `common::container`).

use yamlpath::Component;

use crate::analyzers::common::container::{Platform, capability_name, dangerous_capability};
use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeCapAdd, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let Some(list) = s.value.get("cap_add").and_then(|v| v.as_sequence()) else {
            continue;
        };
        for (i, cap) in list.iter().enumerate() {
            let Some(raw) = scalar(cap) else { continue };
            let name = capability_name(&raw);
            if !dangerous_capability(&name, Platform::Compose) {
                continue;
            }
            let span = m.span(&s.name, &[Component::from("cap_add"), Component::from(i)]);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!("service `{}` adds the `{name}` capability", s.name),
                )
                .content(format!("{} cap_add {name}", s.name)),
            );
        }
    }
}
