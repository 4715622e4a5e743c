//! `scan --online` against recorded, real-shaped GitHub API answers served on loopback
//! (tests/fixtures/online/api): each online rule reported once at the caller's `uses:` line, the
//! second scan answered from the disk cache with zero API calls, and rate limits, 404s, hostile
//! bodies and an unreachable API turned into notes, never failures.

use std::path::Path;

use serde_json::Value;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixtures, json_report, pipeguard};

fn api(name: &str) -> Value {
    let p = fixtures().join("online/api").join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

async fn json_at(server: &MockServer, p: &str, body: &str) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(api(body)))
        .mount(server)
        .await;
}

async fn mount_all(server: &MockServer) {
    for r in ["good", "conf", "vuln", "old", "comp", "chain"] {
        json_at(
            server,
            &format!("/repos/{r}/action"),
            &format!("repo_{r}.json"),
        )
        .await;
        json_at(
            server,
            &format!("/repos/{r}/action/tags"),
            &format!("tags_{r}.json"),
        )
        .await;
        json_at(
            server,
            &format!("/repos/{r}/action/branches"),
            &format!("branches_{r}.json"),
        )
        .await;
        let adv = if r == "vuln" {
            api("advisories_vuln.json")
        } else {
            Value::Array(vec![])
        };
        Mock::given(method("GET"))
            .and(path("/advisories"))
            .and(query_param("ecosystem", "actions"))
            .and(query_param("affects", format!("{r}/action")))
            .respond_with(ResponseTemplate::new(200).set_body_json(adv))
            .mount(server)
            .await;
    }
    for r in ["comp", "chain"] {
        json_at(
            server,
            &format!("/repos/{r}/action/contents/action.yml"),
            &format!("contents_{r}.json"),
        )
        .await;
    }
    // The impostor is in no history; the main head `ccc…` pinned with a wrong comment is.
    Mock::given(method("GET"))
        .and(path_regex(r"^/repos/good/action/compare/.*\.\.\.a{40}$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(api("compare_diverged.json")))
        .mount(server)
        .await;
}

fn scan_online(root: &Path, uri: &str, cache: &Path, extra: &[&str]) -> (Value, String) {
    let out = pipeguard()
        .arg("scan")
        .arg(root)
        .args(["--online", "--github-api-url", uri, "--online-cache"])
        .arg(cache)
        .args(["--format", "json", "--only", "github", "--fail-on", "never"])
        .args(extra)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (json_report(&out.stdout), stderr)
}

fn online_findings(report: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["rule_id"].as_str().unwrap();
            [
                "github/impostor-commit",
                "github/ref-confusion",
                "github/known-vulnerable-action",
                "github/archived-action",
                "github/stale-pin",
                "github/mutable-ref-in-chain",
                "github/script-injection",
            ]
            .contains(&id)
        })
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn online_rules_at_the_callers_line_and_a_warm_cache_makes_no_call() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        mount_all(&s).await;
        s
    });
    let cache = tempfile::tempdir().unwrap();
    let repo = fixtures().join("online/repo");
    let (report, stderr) = scan_online(
        &repo,
        &server.uri(),
        cache.path(),
        &["--persona", "pedantic"],
    );
    assert_eq!(
        online_findings(&report),
        vec![
            ("github/archived-action".to_string(), 12),
            ("github/impostor-commit".to_string(), 9),
            ("github/known-vulnerable-action".to_string(), 11),
            ("github/mutable-ref-in-chain".to_string(), 18),
            ("github/ref-confusion".to_string(), 10),
            ("github/script-injection".to_string(), 15),
            ("github/stale-pin".to_string(), 14),
        ],
        "{stderr}"
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github/known-vulnerable-action")
        .unwrap();
    assert_eq!(f["properties"]["advisory"], "GHSA-mrrh-fwg8-r2c3");
    assert_eq!(f["properties"]["first_patched"], "1.2.3");
    let inj = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github/script-injection")
        .unwrap();
    assert_eq!(
        inj["related"][0]["location"]["path"],
        "github.com/comp/action/blob/v1.4.0/action.yml"
    );
    assert_eq!(inj["related"][0]["location"]["start_line"], 12);
    let chain = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github/mutable-ref-in-chain")
        .unwrap();
    assert!(
        chain["message"]
            .as_str()
            .unwrap()
            .contains("other/thing@v2")
    );
    let cold = rt.block_on(server.received_requests()).unwrap().len();
    // 6 repositories × (metadata, tags, branches, advisories); 2 compares for the impostor;
    // action.yml (and action.yaml after a 404) of the 8 used actions; the nested other/thing
    // (404: missing) — the chain's use of itself is a cycle, not fetched again.
    assert_eq!(cold, 24 + 2 + 14 + 1, "{stderr}");
    assert!(stderr.contains(&format!("{cold} API calls")), "{stderr}");

    let (again, stderr2) = scan_online(
        &repo,
        &server.uri(),
        cache.path(),
        &["--persona", "pedantic"],
    );
    assert_eq!(online_findings(&again), online_findings(&report));
    let warm = rt.block_on(server.received_requests()).unwrap().len();
    assert_eq!(warm - cold, 0, "the second scan called the API: {stderr2}");
    assert!(
        stderr2.contains("7 from the cache), 0 API calls"),
        "{stderr2}"
    );

    // --offline (and no flag) never call.
    let out = pipeguard()
        .arg("scan")
        .arg(&repo)
        .args([
            "--offline",
            "--format",
            "json",
            "--only",
            "github",
            "--fail-on",
            "never",
        ])
        .output()
        .unwrap();
    assert!(online_findings(&json_report(&out.stdout)).is_empty());
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), cold);
}

fn one_repo_tree(uses: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let wf = d.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("ci.yml"),
        format!("on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {uses}\n"),
    )
    .unwrap();
    d
}

#[test]
fn deleted_repository_is_reported_and_errors_are_notes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/repos/gone/action"))
            .respond_with(ResponseTemplate::new(404).set_body_json(api("not_found.json")))
            .mount(&s)
            .await;
        // Rate limited until an hour from now: no waiting that long, a note.
        let reset = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            .to_string();
        Mock::given(method("GET"))
            .and(path("/repos/limited/action"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset.as_str())
                    .set_body_json(api("rate_limited.json")),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/html/action"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw("<html>sign in</html>", "text/html"),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/huge/action"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(vec![b' '; 9 * 1024 * 1024], "application/json"),
            )
            .mount(&s)
            .await;
        s
    });
    let cache = tempfile::tempdir().unwrap();
    let gone = one_repo_tree("gone/action@v1");
    let (report, stderr) = scan_online(gone.path(), &server.uri(), cache.path(), &[]);
    assert_eq!(
        online_findings(&report),
        vec![("github/archived-action".to_string(), 7)],
        "{stderr}"
    );
    for (tree, want) in [
        ("limited/action@v1", "rate limit"),
        ("html/action@v1", "is not JSON"),
        ("huge/action@v1", "larger than"),
    ] {
        let t = one_repo_tree(tree);
        let (report, stderr) = scan_online(t.path(), &server.uri(), cache.path(), &[]);
        assert!(online_findings(&report).is_empty(), "{tree}: {stderr}");
        assert!(stderr.contains(want), "{tree}: {stderr}");
        assert!(stderr.contains("not checked"), "{tree}: {stderr}");
    }
}

#[test]
fn unreachable_api_is_a_note() {
    let cache = tempfile::tempdir().unwrap();
    let t = one_repo_tree("some/action@v1");
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (report, stderr) = scan_online(
        t.path(),
        &format!("http://127.0.0.1:{port}"),
        cache.path(),
        &[],
    );
    assert!(online_findings(&report).is_empty());
    assert!(stderr.contains("not checked"), "{stderr}");
}

#[test]
fn fix_online_pins_tags_and_updates_stale_pins() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        mount_all(&s).await;
        s
    });
    let cache = tempfile::tempdir().unwrap();
    let d = tempfile::tempdir().unwrap();
    let wf = d.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let before = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: \"vuln/action@v1.2.0\"\n      - uses: good/action@cccccccccccccccccccccccccccccccccccccccc # v1.0.0 (release)\n      - uses: conf/action@v1\n";
    std::fs::write(wf.join("ci.yml"), before).unwrap();
    let out = pipeguard()
        .arg("fix")
        .arg(d.path())
        .args([
            "--write",
            "--online",
            "--github-api-url",
            &server.uri(),
            "--online-cache",
        ])
        .arg(cache.path())
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let after = std::fs::read_to_string(wf.join("ci.yml")).unwrap();
    let d40 = "d".repeat(40);
    let b40 = "b".repeat(40);
    assert_eq!(
        after,
        format!(
            "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: \"vuln/action@{d40}\" # v1.2.0\n      - uses: good/action@{b40} # v1.0.0 (release)\n      - uses: conf/action@v1\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "github/unpinned-action: not repaired: `v1` is both a tag and a branch of conf/action"
        ),
        "{stderr}"
    );
}

/// Reusable workflows and secrets handed to actions, through the fetched files (recorded
/// contents answers in tests/fixtures/online/api/contents_{reuse,notify}_*.json): a called
/// workflow that expands a free-text input the caller fills from the PR title (script injection
/// at the caller's `uses:`), one that runs the PR's code with the secret passed in
/// (secrets-to-untrusted at the caller's `secrets:` entry), one that uses its input safely
/// through `env:` (nothing, although it gets `secrets: inherit`), and a composite that curls its
/// token to an address the caller fills from the event (secret-to-action, critical).
#[test]
fn reusable_workflows_and_secrets_passed_to_actions_are_analysed_through_the_fetched_files() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        let s = MockServer::start().await;
        for (repo, short) in [("reuse/wf", "reuse"), ("notify/action", "notify")] {
            json_at(&s, &format!("/repos/{repo}"), &format!("repo_{short}.json")).await;
            json_at(
                &s,
                &format!("/repos/{repo}/tags"),
                &format!("tags_{short}.json"),
            )
            .await;
            json_at(
                &s,
                &format!("/repos/{repo}/branches"),
                &format!("branches_{short}.json"),
            )
            .await;
            Mock::given(method("GET"))
                .and(path("/advisories"))
                .and(query_param("affects", repo))
                .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(vec![])))
                .mount(&s)
                .await;
        }
        for wf in ["triage", "build", "safe"] {
            Mock::given(method("GET"))
                .and(path(format!(
                    "/repos/reuse/wf/contents/.github/workflows/{wf}.yml"
                )))
                .and(query_param("ref", "v2"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(api(&format!("contents_reuse_{wf}.json"))),
                )
                .mount(&s)
                .await;
        }
        json_at(
            &s,
            "/repos/notify/action/contents/action.yml",
            "contents_notify.json",
        )
        .await;
        s
    });
    let cache = tempfile::tempdir().unwrap();
    let repo = fixtures().join("online/transitive");
    let (report, stderr) = scan_online(&repo, &server.uri(), cache.path(), &[]);
    let of = |rule: &str| -> Vec<(u64, String)> {
        let mut v: Vec<(u64, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| {
                (
                    f["location"]["start_line"].as_u64().unwrap(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    // Line 24: notify/action also expands `inputs.endpoint` into its script (the secret passed
    // as `inputs.token` is no injection: an attacker does not choose it).
    assert_eq!(
        of("github/script-injection"),
        vec![(8, "high".into()), (24, "high".into())],
        "{stderr}"
    );
    assert_eq!(
        of("github/secrets-to-untrusted"),
        vec![(15, "critical".into())],
        "{stderr}"
    );
    assert_eq!(
        of("github/secret-to-action"),
        vec![(26, "critical".into())],
        "{stderr}"
    );
    let find = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == rule)
            .unwrap()
            .clone()
    };
    let inj = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github/script-injection" && f["location"]["start_line"] == 8)
        .unwrap()
        .clone();
    assert_eq!(
        inj["related"][0]["location"]["path"],
        "github.com/reuse/wf/blob/v2/.github/workflows/triage.yml"
    );
    assert_eq!(inj["related"][0]["location"]["start_line"], 19);
    assert_eq!(inj["related"][1]["location"]["start_line"], 10);
    let sec = find("github/secrets-to-untrusted");
    assert_eq!(
        sec["related"][0]["location"]["path"],
        "github.com/reuse/wf/blob/v2/.github/workflows/build.yml"
    );
    assert_eq!(sec["related"][0]["location"]["start_line"], 13);
    assert_eq!(sec["related"][1]["location"]["start_line"], 14);
    let exfil = find("github/secret-to-action");
    assert_eq!(
        exfil["related"][0]["location"]["path"],
        "github.com/notify/action/blob/v3/action.yml"
    );
    assert_eq!(exfil["related"][0]["location"]["start_line"], 16);
    assert!(
        exfil["message"]
            .as_str()
            .unwrap()
            .contains("github.event.pull_request.head.repo.homepage"),
        "{exfil}"
    );

    // Offline the called files are unknown: only the mutable-ref case of secret-to-action is
    // left (same line, high), and no cross-file injection.
    let out = pipeguard()
        .arg("scan")
        .arg(&repo)
        .args(["--offline", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let offline = json_report(&out.stdout);
    let lines = |rule: &str| -> Vec<(u64, String)> {
        offline["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| {
                (
                    f["location"]["start_line"].as_u64().unwrap(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(lines("github/secret-to-action"), vec![(26, "high".into())]);
    assert!(lines("github/script-injection").is_empty());
    assert!(lines("github/secrets-to-untrusted").is_empty());
}
