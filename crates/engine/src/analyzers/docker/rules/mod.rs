//! Docker rules, one per file. Each declares itself with `declare_rule!` (id, persona, confidence, `check(model, cx, out)`); `declare_rules!` lists them once.

use super::model::Model;
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

type Check = fn(&Model<'_, '_>, &ScanContext<'_>, &mut Output);

declare_rules! {
    RULES: Check = [
        root_user,
        unpinned_base,
        base_not_digest,
        untrusted_registry,
        add_remote,
        curl_pipe_shell,
        secret_in_build,
        copy_sensitive,
        apt_unpinned,
        apt_no_recommends,
        apt_lists_not_cleaned,
        apk_unpinned,
        apk_cache,
        sudo,
        world_writable,
        workdir_relative,
        cd_in_run,
        expose_ssh,
        exec_form,
        no_healthcheck,
        multiple_cmd,
        pip_no_cache,
        latest_in_from_stage,
        verification_disabled,
    ];
}

/// Every rule id the family reports, `docker/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::DockerParseError, RULES)
}

pub fn run(model: &Model<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    for r in RULES {
        if cx.enabled(r.id) {
            (r.check)(model, cx, out);
        }
    }
}
