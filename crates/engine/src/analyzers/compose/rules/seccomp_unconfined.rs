//! `compose/seccomp-unconfined`: `security_opt: [seccomp:unconfined]` (or `seccomp=unconfined`)
//! turns off Docker's default seccomp profile: every system call, the ones behind most kernel
//! privilege escalations and container escapes included, is open to the container.

use yamlpath::Component;

use crate::analyzers::compose::model::{Model, security_opts};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeSeccompUnconfined, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for o in security_opts(s.value) {
            if o.key != "seccomp" || !o.value.eq_ignore_ascii_case("unconfined") {
                continue;
            }
            let span = m.span(
                &s.name,
                &[Component::from("security_opt"), Component::from(o.index)],
            );
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span,
                    format!(
                        "service `{}` runs without a seccomp profile (`seccomp:unconfined`): every system call is open to it",
                        s.name
                    ),
                )
                .content(format!("{} seccomp unconfined", s.name)),
            );
        }
    }
}
