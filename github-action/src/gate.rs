//! The untrusted-build gate: is this run building code from someone who is not trusted?
//!
//! A pull request is untrusted when its head lives outside the repository (a fork, or a deleted
//! fork) and its author is not trusted, unless a trusted maintainer approved the *current* head
//! commit or added the safe-to-test label after the last push. Privileged triggers
//! (`pull_request_target`, `workflow_run`, `issue_comment`) run with secrets and a writable token,
//! so they are held strictly: only OWNER/MEMBER/COLLABORATOR associations count, and anything the
//! gate cannot verify blocks.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::client::{ApiError, Client};
use crate::event::{Context, PullRequest, at, short, str_at};

/// Associations that may be honoured on privileged triggers (a CONTRIBUTOR only once had a
/// pull request merged; that is not enough for a run with secrets).
const STRICT_ASSOCIATIONS: &[&str] = &["OWNER", "MEMBER", "COLLABORATOR"];
/// Permissions on the repository that make a reviewer or labeller a maintainer.
const MAINTAINER_PERMISSIONS: &[&str] = &["admin", "maintain", "write"];
/// Events whose code comes from the repository itself (a push needs write access).
const REPO_EVENTS: &[&str] = &[
    "push",
    "schedule",
    "workflow_dispatch",
    "workflow_call",
    "release",
    "merge_group",
    "repository_dispatch",
    "create",
    "delete",
    "deployment",
    "deployment_status",
    "registry_package",
    "page_build",
    "check_run",
    "check_suite",
    "status",
    "milestone",
    "project",
    "watch",
    "fork",
    "gollum",
    "label",
    "public",
    "discussion",
    "discussion_comment",
    "issues",
    "branch_protection_rule",
];

/// Who is trusted (from `.pipeguard.yml` `gate:`).
#[derive(Debug, Clone)]
pub struct Policy {
    pub trusted_associations: Vec<String>,
    pub trusted_users: Vec<String>,
    /// `org/team-slug`
    pub trusted_teams: Vec<String>,
    pub trusted_bots: Vec<String>,
    pub safe_to_test_label: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            trusted_associations: STRICT_ASSOCIATIONS
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
            trusted_users: Vec::new(),
            trusted_teams: Vec::new(),
            trusted_bots: Vec::new(),
            safe_to_test_label: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Block,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Block => "block",
        }
    }
}

/// The gate's answer; serialised as the `--decision-file` JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub decision: Verdict,
    pub reasons: Vec<String>,
    pub event: String,
    pub repository: String,
    pub head_sha: Option<String>,
    pub pull_request: Option<u64>,
    pub checked_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{0}")]
    Payload(String),
}

/// Jenkins multibranch (GitHub Branch Source) change variables.
#[derive(Debug, Clone, Default)]
pub struct JenkinsChange {
    pub change_id: Option<String>,
    pub change_fork: Option<String>,
    pub change_author: Option<String>,
    pub change_target: Option<String>,
    pub change_url: Option<String>,
}

impl JenkinsChange {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> JenkinsChange {
        let get = |n: &str| {
            var(n)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        JenkinsChange {
            change_id: get("CHANGE_ID"),
            change_fork: get("CHANGE_FORK"),
            change_author: get("CHANGE_AUTHOR"),
            change_target: get("CHANGE_TARGET"),
            change_url: get("CHANGE_URL"),
        }
    }
}

/// `https://HOST/OWNER/REPO/pull/N` → (API base URL, `OWNER/REPO`, N). github.com maps to
/// api.github.com, any other host to GitHub Enterprise's `https://HOST/api/v3`.
pub fn parse_change_url(url: &str) -> Option<(String, String, u64)> {
    let (scheme, rest) = url.split_once("://")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let host = parts.next()?;
    let owner = parts.next()?;
    let repo = parts.next()?;
    if parts.next()? != "pull" {
        return None;
    }
    let number = parts.next()?.parse().ok()?;
    let api = if host.eq_ignore_ascii_case("github.com") {
        crate::client::DEFAULT_API_URL.to_string()
    } else {
        format!("{scheme}://{host}/api/v3")
    };
    Some((api, format!("{owner}/{repo}"), number))
}

struct Gate<'a> {
    policy: &'a Policy,
    client: Option<&'a Client>,
    repo: String,
    reasons: Vec<String>,
    head_sha: Option<String>,
    pull_request: Option<u64>,
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn contains_ci(list: &[String], s: &str) -> bool {
    list.iter().any(|x| eq_ci(x, s))
}

impl<'a> Gate<'a> {
    fn new(policy: &'a Policy, client: Option<&'a Client>, repo: &str) -> Gate<'a> {
        let mut g = Gate {
            policy,
            client,
            repo: repo.to_string(),
            reasons: Vec::new(),
            head_sha: None,
            pull_request: None,
        };
        if client.is_none() {
            g.say("no GitHub token: decided from the event payload alone (approvals, labels and team membership not checked)");
        }
        g
    }

    fn say(&mut self, s: impl Into<String>) {
        self.reasons.push(s.into());
    }

    fn finish(self, allow: bool, event: &str) -> Decision {
        Decision {
            decision: if allow {
                Verdict::Allow
            } else {
                Verdict::Block
            },
            reasons: self.reasons,
            event: event.to_string(),
            repository: self.repo,
            head_sha: self.head_sha,
            pull_request: self.pull_request,
            checked_at: crate::time::now_rfc3339(),
        }
    }

    fn associations(&self, privileged: bool) -> Vec<String> {
        self.policy
            .trusted_associations
            .iter()
            .map(|a| a.to_ascii_uppercase())
            .filter(|a| !privileged || STRICT_ASSOCIATIONS.contains(&a.as_str()))
            .collect()
    }

    /// Team membership through the API (`org/slug` entries of the policy).
    async fn team_of(&mut self, login: &str) -> Result<Option<String>, ApiError> {
        if self.policy.trusted_teams.is_empty() {
            return Ok(None);
        }
        let Some(client) = self.client else {
            return Ok(None);
        };
        for team in &self.policy.trusted_teams {
            let Some((org, slug)) = team.split_once('/') else {
                continue;
            };
            let path = format!("/orgs/{org}/teams/{slug}/memberships/{login}");
            if let Some(m) = client.get_json(&path).await?
                && str_at(&m, &["state"]) == Some("active")
            {
                return Ok(Some(team.clone()));
            }
        }
        Ok(None)
    }

    /// Is the author of the code (or the commenter) trusted?
    async fn actor_trusted(
        &mut self,
        role: &str,
        login: &str,
        association: &str,
        privileged: bool,
    ) -> Result<bool, ApiError> {
        if contains_ci(&self.policy.trusted_users, login) {
            self.say(format!("{role} {login} is listed in gate.trusted_users"));
            return Ok(true);
        }
        if login.ends_with("[bot]") && contains_ci(&self.policy.trusted_bots, login) {
            self.say(format!(
                "{role} {login} is a trusted bot (gate.trusted_bots)"
            ));
            return Ok(true);
        }
        let assoc = association.to_ascii_uppercase();
        let trusted = self.associations(privileged);
        if trusted.contains(&assoc) {
            self.say(format!(
                "{role} {login} has author association {assoc}, which is trusted"
            ));
            return Ok(true);
        }
        if let Some(team) = self.team_of(login).await? {
            self.say(format!(
                "{role} {login} is a member of the trusted team {team}"
            ));
            return Ok(true);
        }
        if privileged && contains_ci(&self.policy.trusted_associations, &assoc) {
            self.say(format!(
                "{role} {login} has association {assoc}: trusted by the config, but not for a privileged trigger (only OWNER, MEMBER, COLLABORATOR)"
            ));
        } else {
            self.say(format!(
                "{role} {login} has author association {assoc}, which is not trusted (trusted: {})",
                if trusted.is_empty() {
                    "none".to_string()
                } else {
                    trusted.join(", ")
                }
            ));
        }
        if !self.policy.trusted_teams.is_empty() && self.client.is_none() {
            self.say("gate.trusted_teams not checked: team membership needs a token");
        }
        Ok(false)
    }

    /// Why `login` may approve or label for testing (write access or listed), if they may.
    async fn maintainer(
        &mut self,
        login: &str,
        association: &str,
    ) -> Result<Option<String>, ApiError> {
        if contains_ci(&self.policy.trusted_users, login) {
            return Ok(Some("listed in gate.trusted_users".into()));
        }
        if let Some(team) = self.team_of(login).await? {
            return Ok(Some(format!("member of {team}")));
        }
        let Some(client) = self.client else {
            return Ok(None);
        };
        let path = format!("/repos/{}/collaborators/{login}/permission", self.repo);
        match client.get_json(&path).await {
            Ok(Some(p)) => {
                let perm = str_at(&p, &["permission"]).unwrap_or("none").to_string();
                Ok(MAINTAINER_PERMISSIONS
                    .contains(&perm.as_str())
                    .then(|| format!("{perm} permission")))
            }
            Ok(None) => Ok(None),
            // The token may not be allowed to read permissions: fall back to the association
            // GitHub attached to the review/event, and say so.
            Err(ApiError::Status { status: 403, .. }) => {
                let assoc = association.to_ascii_uppercase();
                Ok(STRICT_ASSOCIATIONS.contains(&assoc.as_str()).then(|| {
                    format!(
                        "association {assoc}; the token could not read collaborator permissions"
                    )
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// A trusted maintainer approved exactly `pr.head_sha` (and did not later request changes).
    async fn approved_at_head(&mut self, pr: &PullRequest) -> Result<bool, ApiError> {
        let Some(client) = self.client else {
            return Ok(false);
        };
        let reviews = client
            .get_list(&format!("/repos/{}/pulls/{}/reviews", self.repo, pr.number))
            .await?;
        // Latest decisive review per reviewer, in API (chronological) order.
        let mut latest: BTreeMap<String, (String, String, String)> = BTreeMap::new();
        for r in &reviews {
            let (Some(login), Some(state)) = (str_at(r, &["user", "login"]), str_at(r, &["state"]))
            else {
                continue;
            };
            if matches!(state, "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED") {
                latest.insert(
                    login.to_string(),
                    (
                        state.to_string(),
                        str_at(r, &["commit_id"]).unwrap_or_default().to_string(),
                        str_at(r, &["author_association"])
                            .unwrap_or("NONE")
                            .to_string(),
                    ),
                );
            }
        }
        let mut stale = Vec::new();
        for (login, (state, commit, assoc)) in &latest {
            if state != "APPROVED" || eq_ci(login, &pr.author) {
                continue;
            }
            if commit != &pr.head_sha {
                stale.push(format!("{login} approved {}", short(commit)));
                continue;
            }
            match self.maintainer(login, assoc).await? {
                Some(why) => {
                    self.say(format!(
                        "approved by {login} ({why}) at the current head {}",
                        pr.short_sha()
                    ));
                    return Ok(true);
                }
                None => self.say(format!(
                    "approval by {login} does not count: not a maintainer of {}",
                    self.repo
                )),
            }
        }
        if !stale.is_empty() {
            self.say(format!(
                "earlier approvals do not cover the current head {}: {}",
                pr.short_sha(),
                stale.join(", ")
            ));
        }
        Ok(false)
    }

    /// The safe-to-test label is on the PR, was added by a maintainer, and no push came after.
    async fn labelled_after_push(&mut self, pr: &PullRequest) -> Result<bool, ApiError> {
        let (Some(label), Some(client)) = (self.policy.safe_to_test_label.clone(), self.client)
        else {
            return Ok(false);
        };
        if !pr.labels.iter().any(|l| eq_ci(l, &label)) {
            self.say(format!("the label `{label}` is not on the pull request"));
            return Ok(false);
        }
        let timeline = client
            .get_list(&format!(
                "/repos/{}/issues/{}/timeline",
                self.repo, pr.number
            ))
            .await?;
        let mut labelled: Option<(usize, String, String, String)> = None;
        for (i, ev) in timeline.iter().enumerate() {
            let kind = str_at(ev, &["event"]).unwrap_or_default();
            let is_ours = str_at(ev, &["label", "name"]).is_some_and(|n| eq_ci(n, &label));
            match kind {
                "labeled" if is_ours => {
                    labelled = Some((
                        i,
                        str_at(ev, &["actor", "login"])
                            .unwrap_or_default()
                            .to_string(),
                        str_at(ev, &["created_at"]).unwrap_or_default().to_string(),
                        str_at(ev, &["author_association"])
                            .unwrap_or("NONE")
                            .to_string(),
                    ));
                }
                "unlabeled" if is_ours => labelled = None,
                _ => {}
            }
        }
        let Some((idx, actor, when, assoc)) = labelled else {
            self.say(format!("no `labeled` event for `{label}` in the timeline"));
            return Ok(false);
        };
        let labelled_at = crate::time::parse_rfc3339(&when);
        for ev in &timeline[idx + 1..] {
            let kind = str_at(ev, &["event"]).unwrap_or_default();
            if matches!(
                kind,
                "committed" | "head_ref_force_pushed" | "head_ref_restored"
            ) {
                self.say(format!(
                    "the label `{label}` was added by {actor} before the last push ({kind}); it must be re-applied"
                ));
                return Ok(false);
            }
        }
        // Timeline order of commits follows their dates; also compare with the head commit's
        // committer date so that a commit listed before the label but pushed later is caught
        // when its date is honest.
        let head_date = timeline.iter().find_map(|ev| {
            (str_at(ev, &["event"]) == Some("committed")
                && str_at(ev, &["sha"]) == Some(pr.head_sha.as_str()))
            .then(|| str_at(ev, &["committer", "date"]).and_then(crate::time::parse_rfc3339))
            .flatten()
        });
        if let (Some(l), Some(h)) = (labelled_at, head_date)
            && l < h
        {
            self.say(format!(
                "the label `{label}` ({when}) is older than the head commit {}",
                pr.short_sha()
            ));
            return Ok(false);
        }
        match self.maintainer(&actor, &assoc).await? {
            Some(why) => {
                self.say(format!(
                    "label `{label}` added by {actor} ({why}) at {when}, after the last push"
                ));
                Ok(true)
            }
            None => {
                self.say(format!(
                    "the label `{label}` was added by {actor}, who is not a maintainer"
                ));
                Ok(false)
            }
        }
    }

    /// Where does the head come from? `None`: the repository itself; `Some(reason)`: a fork.
    fn fork_reason(pr: &PullRequest) -> Option<String> {
        let Some(head) = &pr.head_repo else {
            return Some("the head repository of the pull request was deleted (fork gone)".into());
        };
        let same_id = match (pr.head_repo_id, pr.base_repo_id) {
            (Some(h), Some(b)) => h == b,
            _ => true,
        };
        if !eq_ci(head, &pr.base_repo) || !same_id {
            return Some(format!(
                "the pull request comes from the fork {head} (base {})",
                pr.base_repo
            ));
        }
        // `fork: true` on the head only tells us something when ids cannot show it is the base.
        if pr.head_repo_fork && (pr.head_repo_id.is_none() || pr.base_repo_id.is_none()) {
            return Some(format!("the head repository {head} is marked as a fork"));
        }
        None
    }

    async fn check_pr(&mut self, pr: &PullRequest, privileged: bool) -> Result<bool, ApiError> {
        self.head_sha = Some(pr.head_sha.clone());
        self.pull_request = Some(pr.number);
        let Some(fork) = Self::fork_reason(pr) else {
            self.say(format!(
                "the head branch `{}` is in {} itself: pushing it needs write access",
                pr.head_ref, pr.base_repo
            ));
            return Ok(true);
        };
        self.say(fork);
        if self
            .actor_trusted("author", &pr.author, &pr.association, privileged)
            .await?
        {
            return Ok(true);
        }
        if self.client.is_none() {
            self.say(format!(
                "blocked: with a token, an approval of head {} by a maintainer{} would allow it",
                pr.short_sha(),
                self.policy
                    .safe_to_test_label
                    .as_ref()
                    .map(|l| format!(" or the label `{l}`"))
                    .unwrap_or_default()
            ));
            return Ok(false);
        }
        if self.approved_at_head(pr).await? || self.labelled_after_push(pr).await? {
            return Ok(true);
        }
        self.say(format!(
            "blocked: no maintainer approved the current head {}{}",
            pr.short_sha(),
            self.policy
                .safe_to_test_label
                .as_ref()
                .map(|l| format!(" and the label `{l}` was not added after the last push"))
                .unwrap_or_default()
        ));
        Ok(false)
    }

    async fn pr_event(&mut self, payload: &Value, privileged: bool) -> Result<bool, GateError> {
        let pr_json = at(payload, &["pull_request"])
            .ok_or_else(|| GateError::Payload("the event payload has no `pull_request`".into()))?;
        let pr = PullRequest::from_json(pr_json).map_err(GateError::Payload)?;
        Ok(self.check_pr(&pr, privileged).await?)
    }

    async fn fetch_pr(&mut self, number: u64) -> Result<Option<PullRequest>, GateError> {
        let Some(client) = self.client else {
            return Ok(None);
        };
        let path = format!("/repos/{}/pulls/{number}", self.repo);
        match client.get_json(&path).await? {
            Some(v) => {
                Ok(Some(PullRequest::from_json(&v).map_err(|e| {
                    GateError::Payload(format!("GitHub API {path}: {e}"))
                })?))
            }
            None => Ok(None),
        }
    }

    async fn issue_comment(&mut self, payload: &Value) -> Result<bool, GateError> {
        let number = at(payload, &["issue", "number"])
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                GateError::Payload("issue_comment payload has no issue.number".into())
            })?;
        if at(payload, &["issue", "pull_request"]).is_none() {
            self.say(format!(
                "comment on issue #{number}, not on a pull request: no pull-request code is involved"
            ));
            return Ok(true);
        }
        self.pull_request = Some(number);
        let login = str_at(payload, &["comment", "user", "login"])
            .ok_or_else(|| {
                GateError::Payload("issue_comment payload has no comment.user.login".into())
            })?
            .to_string();
        let assoc = str_at(payload, &["comment", "author_association"])
            .unwrap_or("NONE")
            .to_string();
        if !self
            .actor_trusted("commenter", &login, &assoc, true)
            .await?
        {
            self.say(format!(
                "blocked: a comment by an untrusted user must not start a privileged build of PR #{number}"
            ));
            return Ok(false);
        }
        if self.client.is_none() {
            self.say(format!(
                "blocked: without a token the head of PR #{number} cannot be inspected (the comment payload does not carry it)"
            ));
            return Ok(false);
        }
        match self.fetch_pr(number).await? {
            Some(pr) => Ok(self.check_pr(&pr, true).await?),
            None => {
                self.say(format!(
                    "blocked: pull request #{number} not found in {}",
                    self.repo
                ));
                Ok(false)
            }
        }
    }

    async fn workflow_run(&mut self, payload: &Value) -> Result<bool, GateError> {
        let wr = at(payload, &["workflow_run"])
            .ok_or_else(|| GateError::Payload("the event payload has no `workflow_run`".into()))?;
        let head_sha = str_at(wr, &["head_sha"])
            .ok_or_else(|| GateError::Payload("workflow_run.head_sha is missing".into()))?
            .to_string();
        self.head_sha = Some(head_sha.clone());
        let trigger = str_at(wr, &["event"]).unwrap_or("unknown").to_string();
        let name = str_at(wr, &["name"]).unwrap_or("?").to_string();
        let branch = str_at(wr, &["head_branch"]).unwrap_or_default().to_string();
        let base = str_at(wr, &["repository", "full_name"])
            .map_or_else(|| self.repo.clone(), str::to_string);
        let head = at(wr, &["head_repository"]);
        let head_name = head
            .and_then(|h| str_at(h, &["full_name"]))
            .map(str::to_string);
        let same_id = match (
            head.and_then(|h| at(h, &["id"])).and_then(Value::as_u64),
            at(wr, &["repository", "id"]).and_then(Value::as_u64),
        ) {
            (Some(h), Some(b)) => h == b,
            _ => true,
        };
        let fork = match &head_name {
            None => Some("the triggering run's head repository is gone (deleted fork)".to_string()),
            Some(h) if !eq_ci(h, &base) || !same_id => Some(format!(
                "the triggering run ({trigger}, workflow `{name}`) built {h}:{branch}, a fork of {base}"
            )),
            Some(_) => None,
        };
        let Some(fork) = fork else {
            self.say(format!(
                "the triggering run ({trigger}, workflow `{name}`) built `{branch}` of {base} itself"
            ));
            return Ok(true);
        };
        self.say(fork);
        // Fork runs carry no pull_requests[]; look the PR up by head owner:branch.
        let mut pr_numbers: Vec<u64> = at(wr, &["pull_requests"])
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| at(p, &["number"]).and_then(Value::as_u64))
                    .collect()
            })
            .unwrap_or_default();
        let Some(client) = self.client else {
            self.say(
                "blocked: without a token the pull request behind a fork run cannot be identified",
            );
            return Ok(false);
        };
        if pr_numbers.is_empty()
            && let Some(owner) = head.and_then(|h| str_at(h, &["owner", "login"]))
        {
            let list = client
                .get_list(&format!(
                    "/repos/{}/pulls?state=open&head={owner}:{branch}",
                    self.repo
                ))
                .await?;
            pr_numbers = list
                .iter()
                .filter_map(|p| at(p, &["number"]).and_then(Value::as_u64))
                .collect();
        }
        let Some(&number) = pr_numbers.first() else {
            self.say(format!(
                "blocked: no open pull request found for {}:{branch}",
                head_name.as_deref().unwrap_or("?")
            ));
            return Ok(false);
        };
        let Some(pr) = self.fetch_pr(number).await? else {
            self.say(format!("blocked: pull request #{number} not found"));
            return Ok(false);
        };
        if pr.head_sha != head_sha {
            self.pull_request = Some(number);
            self.say(format!(
                "blocked: PR #{number}'s head moved to {} after the triggering run built {}",
                pr.short_sha(),
                short(&head_sha)
            ));
            return Ok(false);
        }
        Ok(self.check_pr(&pr, true).await?)
    }
}

/// Decide for a GitHub Actions run. `client`: None when no token is available.
pub async fn evaluate_github(
    ctx: &Context,
    policy: &Policy,
    client: Option<&Client>,
) -> Result<Decision, GateError> {
    let mut g = Gate::new(policy, client, &ctx.repository);
    let ev = ctx.event_name.as_str();
    let allow = match ev {
        "pull_request" | "pull_request_review" | "pull_request_review_comment" => {
            g.pr_event(&ctx.payload, false).await?
        }
        "pull_request_target" => {
            g.say("pull_request_target is privileged (secrets, write token): held strictly");
            g.pr_event(&ctx.payload, true).await?
        }
        "issue_comment" => {
            g.say("issue_comment is privileged (secrets, write token): held strictly");
            g.issue_comment(&ctx.payload).await?
        }
        "workflow_run" => {
            g.say("workflow_run is privileged (secrets, write token): held strictly");
            g.workflow_run(&ctx.payload).await?
        }
        _ if REPO_EVENTS.contains(&ev) => {
            g.head_sha = str_at(&ctx.payload, &["after"]).map(str::to_string);
            g.say(format!(
                "`{ev}` runs code of the repository itself, not of a pull request"
            ));
            true
        }
        _ if at(&ctx.payload, &["pull_request"]).is_some() => {
            g.say(format!(
                "`{ev}` is not a known event and carries a pull request: held strictly"
            ));
            g.pr_event(&ctx.payload, true).await?
        }
        _ => {
            g.say(format!("`{ev}` carries no pull request"));
            true
        }
    };
    Ok(g.finish(allow, ev))
}

/// The inputs a Jenkins decision reads: the CHANGE_* variables that are set, the repository
/// CHANGE_URL names, and whether a GitHub token is used.
fn jenkins_inputs(change: &JenkinsChange, repo: Option<&str>, token: bool) -> String {
    let set: Vec<&str> = [
        ("CHANGE_ID", &change.change_id),
        ("CHANGE_FORK", &change.change_fork),
        ("CHANGE_AUTHOR", &change.change_author),
        ("CHANGE_TARGET", &change.change_target),
        ("CHANGE_URL", &change.change_url),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(n, _)| *n)
    .collect();
    let vars = if set.is_empty() {
        "no CHANGE_* variable set".to_string()
    } else {
        set.join(", ")
    };
    let url = match (&change.change_url, repo) {
        (Some(_), Some(r)) => format!("; CHANGE_URL names the GitHub repository {r}"),
        (Some(_), None) => "; CHANGE_URL is not a GitHub pull request URL".to_string(),
        (None, _) => String::new(),
    };
    let api = if token {
        "; a GitHub token, for the pull request's approvals, labels and team membership"
    } else {
        "; no GitHub token (approvals, labels and team membership not checked)"
    };
    format!("decided from the Jenkins environment: {vars}{url}{api}")
}

/// Decide for a Jenkins multibranch build. `repo`/`client` come from CHANGE_URL and a token.
pub async fn evaluate_jenkins(
    change: &JenkinsChange,
    policy: &Policy,
    repo: Option<&str>,
    client: Option<&Client>,
) -> Result<Decision, GateError> {
    let repo_name = repo.unwrap_or("").to_string();
    let mut g = Gate::new(policy, client, &repo_name);
    // Jenkins has no event payload: say exactly which inputs this decision reads.
    g.reasons.clear();
    g.say(jenkins_inputs(change, repo, client.is_some()));
    let Some(id) = &change.change_id else {
        g.say("CHANGE_ID is not set: a branch or tag build, not a change request");
        return Ok(g.finish(true, "jenkins"));
    };
    let number: Option<u64> = id.parse().ok();
    g.pull_request = number;
    let author = change.change_author.clone().unwrap_or_default();
    let target = change.change_target.clone().unwrap_or_else(|| "?".into());
    let Some(fork) = &change.change_fork else {
        g.say(format!(
            "change #{id} → {target} comes from a branch of the repository itself (CHANGE_FORK unset)"
        ));
        return Ok(g.finish(true, "jenkins"));
    };
    g.say(format!(
        "change #{id} → {target} comes from the fork `{fork}`"
    ));
    if !author.is_empty() && contains_ci(&policy.trusted_users, &author) {
        g.say(format!("author {author} is listed in gate.trusted_users"));
        return Ok(g.finish(true, "jenkins"));
    }
    let (Some(_), Some(n), false) = (client, number, repo_name.is_empty()) else {
        let mut missing = Vec::new();
        if client.is_none() {
            missing.push("no GitHub token".to_string());
        }
        match (&change.change_url, repo_name.is_empty()) {
            (None, _) => missing.push("CHANGE_URL is not set".into()),
            (Some(u), true) => {
                missing.push(format!("CHANGE_URL `{u}` is not a GitHub pull request URL"));
            }
            _ => {}
        }
        if number.is_none() {
            missing.push(format!("CHANGE_ID `{id}` is not a pull request number"));
        }
        g.say(format!(
            "blocked: author `{author}` is not in gate.trusted_users, and the pull request's approvals cannot be checked: {}",
            missing.join(", ")
        ));
        return Ok(g.finish(false, "jenkins"));
    };
    let allow = match g.fetch_pr(n).await? {
        Some(pr) => g.check_pr(&pr, true).await?,
        None => {
            g.say(format!(
                "blocked: pull request #{n} not found in {repo_name}"
            ));
            false
        }
    };
    Ok(g.finish(allow, "jenkins"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_urls() {
        assert_eq!(
            parse_change_url("https://github.com/acme/app/pull/42"),
            Some(("https://api.github.com".into(), "acme/app".into(), 42))
        );
        assert_eq!(
            parse_change_url("https://ghe.example.com/acme/app/pull/7/"),
            Some((
                "https://ghe.example.com/api/v3".into(),
                "acme/app".into(),
                7
            ))
        );
        assert_eq!(
            parse_change_url("https://github.com/acme/app/issues/4"),
            None
        );
        assert_eq!(parse_change_url("not a url"), None);
    }
}
