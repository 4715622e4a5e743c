//! `github/superfluous-actions` (pedantic): a third-party action that wraps a tool GitHub's
//! hosted runner images already have (`gh`, `git`, `docker`, `rustup`, `jq`): each such action is
//! one more dependency whose code runs with the job's token, for what one command does.

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(
    RuleId::GithubSuperfluousActions,
    check,
    persona = Pedantic
);

/// Action (`owner/repo`, lower case) → the preinstalled command that does the same.
const TABLE: &[(&str, &str)] = &[
    ("dtolnay/rust-toolchain", "`rustup toolchain install` (rustup is preinstalled)"),
    ("actions-rs/toolchain", "`rustup toolchain install` (rustup is preinstalled)"),
    ("actions-rs/cargo", "a `run: cargo …` step"),
    ("peter-evans/create-or-update-comment", "`gh pr comment` / `gh issue comment`"),
    ("marocchino/sticky-pull-request-comment", "`gh pr comment --edit-last`"),
    ("thollander/actions-comment-pull-request", "`gh pr comment`"),
    ("mshick/add-pr-comment", "`gh pr comment`"),
    ("softprops/action-gh-release", "`gh release create`"),
    ("ncipollo/release-action", "`gh release create`"),
    ("actions/create-release", "`gh release create`"),
    ("actions/upload-release-asset", "`gh release upload`"),
    ("svenstaro/upload-release-action", "`gh release upload`"),
    ("actions-ecosystem/action-add-labels", "`gh issue edit --add-label` / `gh pr edit --add-label`"),
    ("actions-ecosystem/action-remove-labels", "`gh pr edit --remove-label`"),
    ("andymckay/labeler", "`gh issue edit --add-label`"),
    ("stefanzweifel/git-auto-commit-action", "`git commit` and `git push` in a `run:` step"),
    ("endbug/add-and-commit", "`git commit` and `git push` in a `run:` step"),
    ("ad-m/github-push-action", "`git push` in a `run:` step"),
    ("addnab/docker-run-action", "`docker run` in a `run:` step"),
    ("dcarbone/install-jq-action", "`jq` (preinstalled)"),
    ("actions-hub/kubectl", "`kubectl` (preinstalled)"),
    ("peter-evans/repository-dispatch", "`gh api repos/OWNER/REPO/dispatches`"),
];

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        for step in &job.steps {
            let Some(action) = step.action() else { continue };
            let Some((_, instead)) = TABLE.iter().find(|(n, _)| *n == action) else {
                continue;
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.value_bytes(&route_with(&step.route, Seg::Key("uses".into()))),
                    format!("`{action}` wraps what the runner can already do: {instead}; one dependency less to pin and trust"),
                )
                .content(format!("superfluous {} {action}", job.id)),
            );
        }
    }
}
