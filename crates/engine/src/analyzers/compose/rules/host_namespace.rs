//! `compose/host-namespace`: `network_mode: host`, `pid: host`, `ipc: host` (also `uts`,
//! `userns_mode`): the container shares the host's namespace — it sees host processes, host
//! network interfaces and services bound to localhost, or host shared memory.

use yamlpath::Component;

use crate::analyzers::common::container::COMPOSE_NAMESPACE_KEYS;
use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeHostNamespace, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for (key, _) in COMPOSE_NAMESPACE_KEYS {
            let Some(v) = s.value.get(*key).and_then(scalar) else {
                continue;
            };
            if !v.eq_ignore_ascii_case("host") {
                continue;
            }
            let path = [Component::from(*key)];
            let span = m.span(&s.name, &path);
            let span = m
                .key_span(&s.name, &path)
                .map_or(span.clone(), |k| k.start..span.end);
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "service `{}` shares the host's namespace (`{key}: host`)",
                        s.name
                    ),
                )
                .content(format!("{} {key}: host", s.name)),
            );
        }
    }
}
