//! Who controls a value that reaches a shell script: the pull request's author (free text),
//! someone the SCM or a trigger vetted, or only people who can push to the repository. The
//! injection rules take their severity and confidence from this classification.

use crate::finding::Severity;

/// Who can choose a value, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Control {
    /// People with push access to the origin (branch and tag names; `BRANCH_NAME` is `PR-<n>`
    /// on change requests): they can already change the pipeline itself.
    Pushers,
    /// The change request's author, but the SCM restricts the characters (logins, fork names).
    Restricted,
    /// Someone a trigger or the SCM vetted: a commenter GHPRB accepted, an author's e-mail
    /// address the SCM validated, a branch name that is a fork's only when the job fetches forks.
    Vetted,
    /// The change request's author, as free text (title, description, source branch, commit
    /// messages, display names).
    ForkAuthor,
}

impl Control {
    pub fn severity(self) -> Severity {
        match self {
            Control::ForkAuthor => Severity::High,
            Control::Vetted => Severity::Medium,
            Control::Restricted | Control::Pushers => Severity::Low,
        }
    }

    /// How likely a finding on such a value is exploitable, for the `confidence` property.
    pub fn confidence(self) -> &'static str {
        match self {
            Control::ForkAuthor => "high",
            Control::Vetted => "medium",
            Control::Restricted | Control::Pushers => "low",
        }
    }

    pub fn who(self) -> &'static str {
        match self {
            Control::ForkAuthor => "the pull request's author",
            Control::Vetted => "a pull request's author, within limits a trigger or the SCM sets",
            Control::Restricted => {
                "the pull request's author, in characters the SCM restricts (no shell syntax)"
            }
            Control::Pushers => "people with push access to the repository",
        }
    }
}

/// Environment variables (and the pipeline-github `pullRequest` properties) and who sets them.
/// Not sources: `CHANGE_ID`, `CHANGE_URL`, `BUILD_*`, `JOB_NAME` (Jenkins or the SCM server
/// set them) and `GIT_AUTHOR_*`/`GIT_COMMITTER_*` (the git plugin fills them from the Jenkins
/// configuration, not from the commit).
const SOURCES: &[(&str, Control)] = &[
    ("CHANGE_TITLE", Control::ForkAuthor),
    ("CHANGE_AUTHOR_DISPLAY_NAME", Control::ForkAuthor),
    ("CHANGE_BRANCH", Control::ForkAuthor),
    ("ghprbPullTitle", Control::ForkAuthor),
    ("ghprbPullDescription", Control::ForkAuthor),
    ("ghprbPullLongDescription", Control::ForkAuthor),
    ("ghprbSourceBranch", Control::ForkAuthor),
    ("ghprbActualCommitAuthor", Control::ForkAuthor),
    ("ghprbPullAuthorLoginMention", Control::Restricted),
    ("gitlabSourceBranch", Control::ForkAuthor),
    ("gitlabMergeRequestTitle", Control::ForkAuthor),
    ("gitlabMergeRequestDescription", Control::ForkAuthor),
    ("gitlabUserName", Control::ForkAuthor),
    ("pullRequest.title", Control::ForkAuthor),
    ("pullRequest.body", Control::ForkAuthor),
    ("pullRequest.headRef", Control::ForkAuthor),
    ("CHANGE_AUTHOR_EMAIL", Control::Vetted),
    ("ghprbActualCommitAuthorEmail", Control::Vetted),
    ("ghprbPullAuthorEmail", Control::Vetted),
    ("gitlabUserEmail", Control::Vetted),
    ("ghprbCommentBody", Control::Vetted),
    ("GIT_BRANCH", Control::Vetted),
    ("GIT_LOCAL_BRANCH", Control::Vetted),
    ("CHANGE_AUTHOR", Control::Restricted),
    ("CHANGE_FORK", Control::Restricted),
    ("ghprbPullAuthorLogin", Control::Restricted),
    ("gitlabUserUsername", Control::Restricted),
    ("pullRequest.user", Control::Restricted),
    ("BRANCH_NAME", Control::Pushers),
    ("TAG_NAME", Control::Pushers),
    ("CHANGE_TARGET", Control::Pushers),
    ("ghprbTargetBranch", Control::Pushers),
    ("gitlabTargetBranch", Control::Pushers),
    ("pullRequest.base", Control::Pushers),
];

/// Who controls the variable at `path` (`env.X`, `X`, `pullRequest.title`).
pub fn env_source(path: &str) -> Option<Control> {
    let name = path.strip_prefix("env.").unwrap_or(path);
    SOURCES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Who controls what a Generic Webhook Trigger variable extracts from the posted JSON: the
/// free-text and branch fields of pull-request, merge-request, comment and commit payloads
/// (GitHub, GitLab, Bitbucket, Gitea) are the author's. `None` for anything else (a push's
/// `$.ref`, a payload the job's own caller builds).
pub fn webhook_source(jsonpath: &str) -> Option<Control> {
    const CONTAINERS: &[&str] = &[
        "pull_request",
        "pullrequest",
        "merge_request",
        "object_attributes",
        "comment",
        "issue",
        "head_commit",
        "commits",
        "review",
    ];
    const FREE_TEXT: &[&str] = &[
        "title",
        "body",
        "description",
        "message",
        "note",
        "ref",
        "label",
        "source_branch",
        "name",
        "head_ref",
        "displayname",
        "display_name",
    ];
    const RESTRICTED: &[&str] = &["login", "username", "full_name", "nickname"];
    let p = jsonpath.to_ascii_lowercase();
    let last = p
        .rsplit(['.', '[', ']', '\'', '"'])
        .find(|s| !s.is_empty() && *s != "*")
        .unwrap_or(&p);
    // A payload a relay (a GitHub workflow, a bot) builds from a pull request: `$.pr_title`,
    // `$.mr_source_branch`.
    let relayed = ["pr_", "mr_", "pull_request_"]
        .iter()
        .find_map(|x| last.strip_prefix(x));
    if let Some(field) = relayed
        && matches!(
            field,
            "title" | "body" | "description" | "branch" | "source_branch" | "head_ref" | "ref"
        )
    {
        return Some(Control::ForkAuthor);
    }
    if !CONTAINERS.iter().any(|c| p.contains(c)) {
        return None;
    }
    if FREE_TEXT.contains(&last) {
        // `user.name` is a display name; `head.repo.name` and `branch.name` are the fork's.
        Some(Control::ForkAuthor)
    } else if RESTRICTED.contains(&last) {
        Some(Control::Restricted)
    } else if last == "email" {
        Some(Control::Vetted)
    } else {
        None
    }
}

/// A shell script that prints commit messages or authors (`git log`, `git show` without a
/// format limited to hashes and dates): its output is the PR author's text.
pub fn prints_commit_text(script: &str) -> bool {
    let s = script;
    let Some(i) = s.find("git log").or_else(|| s.find("git show")) else {
        return false;
    };
    let rest = &s[i..];
    let Some(f) = rest.find("--format").or_else(|| rest.find("--pretty")) else {
        // The default format prints the author and the message.
        return !rest.contains("--name-only") && !rest.contains("--stat");
    };
    let fmt = &rest[f..];
    let fmt = fmt.split_whitespace().next().unwrap_or(fmt);
    [
        "%s", "%B", "%b", "%an", "%ae", "%cn", "%ce", "%N", "%f", "%d", "%D",
    ]
    .iter()
    .any(|x| fmt.contains(x))
        || [
            "=medium", "=full", "=fuller", "=oneline", "=short", "=raw", "=email",
        ]
        .iter()
        .any(|x| fmt.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(env_source("env.CHANGE_TITLE"), Some(Control::ForkAuthor));
        assert_eq!(env_source("BRANCH_NAME"), Some(Control::Pushers));
        assert_eq!(env_source("CHANGE_AUTHOR"), Some(Control::Restricted));
        assert_eq!(env_source("env.CHANGE_URL"), None);
        assert_eq!(env_source("GIT_AUTHOR_NAME"), None);
        assert_eq!(
            webhook_source("$.pull_request.title"),
            Some(Control::ForkAuthor)
        );
        assert_eq!(
            webhook_source("$.pull_request.head.ref"),
            Some(Control::ForkAuthor)
        );
        assert_eq!(
            webhook_source("$.object_attributes.source_branch"),
            Some(Control::ForkAuthor)
        );
        assert_eq!(
            webhook_source("$.pull_request.user.login"),
            Some(Control::Restricted)
        );
        assert_eq!(webhook_source("$.number"), None);
        assert_eq!(webhook_source("$.pr_title"), Some(Control::ForkAuthor));
        assert_eq!(webhook_source("$.pr_number"), None);
        assert_eq!(webhook_source("$.pr_from_sha"), None);
        assert_eq!(webhook_source("$.ref"), None);
        assert_eq!(webhook_source("$.repository"), None);
        assert_eq!(webhook_source("$.pull_request.number"), None);
        assert!(prints_commit_text("git log -1 --pretty=%B"));
        assert!(prints_commit_text("git log -1"));
        assert!(!prints_commit_text("git log -1 --format=%H"));
        assert!(!prints_commit_text("git rev-parse HEAD"));
    }
}
