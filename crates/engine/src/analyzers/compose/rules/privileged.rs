//! `compose/privileged`: `privileged: true` gives the container every capability and every
//! host device — root in the container is root on the host.

use yamlpath::Component;

use crate::analyzers::common::container::switch;
use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposePrivileged, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let on = s
            .value
            .get("privileged")
            .and_then(scalar)
            .is_some_and(|v| switch(&v) == Some(true));
        if !on {
            continue;
        }
        let span = m.span(&s.name, &[Component::from("privileged")]);
        let span = m
            .key_span(&s.name, &[Component::from("privileged")])
            .map_or(span.clone(), |k| k.start..span.end);
        out.push(
            RawFinding::new(
                ID,
                m.file,
                span,
                format!(
                    "service `{}` runs privileged: it has full access to the host",
                    s.name
                ),
            )
            .content(format!("{} privileged", s.name)),
        );
    }
}
