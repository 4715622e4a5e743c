//! GitHub rules, one per file. Each exposes `ID` and `check(analysis, cx, out)`.

mod artifact_poisoning;
mod ci_deploys;
mod env_file_injection;
mod excessive_permissions;
mod hardcoded_credentials;
mod insecure_commands;
mod persisted_credentials;
mod push_without_scan;
mod script_injection;
mod secrets_dump;
mod secrets_inherit;
mod secrets_to_untrusted;
mod self_hosted_untrusted;
mod spoofable_actor_check;
mod unpinned_action;
mod untrusted_checkout;

use super::reach::Analysis;
use crate::analyzers::{Output, ScanContext};

type Check = fn(&Analysis<'_, '_>, &ScanContext<'_>, &mut Output);

const RULES: &[(&str, Check)] = &[
    (untrusted_checkout::ID, untrusted_checkout::check),
    (script_injection::ID, script_injection::check),
    (env_file_injection::ID, env_file_injection::check),
    (artifact_poisoning::ID, artifact_poisoning::check),
    (secrets_to_untrusted::ID, secrets_to_untrusted::check),
    (self_hosted_untrusted::ID, self_hosted_untrusted::check),
    (excessive_permissions::ID, excessive_permissions::check),
    (unpinned_action::ID, unpinned_action::check),
    (secrets_inherit::ID, secrets_inherit::check),
    (secrets_dump::ID, secrets_dump::check),
    (persisted_credentials::ID, persisted_credentials::check),
    (hardcoded_credentials::ID, hardcoded_credentials::check),
    (insecure_commands::ID, insecure_commands::check),
    (spoofable_actor_check::ID, spoofable_actor_check::check),
    (push_without_scan::ID, push_without_scan::check),
    (ci_deploys::ID, ci_deploys::check),
];

pub const IDS: &[&str] = &[
    "github/parse-error",
    untrusted_checkout::ID,
    script_injection::ID,
    env_file_injection::ID,
    artifact_poisoning::ID,
    secrets_to_untrusted::ID,
    self_hosted_untrusted::ID,
    excessive_permissions::ID,
    unpinned_action::ID,
    secrets_inherit::ID,
    secrets_dump::ID,
    persisted_credentials::ID,
    hardcoded_credentials::ID,
    insecure_commands::ID,
    spoofable_actor_check::ID,
    push_without_scan::ID,
    ci_deploys::ID,
];

pub fn run(a: &Analysis<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    for (id, check) in RULES {
        if cx.enabled(id) {
            check(a, cx, out);
        }
    }
}
