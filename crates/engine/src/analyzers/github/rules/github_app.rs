//! `github/github-app`: a GitHub App installation token requested broader or longer-lived than
//! the job needs (`actions/create-github-app-token`): revocation at the end of the job turned
//! off, a token for every repository of the owner's installation, or every permission the app
//! was granted.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Seg, Step, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubGithubApp, check);

/// Actions that mint an installation token with the inputs below.
const TOKEN_ACTIONS: &[&str] = &["actions/create-github-app-token"];

/// Permissions that apply to repositories (the `permission-<name>` inputs). Organisation and
/// user permissions (`members`, `organization-*`, …) have no repository scope.
const REPOSITORY_PERMISSIONS: &[&str] = &[
    "actions",
    "administration",
    "artifact-metadata",
    "attestations",
    "checks",
    "codespaces",
    "contents",
    "dependabot-secrets",
    "deployments",
    "discussions",
    "environments",
    "issues",
    "merge-queues",
    "metadata",
    "packages",
    "pages",
    "pull-requests",
    "repository-advisories",
    "repository-custom-properties",
    "repository-hooks",
    "repository-projects",
    "secret-scanning-alerts",
    "secrets",
    "security-events",
    "single-file",
    "statuses",
    "vulnerability-alerts",
    "workflows",
];

fn with_bytes(a: &Facts<'_, '_>, step: &Step, name: &str) -> std::ops::Range<usize> {
    let route = route_with(
        &route_with(&step.route, Seg::Key("with".into())),
        Seg::Key(name.to_string()),
    );
    a.m.key_bytes(&route)
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        for step in &job.steps {
            let Some(action) = step.action() else { continue };
            if !TOKEN_ACTIONS.contains(&action.as_str()) {
                continue;
            }
            let label = step.label();
            // Revocation skipped: the token stays valid for its full hour after the job.
            if let Some(kv) = step.with_value("skip-token-revoke") {
                let v = kv.value.trim();
                let computed = v.contains("${{");
                if v.eq_ignore_ascii_case("true") || computed {
                    let mut f = RawFinding::new(
                        ID,
                        m.file,
                        with_bytes(a, step, &kv.name),
                        format!(
                            "step `{label}` {} revocation of the app token at the end of the job (`skip-token-revoke: {v}`): the token stays valid for up to an hour after it is no longer needed",
                            if computed { "can skip" } else { "skips" }
                        ),
                    )
                    .content(format!("{} {label} skip-token-revoke", job.id));
                    if computed {
                        f = f.confidence(Confidence::Medium);
                    }
                    out.push(f);
                }
            }
            let perms: Vec<&str> = step
                .with
                .iter()
                .filter_map(|kv| {
                    let n = kv.name.to_ascii_lowercase();
                    n.strip_prefix("permission-")
                        .map(|p| if REPOSITORY_PERMISSIONS.contains(&p) { "repo" } else { "other" })
                })
                .collect();
            let all_perms = perms.is_empty();
            let repo_scoped = all_perms || perms.contains(&"repo");
            // `owner:` without `repositories:` mints a token for every repository the app is
            // installed on under that owner (without `owner:` it is the current repository).
            let owner = step.with_value("owner").filter(|kv| !kv.value.trim().is_empty());
            let repos = step
                .with_value("repositories")
                .is_some_and(|kv| !kv.value.trim().is_empty());
            if let Some(kv) = owner
                && !repos
                && repo_scoped
            {
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        with_bytes(a, step, &kv.name),
                        format!(
                            "step `{label}` requests an app token for owner `{}` without `repositories:`: it can reach every repository of the installation, not only the ones the job works on",
                            kv.value.trim()
                        ),
                    )
                    .content(format!("{} {label} owner", job.id)),
                );
            }
            if all_perms {
                let uses = route_with(&step.route, Seg::Key("uses".into()));
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        m.value_bytes(&uses),
                        format!(
                            "step `{label}` requests an app token with no `permission-*` input: the token gets every permission the app was granted; request only the ones the job needs"
                        ),
                    )
                    .content(format!("{} {label} all-permissions", job.id)),
                );
            }
        }
    }
}
