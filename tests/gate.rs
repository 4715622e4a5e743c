//! `pipeguard gate` end to end: runner environment in, stdout / step summary / `decision` output /
//! decision file / exit code out; with and without a token (GitHub API on loopback).

use std::path::{Path, PathBuf};

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{pipeguard, repo_root};

const REPO: &str = "octo-org/hello-world";

fn event(name: &str) -> PathBuf {
    repo_root()
        .join("github-action/tests/fixtures/events")
        .join(name)
}

fn api(name: &str) -> Value {
    let p = repo_root()
        .join("github-action/tests/fixtures/api")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    output: String,
    summary: String,
    decision: Option<Value>,
}

fn gate(dir: &Path, event_name: &str, payload: &str, extra: &[(&str, &str)], args: &[&str]) -> Run {
    let out = dir.join("github_output");
    let summary = dir.join("step_summary");
    let decision = dir.join("gate.json");
    for f in [&out, &summary, &decision] {
        let _ = std::fs::remove_file(f);
    }
    let mut cmd = pipeguard();
    cmd.current_dir(dir)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", event(payload))
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_OUTPUT", &out)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["gate", "--github", "--decision-file"])
        .arg(&decision)
        .args(args);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        output: std::fs::read_to_string(&out).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        decision: std::fs::read_to_string(&decision)
            .ok()
            .map(|s| serde_json::from_str(&s).unwrap()),
    }
}

#[test]
fn fork_pr_without_token_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let r = gate(
        dir.path(),
        "pull_request_target",
        "pull_request_target.fork.json",
        &[],
        &[],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with(
            "pipeguard gate: BLOCK (pull_request_target #18 in octo-org/hello-world, head 9f3c2b7)"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("no GitHub token: decided from the event payload alone"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("::error title=pipeguard gate::untrusted build blocked"),
        "{}",
        r.stdout
    );
    assert_eq!(r.output, "decision=block\n");
    assert!(
        r.summary.contains("### pipeguard gate: **blocked**"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("| `pull_request_target` | octo-org/hello-world | #18 | `9f3c2b7a41d0e6c58b1f4a2d7e90c3b6a8f15d24` |"), "{}", r.summary);
    let d = r.decision.unwrap();
    assert_eq!(d["decision"], "block");
    assert_eq!(d["event"], "pull_request_target");
    assert_eq!(d["repository"], REPO);
    assert_eq!(d["head_sha"], "9f3c2b7a41d0e6c58b1f4a2d7e90c3b6a8f15d24");
    assert_eq!(d["pull_request"], 18);
    assert!(d["reasons"].as_array().unwrap().len() >= 3, "{d}");
    let at = d["checked_at"].as_str().unwrap();
    assert!(at.len() == 20 && at.ends_with('Z'), "{at}");
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
}

#[test]
fn same_repo_pr_and_push_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let r = gate(
        dir.path(),
        "pull_request",
        "pull_request.same_repo.json",
        &[],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.output, "decision=allow\n");
    assert!(
        r.summary.contains("### pipeguard gate: allowed"),
        "{}",
        r.summary
    );
    let r = gate(dir.path(), "push", "push.json", &[], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.decision.unwrap()["decision"], "allow");
}

#[test]
fn config_trusts_a_user() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".pipeguard.yml"),
        "gate:\n  trusted_users: [mallory-dev]\n",
    )
    .unwrap();
    let r = gate(
        dir.path(),
        "pull_request_target",
        "pull_request_target.fork.json",
        &[],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("author mallory-dev is listed in gate.trusted_users"),
        "{}",
        r.stdout
    );
    std::fs::write(
        dir.path().join(".pipeguard.yml"),
        "gate:\n  trusted_user: [x]\n",
    )
    .unwrap();
    let r = gate(
        dir.path(),
        "pull_request_target",
        "pull_request_target.fork.json",
        &[],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(".pipeguard.yml:2:"), "{}", r.stderr);
}

#[test]
fn errors_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let r = gate(dir.path(), "pull_request", "does-not-exist.json", &[], &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read the event payload")
            && r.stderr.contains("does-not-exist.json"),
        "{}",
        r.stderr
    );
    assert_eq!(r.output, "decision=error\n");
    assert_eq!(r.decision.unwrap()["decision"], "error");
    let o = pipeguard()
        .current_dir(dir.path())
        .env_remove("GITHUB_EVENT_NAME")
        .args(["gate", "--github"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GITHUB_EVENT_NAME is not set"));
    let o = pipeguard().args(["gate"]).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "one of --github/--jenkins is required"
    );
}

#[test]
fn token_enables_the_approval_check() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        for (p, body) in [
            (
                format!("/repos/{REPO}/pulls/18/reviews"),
                "reviews_approved_head.json",
            ),
            (
                format!("/repos/{REPO}/collaborators/alice-maint/permission"),
                "permission_alice.json",
            ),
            (
                format!("/repos/{REPO}/collaborators/carol-outsider/permission"),
                "permission_carol.json",
            ),
        ] {
            Mock::given(method("GET"))
                .and(path(p))
                .respond_with(ResponseTemplate::new(200).set_body_json(api(body)))
                .mount(&server)
                .await;
        }
        server
    });
    let dir = tempfile::tempdir().unwrap();
    let uri = server.uri();
    let env = [
        ("GITHUB_TOKEN", "ghs_testtoken"),
        ("GITHUB_API_URL", uri.as_str()),
    ];
    let r = gate(
        dir.path(),
        "pull_request_target",
        "pull_request_target.fork.json",
        &env,
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("approved by alice-maint (write permission) at the current head 9f3c2b7"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("no GitHub token"), "{}", r.stdout);
    // --no-api ignores the token.
    let r = gate(
        dir.path(),
        "pull_request_target",
        "pull_request_target.fork.json",
        &env,
        &["--no-api"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
}

#[test]
fn jenkins_environment() {
    let dir = tempfile::tempdir().unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = pipeguard();
        cmd.current_dir(dir.path())
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .args(["gate", "--jenkins"]);
        for v in [
            "CHANGE_ID",
            "CHANGE_FORK",
            "CHANGE_AUTHOR",
            "CHANGE_TARGET",
            "CHANGE_URL",
        ] {
            cmd.env_remove(v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("CHANGE_ID is not set"));
    let fork = [
        ("CHANGE_ID", "18"),
        ("CHANGE_FORK", "mallory-dev"),
        ("CHANGE_AUTHOR", "mallory-dev"),
        ("CHANGE_TARGET", "main"),
        (
            "CHANGE_URL",
            "https://github.com/octo-org/hello-world/pull/18",
        ),
    ];
    let o = run(&fork);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with("pipeguard gate: BLOCK (jenkins #18 in octo-org/hello-world)"),
        "{stdout}"
    );
    let o = run(&fork[..1]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "no CHANGE_FORK: a branch of the repository"
    );
}

/// The configuration snippet in docs/gate.md is a valid policy with those settings.
#[test]
fn docs_config_snippet_parses() {
    let docs = std::fs::read_to_string(repo_root().join("docs/gate.md")).unwrap();
    let snippet = docs
        .split("### Configuration (`.pipeguard.yml`)\n\n```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let registry = pipeguard_engine::rules::Registry::builtin().unwrap();
    let c = pipeguard_engine::policy::config::Config::parse(
        snippet,
        "docs/gate.md",
        &pipeguard_engine::analyzers::config_schema(registry),
    )
    .unwrap();
    assert_eq!(c.gate.safe_to_test_label.as_deref(), Some("safe-to-test"));
    assert_eq!(
        c.gate.trusted_teams,
        vec!["octo-org/maintainers".to_string()]
    );
}
