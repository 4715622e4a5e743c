//! `github/unpinned-tools`: an action pinned by commit that downloads the newest release of a
//! tool at run time unless told a version (a data table of such actions and their version
//! input). A version from an expression is reported at low confidence: it may be pinned.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::uses::never_runs;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnpinnedTools, check);

/// Action → (tool, the input that names its version). Each installs the latest release when the
/// input is missing, empty or `latest` (their documented default).
const TOOLS: &[(&str, &str, &str)] = &[
    ("aquasecurity/setup-trivy", "Trivy", "version"),
    ("1password/load-secrets-action", "1Password CLI", "version"),
    ("azure/setup-helm", "Helm", "version"),
    ("azure/setup-kubectl", "kubectl", "version"),
    ("hashicorp/setup-terraform", "Terraform", "terraform_version"),
];

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        for step in &job.steps {
            let Some(action) = step.action() else { continue };
            let Some(&(_, tool, input)) = TOOLS.iter().find(|(n, _, _)| *n == action) else {
                continue;
            };
            if never_runs(step.if_cond.as_deref()) {
                continue;
            }
            let uses_r = m.value_bytes(&route_with(&step.route, Seg::Key("uses".into())));
            let (bytes, msg, conf) = match step.with_value(input) {
                None => (
                    uses_r,
                    format!("`{action}` without `with.{input}` installs the latest {tool} release: each run may get a different binary; name a version"),
                    Confidence::High,
                ),
                Some(kv) => {
                    let v = kv.value.trim();
                    if v.contains("${{") {
                        (
                            m.value_bytes(&kv.route),
                            format!("`{action}` installs the {tool} version `{v}`, decided at run time: when it is empty or `latest` each run may get a different binary"),
                            Confidence::Low,
                        )
                    } else if v.is_empty() || v.eq_ignore_ascii_case("latest") {
                        (
                            m.value_bytes(&kv.route),
                            format!("`{action}` with `{input}: {v}` installs the latest {tool} release: each run may get a different binary; name a version"),
                            Confidence::High,
                        )
                    } else {
                        continue;
                    }
                }
            };
            out.push(
                RawFinding::new(ID, m.file, bytes, msg)
                    .confidence(conf)
                    .content(format!("unpinned tool {} {action}", job.id)),
            );
        }
    }
}
