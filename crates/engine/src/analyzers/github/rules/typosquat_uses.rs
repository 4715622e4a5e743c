//! `github/typosquat-uses`: a `uses:` whose owner is one typing slip (a character left out,
//! doubled, swapped, replaced, or a look-alike) from the owner of a popular action, with that
//! action's repository name. Anyone can register the slipped name and publish the same-named
//! repository; the step then runs their code. Offline, from a built-in table of popular actions.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::uses;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubTyposquatUses, check, confidence = Low);

/// Popular actions (`owner/repo`, lower case): the most used in public workflows.
const POPULAR: &[&str] = &[
    "actions/checkout",
    "actions/setup-node",
    "actions/setup-python",
    "actions/setup-java",
    "actions/setup-go",
    "actions/setup-dotnet",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "actions/github-script",
    "actions/labeler",
    "actions/stale",
    "actions/upload-pages-artifact",
    "actions/deploy-pages",
    "actions/configure-pages",
    "actions/create-github-app-token",
    "actions/dependency-review-action",
    "actions/attest-build-provenance",
    "actions/create-release",
    "actions/upload-release-asset",
    "actions/first-interaction",
    "actions/add-to-project",
    "docker/login-action",
    "docker/setup-buildx-action",
    "docker/build-push-action",
    "docker/metadata-action",
    "docker/setup-qemu-action",
    "docker/bake-action",
    "github/codeql-action",
    "github/super-linter",
    "aws-actions/configure-aws-credentials",
    "aws-actions/amazon-ecr-login",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/amazon-ecs-render-task-definition",
    "azure/login",
    "azure/setup-helm",
    "azure/setup-kubectl",
    "azure/webapps-deploy",
    "azure/k8s-set-context",
    "azure/docker-login",
    "google-github-actions/auth",
    "google-github-actions/setup-gcloud",
    "google-github-actions/get-gke-credentials",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/release-please-action",
    "googleapis/release-please-action",
    "hashicorp/setup-terraform",
    "softprops/action-gh-release",
    "peter-evans/create-pull-request",
    "peter-evans/create-or-update-comment",
    "peter-evans/find-comment",
    "peter-evans/repository-dispatch",
    "codecov/codecov-action",
    "pypa/gh-action-pypi-publish",
    "dtolnay/rust-toolchain",
    "swatinem/rust-cache",
    "astral-sh/setup-uv",
    "pnpm/action-setup",
    "oven-sh/setup-bun",
    "ruby/setup-ruby",
    "shivammathur/setup-php",
    "gradle/actions",
    "gradle/gradle-build-action",
    "gradle/wrapper-validation-action",
    "jamesives/github-pages-deploy-action",
    "peaceiris/actions-gh-pages",
    "golangci/golangci-lint-action",
    "goreleaser/goreleaser-action",
    "sigstore/cosign-installer",
    "aquasecurity/trivy-action",
    "aquasecurity/setup-trivy",
    "actions-rs/toolchain",
    "actions-rs/cargo",
    "dorny/paths-filter",
    "dorny/test-reporter",
    "tj-actions/changed-files",
    "stefanzweifel/git-auto-commit-action",
    "endbug/add-and-commit",
    "release-drafter/release-drafter",
    "ncipollo/release-action",
    "slackapi/slack-github-action",
    "8398a7/action-slack",
    "appleboy/ssh-action",
    "appleboy/scp-action",
    "cachix/install-nix-action",
    "determinatesystems/nix-installer-action",
    "mikepenz/action-junit-report",
    "super-linter/super-linter",
    "step-security/harden-runner",
    "ossf/scorecard-action",
    "1password/load-secrets-action",
    "hadolint/hadolint-action",
    "taiki-e/install-action",
    "jdx/mise-action",
    "crazy-max/ghaction-import-gpg",
    "nick-fields/retry",
    "helm/kind-action",
    "helm/chart-releaser-action",
    "subosito/flutter-action",
    "conda-incubator/setup-miniconda",
    "mamba-org/setup-micromamba",
    "denoland/setup-deno",
    "cloudflare/wrangler-action",
    "anchore/scan-action",
    "anchore/sbom-action",
    "snyk/actions",
    "sonarsource/sonarqube-scan-action",
    "sonarsource/sonarcloud-github-action",
    "gitleaks/gitleaks-action",
    "trufflesecurity/trufflehog",
    "zizmorcore/zizmor-action",
    "pre-commit/action",
    "cypress-io/github-action",
    "microsoft/setup-msbuild",
    "nuget/setup-nuget",
    "ilammy/msvc-dev-cmd",
    "lukka/run-vcpkg",
    "r-lib/actions",
    "julia-actions/setup-julia",
    "marocchino/sticky-pull-request-comment",
    "thollander/actions-comment-pull-request",
    "amannn/action-semantic-pull-request",
    "changesets/action",
    "jetbrains/qodana-action",
    "fluxcd/flux2",
    "azure/arm-deploy",
    "burnett01/rsync-deployments",
    "jakejarvis/s3-sync-action",
    "shogo82148/actions-setup-perl",
    "erlef/setup-beam",
    "haskell-actions/setup",
    "mlugg/setup-zig",
    "extractions/setup-just",
    "arduino/setup-protoc",
    "bufbuild/buf-setup-action",
    "reviewdog/action-setup",
    "wagoid/commitlint-github-action",
    "actions-ecosystem/action-add-labels",
];

/// Characters that look alike in most fonts (after lower-casing).
const LOOKALIKE: &[(char, char)] = &[('0', 'o'), ('1', 'l'), ('1', 'i'), ('l', 'i'), ('5', 's')];

fn lookalike(a: char, b: char) -> bool {
    LOOKALIKE
        .iter()
        .any(|&(x, y)| (a == x && b == y) || (a == y && b == x))
}

/// Multi-character look-alikes folded to one form.
fn fold(s: &str) -> String {
    s.replace("rn", "m").replace("vv", "w").replace('0', "o").replace('1', "l")
}

/// How `typed` is one slip from `real`, if it is.
fn slip(typed: &str, real: &str) -> Option<&'static str> {
    if typed == real {
        return None;
    }
    let t: Vec<char> = typed.chars().collect();
    let r: Vec<char> = real.chars().collect();
    if t.len() + 1 == r.len() {
        let i = (0..t.len()).find(|&i| t[i] != r[i]).unwrap_or(t.len());
        if t[i..] == r[i + 1..] {
            return Some("leaves out a character of");
        }
    } else if t.len() == r.len() + 1 {
        let i = (0..r.len()).find(|&i| t[i] != r[i]).unwrap_or(r.len());
        if t[i + 1..] == r[i..] {
            let doubled = (i > 0 && t[i] == t[i - 1]) || t.get(i + 1) == Some(&t[i]);
            return Some(if doubled {
                "doubles a character of"
            } else {
                "adds a character to"
            });
        }
    } else if t.len() == r.len() {
        let diff: Vec<usize> = (0..t.len()).filter(|&i| t[i] != r[i]).collect();
        match diff.as_slice() {
            [i] => {
                return Some(if lookalike(t[*i], r[*i]) {
                    "uses a look-alike character for"
                } else {
                    "replaces a character of"
                });
            }
            [i, j] if *j == i + 1 && t[*i] == r[*j] && t[*j] == r[*i] => {
                return Some("swaps two characters of");
            }
            _ => {}
        }
    }
    (fold(typed) == fold(real)).then_some("uses look-alike characters for")
}

/// The popular action `owner/repo` resembles, with how, if it is not that action's owner.
pub fn resembles(owner: &str, repo: &str) -> Option<(&'static str, &'static str)> {
    let owners = || POPULAR.iter().filter_map(|p| p.split_once('/').map(|(o, _)| o));
    if owners().any(|o| o == owner) {
        return None;
    }
    for p in POPULAR {
        let Some((po, pr)) = p.split_once('/') else {
            continue;
        };
        if pr != repo || po.len() < 4 {
            continue;
        }
        if let Some(how) = slip(owner, po) {
            return Some((p, how));
        }
    }
    None
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for u in uses::sites(m) {
        let Some((path, _)) = uses::split_repo_ref(&u.text) else {
            continue;
        };
        let mut parts = path.split('/');
        let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
            continue;
        };
        let (owner, repo) = (owner.to_ascii_lowercase(), repo.to_ascii_lowercase());
        let Some((popular, how)) = resembles(&owner, &repo) else {
            continue;
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                u.bytes(m),
                format!("`{owner}/{repo}` {how} `{popular}`: a look-alike owner can publish a same-named repository whose code this step runs; check the name"),
            )
            .content(format!("typosquat {owner}/{repo}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips() {
        assert_eq!(slip("action", "actions"), Some("leaves out a character of"));
        assert_eq!(slip("cations", "actions"), Some("swaps two characters of"));
        assert_eq!(slip("acitons", "actions"), Some("swaps two characters of"));
        assert_eq!(slip("acti0ns", "actions"), Some("uses a look-alike character for"));
        assert_eq!(slip("actiions", "actions"), Some("doubles a character of"));
        assert_eq!(slip("dokcer", "docker"), Some("swaps two characters of"));
        assert_eq!(slip("actions", "actions"), None);
    }

    #[test]
    fn legitimate_owners_are_not_squats() {
        assert!(resembles("actions", "chckout").is_none());
        assert!(resembles("example", "totally-different-thing").is_none());
        // No popular owner is one slip from another popular owner of the same repository name.
        for p in POPULAR {
            let (o, r) = p.split_once('/').unwrap();
            assert!(resembles(o, r).is_none(), "{p}");
        }
    }
}
