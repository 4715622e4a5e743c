//! `compose/writable-root-fs`: a service does not set `read_only: true`: whoever runs code in
//! the container can rewrite its binaries and configuration and keep a foothold across
//! processes. Data goes to volumes or `tmpfs:`.

use yamlpath::Component;

use crate::analyzers::common::container::switch;
use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeWritableRootFs, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let value = s.value.get("read_only").and_then(scalar);
        if value.as_deref().and_then(switch) == Some(true) {
            continue;
        }
        let span = match value {
            Some(_) => m.span(&s.name, &[Component::from("read_only")]),
            None => m.service_span(&s.name),
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                span,
                format!(
                    "service `{}` does not set `read_only: true`: its root filesystem is writable",
                    s.name
                ),
            )
            .content(format!("{} read_only", s.name)),
        );
    }
}
