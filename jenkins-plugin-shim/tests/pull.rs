//! `list_jobs` / `fetch_config` / `pull` against a loopback server replaying recorded Jenkins
//! responses (2.4xx LTS with cloudbees-folder, branch-api, github-branch-source).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pipeguard_jenkins::{Client, ClientOptions, Error, TREE, pull};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn recorded(name: &str) -> String {
    std::fs::read_to_string(manifest_dir().join("tests/recorded").join(name)).unwrap()
}

// "admin:11e7e9c1d0f5a0b3c1d4e5f6a7b8c9d0e1" in base64.
const AUTH: &str = "Basic YWRtaW46MTFlN2U5YzFkMGY1YTBiM2MxZDRlNWY2YTdiOGM5ZDBlMQ==";

fn opts(server: &MockServer) -> ClientOptions {
    let mut o = ClientOptions::new(format!("{}/", server.uri()))
        .auth("admin", "11e7e9c1d0f5a0b3c1d4e5f6a7b8c9d0e1");
    o.backoff = Duration::from_millis(10);
    o.timeout = Duration::from_secs(5);
    o
}

async fn json(server: &MockServer, at: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(at))
        .and(query_param("tree", TREE))
        .and(header("authorization", AUTH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json;charset=utf-8")
                .insert_header("x-jenkins", "2.462.3")
                .set_body_string(body),
        )
        .mount(server)
        .await;
}

async fn xml(server: &MockServer, at: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", AUTH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/xml")
                .set_body_string(body),
        )
        .mount(server)
        .await;
}

/// Jenkins answers unauthenticated requests with 403 and a login redirect page: credentials
/// must be sent up front.
async fn forbid_anonymous(server: &MockServer) {
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-you-are-authenticated-as", "anonymous")
                .set_body_string(recorded("forbidden.html")),
        )
        .with_priority(10)
        .mount(server)
        .await;
}

async fn jenkins() -> MockServer {
    let server = MockServer::start().await;
    json(&server, "/api/json", recorded("root.json")).await;
    json(
        &server,
        "/job/team/job/infra/api/json",
        recorded("team-infra.json"),
    )
    .await;
    xml(&server, "/job/app/config.xml", recorded("multibranch.xml")).await;
    xml(
        &server,
        "/job/example-org/config.xml",
        recorded("orgfolder.xml"),
    )
    .await;
    xml(
        &server,
        "/job/example-org/job/web/config.xml",
        recorded("multibranch.xml"),
    )
    .await;
    xml(
        &server,
        "/job/nightly%20export/config.xml",
        recorded("freestyle.xml"),
    )
    .await;
    xml(&server, "/job/team/config.xml", recorded("folder.xml")).await;
    xml(
        &server,
        "/job/team/job/infra/config.xml",
        recorded("folder.xml"),
    )
    .await;
    xml(
        &server,
        "/job/team/job/infra/job/deploy/config.xml",
        recorded("freestyle.xml"),
    )
    .await;
    xml(
        &server,
        "/job/team/job/release/config.xml",
        recorded("pipeline.xml"),
    )
    .await;
    forbid_anonymous(&server).await;
    server
}

#[tokio::test]
async fn lists_jobs_through_folders() {
    let server = jenkins().await;
    let client = Client::new(opts(&server)).unwrap();
    let jobs = client.list_jobs().await.unwrap();
    let names: Vec<(&str, bool)> = jobs
        .iter()
        .map(|j| (j.full_name.as_str(), j.is_folder))
        .collect();
    assert_eq!(
        names,
        [
            ("app", true),
            ("example-org", true),
            ("example-org/web", true),
            ("nightly export", false),
            ("team", true),
            ("team/infra", true),
            ("team/infra/deploy", false),
            ("team/release", false),
        ]
    );
    // Root and team/infra only: the team folder came with the root's nested tree.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn pull_writes_jenkins_home_layout() {
    let server = jenkins().await;
    let client = Client::new(opts(&server)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let summary = pull(&client, dir.path(), |done, total, name| {
        seen.push((done, total, name.to_string()));
    })
    .await
    .unwrap();
    assert_eq!((summary.jobs, summary.folders), (3, 5));
    assert_eq!(seen.last().unwrap().0, 8);
    for (rel, want) in [
        ("jobs/app/config.xml", "WorkflowMultiBranchProject"),
        ("jobs/example-org/config.xml", "OrganizationFolder"),
        ("jobs/example-org/jobs/web/config.xml", "TrustEveryone"),
        ("jobs/nightly export/config.xml", "<project>"),
        ("jobs/team/config.xml", "folder.Folder"),
        (
            "jobs/team/jobs/infra/jobs/deploy/config.xml",
            "terraform apply",
        ),
        ("jobs/team/jobs/release/config.xml", "CpsFlowDefinition"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(rel)).unwrap();
        assert!(text.contains(want), "{rel}");
    }
}

/// One job deleted during the pull (404, Jetty's error page as Jenkins serves it) and one the
/// user may not read (403): both are listed, every other job and folder is saved.
#[tokio::test]
async fn pull_survives_jobs_it_cannot_read() {
    let server = jenkins().await;
    Mock::given(method("GET"))
        .and(path("/job/team/job/release/config.xml"))
        .respond_with(ResponseTemplate::new(404).set_body_string(recorded("not-found.html")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/job/nightly%20export/config.xml"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-you-are-authenticated-as", "ci")
                .set_body_string(recorded("forbidden.html")),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let client = Client::new(opts(&server)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    let summary = pull(&client, dir.path(), |done, _, _| seen = done)
        .await
        .unwrap();
    assert!(summary.partial());
    assert_eq!((summary.jobs, summary.folders), (1, 5));
    assert_eq!(seen, 8, "progress reaches the end");
    let failed: Vec<(&str, bool)> = summary
        .failed
        .iter()
        .map(|(j, e)| (j.as_str(), matches!(e, Error::NotFound { .. })))
        .collect();
    assert_eq!(failed, [("nightly export", false), ("team/release", true)]);
    assert!(matches!(summary.failed[0].1, Error::Forbidden { .. }));
    assert!(
        !dir.path()
            .join("jobs/team/jobs/release/config.xml")
            .exists()
    );
    assert!(!dir.path().join("jobs/nightly export/config.xml").exists());
    assert!(
        dir.path()
            .join("jobs/team/jobs/infra/jobs/deploy/config.xml")
            .is_file()
    );
}

#[tokio::test]
async fn auth_errors_are_clear() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("www-authenticate", "Basic realm=\"Jenkins\""),
        )
        .mount(&server)
        .await;
    let err = Client::new(opts(&server))
        .unwrap()
        .list_jobs()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("API token"), "{err}");

    // Without credentials the recorded Jenkins answers 403.
    let server = jenkins().await;
    let mut o = opts(&server);
    o.user = None;
    o.token = None;
    let err = Client::new(o).unwrap().list_jobs().await.unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err}");
    assert!(err.to_string().contains("ExtendedRead"), "{err}");
}

#[tokio::test]
async fn not_found_names_the_url() {
    let server = MockServer::start().await;
    let err = Client::new(opts(&server))
        .unwrap()
        .list_jobs()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("/api/json"), "{err}");
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff() {
    let server = jenkins().await;
    Mock::given(method("GET"))
        .and(path("/api/json"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("Jenkins is getting ready to work"),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    let jobs = Client::new(opts(&server))
        .unwrap()
        .list_jobs()
        .await
        .unwrap();
    assert_eq!(jobs.len(), 8);

    // Persistent 5xx: gives up after the retries, saying how often it tried.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let mut o = opts(&server);
    o.retries = 2;
    let err = Client::new(o).unwrap().list_jobs().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Status {
                status: 502,
                attempts: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn tls_failure_is_reported_as_such() {
    // An https:// URL to a plain-HTTP server: the TLS handshake fails.
    let server = MockServer::start().await;
    let url = server.uri().replace("http://", "https://");
    let mut o = ClientOptions::new(url).auth("admin", "x");
    o.retries = 0;
    let err = Client::new(o).unwrap().list_jobs().await.unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
}

#[tokio::test]
async fn non_xml_config_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/job/x/config.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(recorded("forbidden.html").replace("<html>", "login page")),
        )
        .mount(&server)
        .await;
    let job = pipeguard_jenkins::JobRef {
        full_name: "x".into(),
        class: String::new(),
        is_folder: false,
    };
    let err = Client::new(opts(&server))
        .unwrap()
        .fetch_config(&job)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Response { .. }), "{err}");
}

/// The package directory, read at run time (cargo sets it for tests): the compile-time value
/// goes stale when checkouts at different paths share one target directory.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        std::path::PathBuf::from,
    )
}
