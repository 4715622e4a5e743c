//! GitHub rules, one per file. Each declares itself with `declare_rule!` (id, persona, confidence, `check(analysis, cx, out)`); `declare_rules!` lists them once.

use super::facts::Facts;
use super::model::DocKind;
use crate::analyzers::rule::{self, declare_rules};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

type Check = fn(&Facts<'_, '_>, &ScanContext<'_>, &mut Output);

declare_rules! {
    RULES: Check = [
        untrusted_checkout,
        script_injection,
        env_file_injection,
        artifact_poisoning,
        secrets_to_untrusted,
        self_hosted_untrusted,
        excessive_permissions,
        unpinned_action,
        secrets_inherit,
        secrets_dump,
        persisted_credentials,
        hardcoded_credentials,
        insecure_commands,
        spoofable_actor_check,
        push_without_scan,
        ci_deploys,
        use_trusted_publishing,
        unredacted_secrets,
        dangerous_trigger,
        cache_poisoning,
        unpinned_image,
        remote_script,
        secret_exfiltration,
        unsound_condition,
        unsound_contains,
        unsound_ternary,
        impostor_commit,
        ref_confusion,
        known_vulnerable_action,
        archived_action,
        stale_pin,
        mutable_ref_in_chain,
        secret_to_action,
        adhoc_packages,
        github_app,
        concurrency_limits,
        anonymous_definition,
        forbidden_uses,
        obfuscation,
        undocumented_permissions,
        secrets_outside_env,
        unpinned_tools,
        typosquat_uses,
        misfeature,
        self_repository,
        superfluous_actions,
        ref_version_mismatch,
    ];
    // Rules of the configuration files the analyzer reads (Dependabot, pre-commit).
    CONFIG_RULES: Check = [
        dependabot_execution,
        dependabot_cooldown,
        insecure_url_scheme,
    ];
}

/// Every rule id the family reports, `github/parse-error` first.
pub fn ids() -> impl Iterator<Item = &'static str> {
    rule::ids(RuleId::GithubParseError, RULES).chain(CONFIG_RULES.iter().map(|r| r.id.as_str()))
}

pub fn run(a: &Facts<'_, '_>, cx: &ScanContext<'_>, out: &mut Output) {
    let rules = match a.m.kind {
        DocKind::Workflow | DocKind::Action => RULES,
        DocKind::Dependabot | DocKind::PreCommit => CONFIG_RULES,
    };
    for r in rules {
        if crate::limits::budget_exceeded() {
            break;
        }
        if cx.enabled(r.id) && r.persona <= cx.persona() {
            let from = out.findings.len();
            (r.check)(a, cx, out);
            for f in &mut out.findings[from..] {
                f.persona.get_or_insert(r.persona);
                f.confidence.get_or_insert(r.confidence);
            }
        }
    }
}
