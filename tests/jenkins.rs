//! Jenkins end to end: credential records of a Jenkinsfile scan, and `pipeguard jenkins pull`
//! against a loopback server replaying recorded Jenkins responses, followed by a scan of what
//! it saved.

use std::path::Path;

use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{fixtures, pipeguard, repo_root, scan};

#[test]
fn credentials_reachable_from_jenkins_jobs() {
    let report = scan(&fixtures().join("rules/jenkins/credentials-on-pr/pos"));
    let find = |name: &str| {
        report
            .credentials
            .iter()
            .find(|c| c.system == "jenkins" && c.name == name)
            .unwrap_or_else(|| panic!("{name} missing: {:#?}", report.credentials))
    };
    let preview = find("preview-token");
    assert!(preview.untrusted);
    assert_eq!(preview.jobs[0].job, "Preview");
    assert_eq!(preview.jobs[0].location.start_line, 12);
    assert!(
        preview.jobs[0]
            .triggers
            .contains(&"change-request".to_string())
    );
    let ghprb = find("codecov-token");
    assert_eq!(ghprb.jobs[0].job, "pr-builder");
    assert!(ghprb.jobs[0].triggers.contains(&"GhprbTrigger".to_string()));

    // A credential bound only on the main branch is recorded but not reachable from PRs.
    let report = scan(&fixtures().join("rules/jenkins/credentials-on-pr/neg"));
    let reg = report
        .credentials
        .iter()
        .find(|c| c.name == "registry")
        .expect("registry credential recorded");
    assert!(!reg.untrusted);
    // The same token in a timer-triggered job (JJB fixture): recorded, not reachable from PRs.
    let nightly = report
        .credentials
        .iter()
        .find(|c| c.name == "codecov-token")
        .expect("codecov-token recorded");
    assert!(!nightly.untrusted);
    assert_eq!(nightly.jobs[0].job, "nightly-coverage");
}

pub(crate) fn recorded(name: &str) -> String {
    std::fs::read_to_string(
        repo_root()
            .join("jenkins-plugin-shim/tests/recorded")
            .join(name),
    )
    .unwrap()
}

pub(crate) async fn mount(server: &MockServer, at: &str, body: String, json: bool) {
    let auth = "Basic Y2k6c2VjcmV0LWFwaS10b2tlbg=="; // ci:secret-api-token
    let mut m = Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", auth));
    if json {
        m = m.and(query_param("tree", pipeguard_jenkins::TREE));
    }
    m.respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(server)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jenkins_pull_then_scan() {
    let server = MockServer::start().await;
    mount(&server, "/api/json", recorded("root.json"), true).await;
    mount(
        &server,
        "/job/team/job/infra/api/json",
        recorded("team-infra.json"),
        true,
    )
    .await;
    for (at, file) in [
        ("/job/app/config.xml", "multibranch.xml"),
        ("/job/example-org/config.xml", "orgfolder.xml"),
        ("/job/example-org/job/web/config.xml", "multibranch.xml"),
        ("/job/nightly%20export/config.xml", "freestyle.xml"),
        ("/job/team/config.xml", "folder.xml"),
        ("/job/team/job/infra/config.xml", "folder.xml"),
        ("/job/team/job/infra/job/deploy/config.xml", "freestyle.xml"),
        ("/job/team/job/release/config.xml", "pipeline.xml"),
    ] {
        mount(&server, at, recorded(file), false).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_path_buf();
    let url = server.uri();
    let run = tokio::task::spawn_blocking(move || {
        pipeguard()
            .args(["jenkins", "pull", "--url", &url, "--user", "ci"])
            .args(["--token-env", "PG_TEST_JENKINS_TOKEN", "--out"])
            .arg(&out)
            .env("PG_TEST_JENKINS_TOKEN", "secret-api-token")
            .assert()
            .success()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(err.contains("saved 3 job(s) and 5 folder(s)"), "{err}");
    assert!(!err.contains("secret-api-token"));
    let root = dir.path();
    assert!(root.join("jobs/team/jobs/release/config.xml").is_file());

    let report = scan(Path::new(root));
    let mut got: Vec<(String, String, u32)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                f.location.path.clone(),
                f.location.start_line,
            )
        })
        .collect();
    got.sort();
    let want = [
        ("jenkins/ci-deploys", "jobs/nightly export/config.xml", 16),
        (
            "jenkins/ci-deploys",
            "jobs/team/jobs/infra/jobs/deploy/config.xml",
            16,
        ),
        (
            "jenkins/script-injection",
            "jobs/team/jobs/release/config.xml",
            10,
        ),
        ("jenkins/untrusted-pr-trust", "jobs/app/config.xml", 45),
        (
            "jenkins/untrusted-pr-trust",
            "jobs/example-org/config.xml",
            25,
        ),
        (
            "jenkins/untrusted-pr-trust",
            "jobs/example-org/jobs/web/config.xml",
            45,
        ),
    ];
    let want: Vec<(String, String, u32)> = want
        .iter()
        .map(|(r, p, l)| ((*r).to_string(), (*p).to_string(), *l))
        .collect();
    assert_eq!(got, want);
}

/// A job deleted during the pull (404) does not abort it: exit 3, the job named on stderr,
/// every other job saved; `fingerprint --jenkins-url` names the missing job and still writes
/// the others to its lockfile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jenkins_pull_is_partial_when_a_job_cannot_be_read() {
    let server = MockServer::start().await;
    mount(&server, "/api/json", recorded("root.json"), true).await;
    mount(
        &server,
        "/job/team/job/infra/api/json",
        recorded("team-infra.json"),
        true,
    )
    .await;
    for (at, file) in [
        ("/job/app/config.xml", "multibranch.xml"),
        ("/job/example-org/config.xml", "orgfolder.xml"),
        ("/job/example-org/job/web/config.xml", "multibranch.xml"),
        ("/job/nightly%20export/config.xml", "freestyle.xml"),
        ("/job/team/config.xml", "folder.xml"),
        ("/job/team/job/infra/config.xml", "folder.xml"),
        ("/job/team/job/infra/job/deploy/config.xml", "freestyle.xml"),
    ] {
        mount(&server, at, recorded(file), false).await;
    }
    Mock::given(method("GET"))
        .and(path("/job/team/job/release/config.xml"))
        .respond_with(ResponseTemplate::new(404).set_body_string(recorded("not-found.html")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("home");
    let lock = dir.path().join("jobs.lock");
    let url = server.uri();
    let (pull, fp) = tokio::task::spawn_blocking({
        let (out, lock) = (out.clone(), lock.clone());
        move || {
            let pull = pipeguard()
                .args(["jenkins", "pull", "--url", &url, "--user", "ci"])
                .args(["--token-env", "PG_TEST_JENKINS_TOKEN", "--out"])
                .arg(&out)
                .env("PG_TEST_JENKINS_TOKEN", "secret-api-token")
                .assert()
                .code(3);
            let empty = tempfile::tempdir().unwrap();
            let fp = pipeguard()
                .arg("fingerprint")
                .arg(empty.path())
                .args(["--jenkins-url", &url, "--jenkins-user", "ci"])
                .args(["--jenkins-token-env", "PG_TEST_JENKINS_TOKEN", "--write"])
                .arg(&lock)
                .env("PG_TEST_JENKINS_TOKEN", "secret-api-token")
                .assert()
                .code(2);
            (pull, fp)
        }
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&pull.get_output().stderr).into_owned();
    assert!(err.contains("saved 2 job(s) and 5 folder(s)"), "{err}");
    assert!(err.contains("could not read 1 job(s)"), "{err}");
    assert!(
        err.contains("  team/release: not found (HTTP 404)"),
        "{err}"
    );
    assert!(
        out.join("jobs/team/jobs/infra/jobs/deploy/config.xml")
            .is_file()
    );
    assert!(!out.join("jobs/team/jobs/release/config.xml").exists());

    let err = String::from_utf8_lossy(&fp.get_output().stderr).into_owned();
    assert!(
        err.contains("error: jenkins:jobs/team/jobs/release/config.xml: job `team/release` could not be pulled: not found (HTTP 404)"),
        "{err}"
    );
    // Read into memory: no temporary JENKINS_HOME is written, walked or named.
    assert!(
        err.contains("read 2 job(s) and 5 folder(s) from http://127.0.0.1:"),
        "{err}"
    );
    assert!(
        !err.contains("saved") && !err.contains("pipeguard-jenkins-"),
        "{err}"
    );
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("jenkins:jobs/team/jobs/infra/jobs/deploy/config.xml"),
        "{text}"
    );
    assert!(!text.contains("team/release"), "{text}");
}

#[test]
fn jenkins_pull_reports_errors_with_exit_2() {
    // Token variable missing: a usage error before any request.
    let out = pipeguard()
        .args([
            "jenkins",
            "pull",
            "--url",
            "http://127.0.0.1:9",
            "--user",
            "u",
        ])
        .args(["--token-env", "PG_TEST_UNSET_TOKEN", "--out", "x"])
        .env_remove("PG_TEST_UNSET_TOKEN")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("PG_TEST_UNSET_TOKEN"), "{err}");

    // Nothing listens on port 9: a connection error after the retries.
    let out = pipeguard()
        .args([
            "jenkins",
            "pull",
            "--url",
            "http://127.0.0.1:9",
            "--retries",
            "0",
        ])
        .args(["--out", "x"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("cannot reach http://127.0.0.1:9/api/json"),
        "{err}"
    );
}

#[test]
fn groovy_parser_reads_the_shared_library_itself() {
    use pipeguard_groovy as groovy;
    for rel in [
        "jenkins-plugin-shim/vars/pipeguard.groovy",
        "jenkins-plugin-shim/test/PipeguardStepTest.groovy",
        "jenkins-plugin-shim/examples/Jenkinsfile",
        "jenkins-plugin-shim/examples/seed-job.groovy",
    ] {
        let text = std::fs::read_to_string(repo_root().join(rel)).unwrap();
        if let Err(e) = groovy::parse(&text) {
            panic!(
                "{rel}: {} at {:?}",
                e.message,
                &text[e.at..(e.at + 40).min(text.len())]
            );
        }
    }
    // The example pipeline is clean under its own scanner.
    let report = scan(&repo_root().join("jenkins-plugin-shim/examples"));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

/// A Jenkinsfile with a statement the parser cannot read is recovered: a low
/// `jenkins/parse-error` names what was skipped, the rest is analysed (the injection after the
/// bad statement is found), and the exit code is the policy's, not 2. A config.xml that is not
/// XML is still not analysed (exit 2).
#[test]
fn unparseable_statement_is_skipped_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("rules/jenkins/parse-error/pos/Jenkinsfile.recovered");
    std::fs::copy(&src, dir.path().join("Jenkinsfile")).unwrap();
    let out = pipeguard()
        .args([
            "scan",
            "--only",
            "jenkins",
            "--format",
            "json",
            "--fail-on",
            "critical",
        ])
        .arg(dir.path())
        .assert()
        .code(0);
    let report = crate::common::json_report(&out.get_output().stdout);
    let lines = crate::common::rule_lines(&report);
    assert!(
        lines.contains(&("jenkins/parse-error".into(), "Jenkinsfile".into(), 4)),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("jenkins/script-injection".into(), "Jenkinsfile".into(), 7)),
        "{lines:?}"
    );
    let pe = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "jenkins/parse-error")
        .unwrap();
    assert_eq!(pe["severity"], "low");

    let bad = fixtures().join("rules/jenkins/parse-error/pos/jobs/bad-xml");
    pipeguard()
        .args(["scan", "--only", "jenkins", "--fail-on", "critical"])
        .arg(&bad)
        .assert()
        .code(0);
    // A config.xml that is not XML is not analysed: exit 2 only with --strict (issue 16).
    pipeguard()
        .args([
            "scan",
            "--only",
            "jenkins",
            "--fail-on",
            "critical",
            "--strict",
        ])
        .arg(&bad)
        .assert()
        .code(2);
}

/// Every `jjb.yaml` of the Jenkins rule fixtures renders (Jenkins Job Builder's `jenkins-jobs
/// test --config-xml`, no server) to exactly the `jobs/*/config.xml` kept beside it. Skipped
/// when `jenkins-jobs` is not installed (Debian `jenkins-job-builder`, or `pip install
/// jenkins-job-builder`); regenerate a fixture with
/// `cd <fixture> && jenkins-jobs --ignore-cache test --config-xml -o jobs jjb.yaml`.
#[test]
fn jjb_fixtures_match_what_jenkins_job_builder_renders() {
    let have = std::process::Command::new("jenkins-jobs")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("jenkins-jobs not installed: JJB fixtures not re-rendered");
        return;
    }
    let root = fixtures().join("rules/jenkins");
    let mut yamls: Vec<std::path::PathBuf> = walkdir(&root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "jjb.yaml"))
        .collect();
    yamls.sort();
    assert!(yamls.len() >= 16, "JJB fixtures: {yamls:?}");
    for y in yamls {
        let dir = y.parent().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("jenkins-jobs")
            .args(["--ignore-cache", "test", "--config-xml", "-o"])
            .arg(tmp.path())
            .arg(&y)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            y.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rendered: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        rendered.sort();
        // Jobs JJB cannot render stay hand-written, each named with the reason in
        // handwritten.txt (`job: why`); every other job must be exactly the render.
        let handwritten: Vec<String> = std::fs::read_to_string(dir.join("handwritten.txt"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(':').map(|(j, _)| j.trim().to_string()))
            .collect();
        let mut kept: Vec<String> = std::fs::read_dir(dir.join("jobs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|j| !handwritten.contains(j))
            .collect();
        kept.sort();
        assert_eq!(rendered, kept, "{}: jobs rendered vs kept", y.display());
        for j in &handwritten {
            assert!(
                dir.join("jobs").join(j).join("config.xml").is_file(),
                "{}: handwritten job {j} is missing",
                y.display()
            );
        }
        for job in rendered {
            let a = std::fs::read_to_string(tmp.path().join(&job).join("config.xml")).unwrap();
            let b =
                std::fs::read_to_string(dir.join("jobs").join(&job).join("config.xml")).unwrap();
            assert_eq!(
                a,
                b,
                "{}: {job}/config.xml differs from the render",
                y.display()
            );
        }
    }
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
