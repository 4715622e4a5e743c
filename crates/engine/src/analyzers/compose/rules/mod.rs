//! Compose rules, one per file. Each declares itself with `declare_rule!` (id, persona, confidence, `check(model, cx, out)`); `declare_rules!` lists them once.

use super::model::Model;
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

type Check = fn(&Model<'_>, &ScanContext<'_>, &mut Output);

declare_rules! {
    RULES: Check = [
        privileged,
        host_namespace,
        docker_socket,
        sensitive_host_mount,
        cap_add,
        secret_in_env,
        unpinned_image,
        no_new_privileges,
        seccomp_unconfined,
        apparmor_unconfined,
        writable_root_fs,
        no_resource_limits,
    ];
}

/// Every rule id the family reports, `compose/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::ComposeParseError, RULES)
}

pub fn run(model: &Model<'_>, cx: &ScanContext<'_>, out: &mut Output) {
    for r in RULES {
        if cx.enabled(r.id) {
            (r.check)(model, cx, out);
        }
    }
}
