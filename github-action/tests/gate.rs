//! The gate against webhook payloads and GitHub API responses served on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use pipeguard_github::{
    Client, Context, Decision, JenkinsChange, Policy, Verdict, evaluate_github, evaluate_jenkins,
};
use serde_json::Value;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REPO: &str = "octo-org/hello-world";
const HEAD: &str = "9f3c2b7a41d0e6c58b1f4a2d7e90c3b6a8f15d24";

fn fixture(rel: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(rel)
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(rel)).unwrap()).unwrap()
}

fn ctx(event: &str, file: &str) -> Context {
    let p = fixture(&format!("events/{file}"));
    Context::from_env(|k| match k {
        "GITHUB_EVENT_NAME" => Some(event.to_string()),
        "GITHUB_EVENT_PATH" => Some(p.display().to_string()),
        "GITHUB_REPOSITORY" => Some(REPO.to_string()),
        _ => None,
    })
    .unwrap()
}

fn labelled_policy() -> Policy {
    Policy {
        safe_to_test_label: Some("safe-to-test".into()),
        ..Policy::default()
    }
}

async fn offline(event: &str, file: &str, policy: &Policy) -> Decision {
    evaluate_github(&ctx(event, file), policy, None)
        .await
        .unwrap()
}

fn has(d: &Decision, needle: &str) -> bool {
    d.reasons.iter().any(|r| r.contains(needle))
}

async fn serve(server: &MockServer, p: &str, body: &str) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(json(body)))
        .mount(server)
        .await;
}

fn client(server: &MockServer) -> Client {
    Client::new(&server.uri(), Some("ghs_testtoken"), Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn payload_only_decisions() {
    let p = Policy::default();
    let d = offline("pull_request", "pull_request.same_repo.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(has(&d, "no GitHub token"), "{d:?}");
    assert_eq!(d.pull_request, Some(17));
    assert_eq!(d.head_sha.as_deref(), Some(HEAD));

    let d = offline("pull_request", "pull_request.fork.json", &p).await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    assert!(has(&d, "fork mallory-dev/hello-world"), "{d:?}");
    assert!(has(&d, "FIRST_TIME_CONTRIBUTOR"), "{d:?}");

    let d = offline(
        "pull_request_target",
        "pull_request_target.deleted_fork.json",
        &p,
    )
    .await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    assert!(has(&d, "deleted"), "{d:?}");

    let d = offline(
        "pull_request_target",
        "pull_request_target.fork_collaborator.json",
        &p,
    )
    .await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(has(&d, "COLLABORATOR"), "{d:?}");

    // A repository that is itself a fork: head == base, so not a fork PR.
    let d = offline("pull_request", "pull_request.fork_of_fork_base.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");

    let d = offline("push", "push.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");

    let d = offline("workflow_run", "workflow_run.same_repo.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    let d = offline("workflow_run", "workflow_run.fork.json", &p).await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    assert!(has(&d, "mallory-dev/hello-world:patch-1"), "{d:?}");

    let d = offline("issue_comment", "issue_comment.pr_by_stranger.json", &p).await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    assert!(has(&d, "commenter mallory-dev"), "{d:?}");
    // Trusted commenter, but without a token the PR's head cannot be seen: strict → block.
    let d = offline("issue_comment", "issue_comment.pr_by_member.json", &p).await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    let d = offline("issue_comment", "issue_comment.issue.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
}

#[tokio::test]
async fn config_trust_and_strictness() {
    // CONTRIBUTOR trusted by config counts on pull_request but not on pull_request_target.
    let p = Policy {
        trusted_associations: vec![
            "OWNER".into(),
            "MEMBER".into(),
            "COLLABORATOR".into(),
            "CONTRIBUTOR".into(),
        ],
        ..Policy::default()
    };
    let d = offline("pull_request_target", "pull_request_target.fork.json", &p).await;
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    assert!(has(&d, "not for a privileged trigger"), "{d:?}");
    let d = offline("pull_request", "pull_request_target.fork.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");

    let p = Policy {
        trusted_users: vec!["Mallory-Dev".into()],
        ..Policy::default()
    };
    let d = offline("pull_request_target", "pull_request_target.fork.json", &p).await;
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(has(&d, "gate.trusted_users"), "{d:?}");
}

#[tokio::test]
async fn approval_of_current_head_allows() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/pulls/18/reviews")))
        .and(header("authorization", "Bearer ghs_testtoken"))
        .and(query_param("per_page", "100"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("api/reviews_approved_head.json")),
        )
        .mount(&server)
        .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
        "api/permission_carol.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
        "api/permission_alice.json",
    )
    .await;
    let c = client(&server);
    let d = evaluate_github(
        &ctx("pull_request_target", "pull_request_target.fork.json"),
        &Policy::default(),
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(
        has(
            &d,
            "approved by alice-maint (write permission) at the current head 9f3c2b7"
        ),
        "{d:?}"
    );
    assert!(!has(&d, "no GitHub token"), "{d:?}");
}

#[tokio::test]
async fn stale_or_withdrawn_approval_blocks() {
    for (reviews, expect) in [
        (
            "api/reviews_approved_old.json",
            "alice-maint approved 4c1e8d2",
        ),
        (
            "api/reviews_approved_then_changes.json",
            "no maintainer approved the current head",
        ),
        (
            "api/reviews_outsider_only.json",
            "approval by carol-outsider does not count",
        ),
    ] {
        let server = MockServer::start().await;
        serve(&server, &format!("/repos/{REPO}/pulls/18/reviews"), reviews).await;
        serve(
            &server,
            &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
            "api/permission_alice.json",
        )
        .await;
        serve(
            &server,
            &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
            "api/permission_carol.json",
        )
        .await;
        let c = client(&server);
        let d = evaluate_github(
            &ctx("pull_request", "pull_request.fork.json"),
            &Policy::default(),
            Some(&c),
        )
        .await
        .unwrap();
        assert_eq!(d.decision, Verdict::Block, "{reviews}: {d:?}");
        assert!(has(&d, expect), "{reviews}: {d:?}");
    }
}

#[tokio::test]
async fn safe_to_test_label_must_follow_the_last_push() {
    for (timeline, verdict, expect) in [
        (
            "api/timeline_label_after_push.json",
            Verdict::Allow,
            "label `safe-to-test` added by alice-maint (write permission)",
        ),
        (
            "api/timeline_push_after_label.json",
            Verdict::Block,
            "before the last push (committed)",
        ),
        (
            "api/timeline_force_push_after_label.json",
            Verdict::Block,
            "before the last push (head_ref_force_pushed)",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/repos/{REPO}/pulls/18/reviews")))
            .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(vec![])))
            .mount(&server)
            .await;
        serve(
            &server,
            &format!("/repos/{REPO}/issues/18/timeline"),
            timeline,
        )
        .await;
        serve(
            &server,
            &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
            "api/permission_alice.json",
        )
        .await;
        let c = client(&server);
        let d = evaluate_github(
            &ctx("pull_request_target", "pull_request_target.fork.json"),
            &labelled_policy(),
            Some(&c),
        )
        .await
        .unwrap();
        assert_eq!(d.decision, verdict, "{timeline}: {d:?}");
        assert!(has(&d, expect), "{timeline}: {d:?}");
    }
}

#[tokio::test]
async fn issue_comment_and_workflow_run_look_up_the_pr() {
    let server = MockServer::start().await;
    serve(
        &server,
        &format!("/repos/{REPO}/pulls/18"),
        "api/pull_18.json",
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/pulls")))
        .and(query_param("head", "mallory-dev:patch-1"))
        .and(query_param("state", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json("api/pulls_head_patch-1.json")))
        .mount(&server)
        .await;
    serve(
        &server,
        &format!("/repos/{REPO}/pulls/18/reviews"),
        "api/reviews_approved_head.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
        "api/permission_carol.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
        "api/permission_alice.json",
    )
    .await;
    let c = client(&server);
    let p = Policy::default();
    let d = evaluate_github(
        &ctx("issue_comment", "issue_comment.pr_by_member.json"),
        &p,
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(
        has(&d, "commenter alice-maint has author association MEMBER"),
        "{d:?}"
    );
    assert_eq!(d.head_sha.as_deref(), Some(HEAD));
    let d = evaluate_github(&ctx("workflow_run", "workflow_run.fork.json"), &p, Some(&c))
        .await
        .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert_eq!(d.pull_request, Some(18));
    // A stranger's comment never reaches the API.
    let d = evaluate_github(
        &ctx("issue_comment", "issue_comment.pr_by_stranger.json"),
        &p,
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
}

#[tokio::test]
async fn team_membership_trusts_the_author() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/orgs/octo-org/teams/ci-trusted/memberships/mallory-dev",
        "api/membership_active.json",
    )
    .await;
    let c = client(&server);
    let p = Policy {
        trusted_teams: vec!["octo-org/ci-trusted".into()],
        ..Policy::default()
    };
    let d = evaluate_github(
        &ctx("pull_request_target", "pull_request_target.fork.json"),
        &p,
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert!(
        has(&d, "member of the trusted team octo-org/ci-trusted"),
        "{d:?}"
    );
}

#[tokio::test]
async fn rate_limit_and_auth_errors_are_clear() {
    let server = MockServer::start().await;
    let reset = (pipeguard_github::time::now_unix() + 3600).to_string();
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/pulls/18/reviews")))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str())
                .set_body_json(json("api/rate_limited.json")),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let e = evaluate_github(
        &ctx("pull_request", "pull_request.fork.json"),
        &Policy::default(),
        Some(&c),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("rate limit exceeded") && e.contains("resets at 20"),
        "{e}"
    );

    // A short Retry-After is waited out, then the request succeeds.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/pulls/18/reviews")))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve(
        &server,
        &format!("/repos/{REPO}/pulls/18/reviews"),
        "api/reviews_approved_head.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
        "api/permission_alice.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
        "api/permission_carol.json",
    )
    .await;
    let c = client(&server);
    let d = evaluate_github(
        &ctx("pull_request", "pull_request.fork.json"),
        &Policy::default(),
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json("api/bad_credentials.json")))
        .mount(&server)
        .await;
    let c = client(&server);
    let e = evaluate_github(
        &ctx("pull_request", "pull_request.fork.json"),
        &Policy::default(),
        Some(&c),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("authentication failed") && e.contains("Bad credentials"),
        "{e}"
    );
}

#[tokio::test]
async fn pagination_follows_link_headers() {
    let server = MockServer::start().await;
    let next = format!(
        "{}/repositories/701234561/pulls/18/reviews?per_page=100&page=2",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("/repos/{REPO}/pulls/18/reviews")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\"").as_str(),
                )
                .set_body_json(json("api/reviews_approved_old.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repositories/701234561/pulls/18/reviews"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json("api/reviews_approved_head.json")),
        )
        .mount(&server)
        .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
        "api/permission_alice.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
        "api/permission_carol.json",
    )
    .await;
    let c = client(&server);
    let d = evaluate_github(
        &ctx("pull_request", "pull_request.fork.json"),
        &Policy::default(),
        Some(&c),
    )
    .await
    .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
}

#[tokio::test]
async fn jenkins_changes() {
    let p = Policy::default();
    let branch = JenkinsChange::default();
    assert_eq!(
        evaluate_jenkins(&branch, &p, None, None)
            .await
            .unwrap()
            .decision,
        Verdict::Allow
    );
    let same = JenkinsChange {
        change_id: Some("17".into()),
        change_author: Some("alice-maint".into()),
        change_target: Some("main".into()),
        change_url: Some(format!("https://github.com/{REPO}/pull/17")),
        ..JenkinsChange::default()
    };
    assert_eq!(
        evaluate_jenkins(&same, &p, Some(REPO), None)
            .await
            .unwrap()
            .decision,
        Verdict::Allow
    );
    let fork = JenkinsChange {
        change_id: Some("18".into()),
        change_fork: Some("mallory-dev".into()),
        change_author: Some("mallory-dev".into()),
        change_target: Some("main".into()),
        change_url: Some(format!("https://github.com/{REPO}/pull/18")),
    };
    let d = evaluate_jenkins(&fork, &p, Some(REPO), None).await.unwrap();
    assert_eq!(d.decision, Verdict::Block, "{d:?}");
    // The messages name exactly the inputs used: CHANGE_URL is set and read, the token is not.
    assert_eq!(
        d.reasons[0],
        format!(
            "decided from the Jenkins environment: CHANGE_ID, CHANGE_FORK, CHANGE_AUTHOR, CHANGE_TARGET, CHANGE_URL; CHANGE_URL names the GitHub repository {REPO}; no GitHub token (approvals, labels and team membership not checked)"
        ),
        "{d:?}"
    );
    assert!(
        d.reasons.iter().all(|r| !r.contains("event payload")),
        "{d:?}"
    );
    assert!(
        d.reasons
            .last()
            .unwrap()
            .ends_with("the pull request's approvals cannot be checked: no GitHub token"),
        "{d:?}"
    );
    let no_url = JenkinsChange {
        change_url: None,
        ..fork.clone()
    };
    let d = evaluate_jenkins(&no_url, &p, None, None).await.unwrap();
    assert!(
        d.reasons
            .last()
            .unwrap()
            .ends_with("cannot be checked: no GitHub token, CHANGE_URL is not set"),
        "{d:?}"
    );
    let server = MockServer::start().await;
    serve(
        &server,
        &format!("/repos/{REPO}/pulls/18"),
        "api/pull_18.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/pulls/18/reviews"),
        "api/reviews_approved_head.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/alice-maint/permission"),
        "api/permission_alice.json",
    )
    .await;
    serve(
        &server,
        &format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
        "api/permission_carol.json",
    )
    .await;
    let c = client(&server);
    let d = evaluate_jenkins(&fork, &p, Some(REPO), Some(&c))
        .await
        .unwrap();
    assert_eq!(d.decision, Verdict::Allow, "{d:?}");
    assert_eq!(d.head_sha.as_deref(), Some(HEAD));
}

/// The package directory, read at run time (cargo sets it for tests): the compile-time value
/// goes stale when checkouts at different paths share one target directory.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    )
}
