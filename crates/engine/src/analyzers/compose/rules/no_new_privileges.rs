//! `compose/no-new-privileges`: a service does not set `security_opt: [no-new-privileges:true]`.
//! Without it a process in the container gains privileges through setuid/setgid binaries and
//! file capabilities (`su`, `sudo`, `ping` in many images) — Docker's counterpart of
//! Kubernetes' `allowPrivilegeEscalation: false`. A value written out as false is reported at
//! the entry.

use yamlpath::Component;

use crate::analyzers::common::container::switch;
use crate::analyzers::compose::model::{Model, security_opts};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeNoNewPrivileges, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let opts = security_opts(s.value);
        // The last entry wins, as in Docker.
        let nnp = opts.iter().rev().find(|o| o.key == "no-new-privileges");
        let (span, msg) = match nnp {
            Some(o) if switch(&o.value) == Some(true) => continue,
            Some(o) => (
                m.span(
                    &s.name,
                    &[Component::from("security_opt"), Component::from(o.index)],
                ),
                format!(
                    "service `{}` sets `no-new-privileges:{}`: its processes may gain privileges through setuid binaries",
                    s.name, o.value
                ),
            ),
            None => match m.key_span(&s.name, &[Component::from("security_opt")]) {
                Some(k) => (
                    k,
                    format!(
                        "service `{}` does not set `no-new-privileges:true` in its `security_opt`: its processes may gain privileges through setuid binaries",
                        s.name
                    ),
                ),
                None => (
                    m.service_span(&s.name),
                    format!(
                        "service `{}` has no `security_opt` (`no-new-privileges:true`): its processes may gain privileges through setuid binaries",
                        s.name
                    ),
                ),
            },
        };
        out.push(
            RawFinding::new(ID, m.file, span, msg).content(format!("{} no-new-privileges", s.name)),
        );
    }
}
