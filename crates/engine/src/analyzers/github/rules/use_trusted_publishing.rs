//! `github/use-trusted-publishing`: a publish to a registry that supports OIDC trusted
//! publishing done with a stored token — the publish actions' token inputs, or a `run:` publish
//! command in a job that cannot request an OIDC token.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Job, Model, Perms, Step};
use crate::analyzers::github::publish::{self, is_public_registry};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUseTrustedPublishing, check);

/// The job can request an OIDC token (`id-token: write`, or `write-all`).
fn has_id_token(m: &Model<'_>, job: &Job) -> bool {
    match m.effective_permissions(job).map(|p| &p.perms) {
        Some(Perms::WriteAll) => true,
        Some(Perms::Scopes(s)) => s.iter().any(|(k, l)| k == "id-token" && l == "write"),
        _ => false,
    }
}

fn set(step: &Step, k: &str) -> Option<String> {
    step.with_value(k)
        .map(|v| v.value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Why an action step publishes with a stored token: the input that holds it.
fn action_token(step: &Step) -> Option<(&'static str, String)> {
    let action = step.action()?;
    match action.as_str() {
        "pypa/gh-action-pypi-publish" => {
            set(step, "password")?;
            let url = set(step, "repository-url").or_else(|| set(step, "repository_url"));
            if url.as_deref().is_some_and(|u| !is_public_registry(u)) {
                return None;
            }
            Some(("password", "PyPI".into()))
        }
        "rubygems/release-gem" => {
            let v = set(step, "setup-trusted-publisher")?;
            v.eq_ignore_ascii_case("false")
                .then(|| ("setup-trusted-publisher", "RubyGems".into()))
        }
        "rubygems/configure-rubygems-credentials" => {
            set(step, "api-token")?;
            if set(step, "gem-server").is_some_and(|u| !is_public_registry(&u)) {
                return None;
            }
            Some(("api-token", "RubyGems".into()))
        }
        "actions/setup-node" => {
            let url = set(step, "registry-url")?;
            let always = set(step, "always-auth").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            (always && is_public_registry(&url)).then(|| ("always-auth", "npm".into()))
        }
        _ => None,
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        let oidc = has_id_token(m, job);
        for step in &job.steps {
            if let Some((input, registry)) = action_token(step) {
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "step `{}` publishes to {registry} with a stored token (`{input}`): use trusted publishing (OIDC, `id-token: write`) instead",
                        step.label()
                    ),
                )
                .content(format!("{} {} {input}", job.id, step.label()));
                if let Some(kv) = step.with_value(input) {
                    f = f.related(m.file, m.key_bytes(&kv.route), "the stored credential");
                }
                out.push(f);
                continue;
            }
            if oidc {
                continue;
            }
            let Some(run) = step.run.as_deref() else { continue };
            let Some(cmd) = publish::publish_commands(run).into_iter().next() else {
                continue;
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    a.step_head(step),
                    format!(
                        "step `{}` runs `{}` in a job without `id-token: write`, so it publishes to {} with a stored token: use trusted publishing (OIDC) instead",
                        step.label(),
                        cmd.command,
                        cmd.registry
                    ),
                )
                .content(format!("{} {} {}", job.id, step.label(), cmd.command)),
            );
        }
    }
}
