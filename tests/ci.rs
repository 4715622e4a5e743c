//! Correct inside the CI that runs it (issue 16): repository-relative paths, the config at the
//! repository root, several PATH arguments, exit codes, JUnit, SARIF for GitHub, annotations.

use std::path::Path;

use crate::common::{json_report, pipeguard, rule_lines, sh};

const DOCKERFILE: &str = "FROM ubuntu:22.04\nUSER root\n";
const WORKFLOW: &str = "on: pull_request_target\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - run: make\n";

/// A git repository: `services/api/Dockerfile` (docker/root-user, high, at line 2),
/// `.github/workflows/ci.yml`, and a `.pipeguard.yml` at the top with `config`.
fn repo(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("services/api")).unwrap();
    std::fs::create_dir_all(d.join(".github/workflows")).unwrap();
    std::fs::write(d.join("services/api/Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(d.join(".github/workflows/ci.yml"), WORKFLOW).unwrap();
    if let Some(c) = config {
        std::fs::write(d.join(".pipeguard.yml"), c).unwrap();
    }
    sh(d, "git init -q . && git add -A && git commit -qm init");
    dir
}

fn scan_json(dir: &Path, args: &[&str], code: i32) -> serde_json::Value {
    let out = pipeguard()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--only", "docker,github"])
        .args(args)
        .assert()
        .code(code);
    json_report(&out.get_output().stdout)
}

fn paths(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = rule_lines(report).into_iter().map(|(_, p, _)| p).collect();
    v.dedup();
    v
}

#[test]
fn subdirectory_scan_reports_repository_relative_paths_and_uses_the_root_config() {
    let r = repo(Some("fail_on: critical\n"));
    // From the top, a subdirectory: the root config's `fail_on: critical` decides (exit 0 for a
    // high finding) and the path is the repository's.
    let rep = scan_json(r.path(), &["services/api"], 0);
    assert_eq!(paths(&rep), vec!["services/api/Dockerfile"]);
    assert_eq!(rep["summary"]["fail_on"], "critical");
    // From inside the subdirectory, `.`: the same paths, the same config.
    let inner = scan_json(&r.path().join("services/api"), &["."], 0);
    assert_eq!(paths(&inner), vec!["services/api/Dockerfile"]);
    assert_eq!(inner["summary"]["fail_on"], "critical");
    assert_eq!(inner["findings"], rep["findings"]);
    // Without the root config the default `high` fails the same scan.
    let bare = repo(None);
    scan_json(bare.path(), &["services/api"], 1);
}

#[test]
fn single_file_scan_reports_the_repository_path_and_classifies_by_it() {
    let r = repo(Some("fail_on: critical\n"));
    let rep = scan_json(r.path(), &["services/api/Dockerfile"], 0);
    assert_eq!(paths(&rep), vec!["services/api/Dockerfile"]);
    // A workflow named alone is still a workflow (classified by its repository path).
    let wf = scan_json(&r.path().join(".github/workflows"), &["ci.yml"], 1);
    assert_eq!(paths(&wf), vec![".github/workflows/ci.yml"]);
    assert_eq!(wf["files"]["by_kind"]["github-workflow"], 1);
    assert!(
        rule_lines(&wf).contains(&(
            "github/untrusted-checkout".to_string(),
            ".github/workflows/ci.yml".to_string(),
            9
        )),
        "{:?}",
        rule_lines(&wf)
    );
}

#[test]
fn sarif_uris_are_repository_relative_with_srcroot() {
    let r = repo(None);
    let out = pipeguard()
        .current_dir(r.path().join("services"))
        .args([
            "scan",
            "--format",
            "sarif",
            "--only",
            "docker",
            "api/Dockerfile",
        ])
        .assert()
        .code(1);
    let sarif: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let run = &sarif["runs"][0];
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].is_string());
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uri"], "services/api/Dockerfile");
        assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    }
}

#[test]
fn outside_git_paths_are_relative_to_the_scan_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc")).unwrap();
    std::fs::write(dir.path().join("svc/Dockerfile"), DOCKERFILE).unwrap();
    let rep = scan_json(dir.path(), &["svc"], 1);
    assert_eq!(paths(&rep), vec!["Dockerfile"]);
}

#[test]
fn several_paths_in_one_scan_each_file_once() {
    let r = repo(None);
    std::fs::write(r.path().join("Dockerfile"), DOCKERFILE).unwrap();
    // A file, a directory, and a file inside that directory: three PATHs, two files.
    let rep = scan_json(
        r.path(),
        &[
            "Dockerfile",
            "services",
            "services/api/Dockerfile",
            ".github/workflows/ci.yml",
        ],
        1,
    );
    assert_eq!(
        paths(&rep),
        vec![
            ".github/workflows/ci.yml",
            "Dockerfile",
            "services/api/Dockerfile"
        ]
    );
    assert_eq!(rep["files"]["scanned"], 3);
    let root_user: Vec<_> = rule_lines(&rep)
        .into_iter()
        .filter(|(id, _, _)| id == "docker/root-user")
        .collect();
    assert_eq!(
        root_user,
        vec![
            ("docker/root-user".to_string(), "Dockerfile".to_string(), 2),
            (
                "docker/root-user".to_string(),
                "services/api/Dockerfile".to_string(),
                2
            ),
        ]
    );
    assert_eq!(
        rep["root"],
        "Dockerfile services services/api/Dockerfile .github/workflows/ci.yml"
    );
}
