//! `compose/apparmor-unconfined`: `security_opt: [apparmor:unconfined]` (or
//! `apparmor=unconfined`) turns off the `docker-default` AppArmor profile, which denies writes to
//! `/proc` and `/sys` and mounting; `label:disable` does the same for SELinux confinement.

use yamlpath::Component;

use crate::analyzers::compose::model::{Model, security_opts};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeApparmorUnconfined, check);

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        for o in security_opts(s.value) {
            let what = match (o.key.as_str(), o.value.to_ascii_lowercase().as_str()) {
                ("apparmor", "unconfined") => "AppArmor",
                ("label", "disable") => "SELinux",
                _ => continue,
            };
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
                        "service `{}` turns off {what} confinement (`{}:{}`): writes to /proc and /sys and mounts are no longer denied",
                        s.name, o.key, o.value
                    ),
                )
                .content(format!("{} {}", s.name, o.key)),
            );
        }
    }
}
