//! `pipeguard scan` end to end: the built binary on fixture repositories.

use crate::common::{json_report, pipeguard, rule_lines};

/// A copy outside git: paths relative to the scan root (repository-relative paths inside a git
/// work tree are tested in tests/ci.rs).
fn basic() -> std::path::PathBuf {
    crate::common::fixture_repo_copy("basic")
}

#[test]
fn json_report_has_exact_findings_and_exit_code() {
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(basic())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![
            ("docker/unpinned-base".into(), "Dockerfile".into(), 1),
            ("docker/root-user".into(), "Dockerfile".into(), 5),
            (
                "docker/base-not-digest".into(),
                "services/api/Dockerfile".into(),
                2
            ),
        ]
    );
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["summary"]["verdict"], "fail");
    assert_eq!(report["summary"]["counts"]["high"], 1);
    assert_eq!(report["summary"]["risk_score"], 29);
    assert_eq!(report["files"]["scanned"], 3);
    let root_user = &report["findings"][1];
    assert_eq!(root_user["severity"], "high");
    assert_eq!(root_user["location"]["start_column"], 1);
    assert_eq!(root_user["location"]["end_column"], 10);
    assert_eq!(root_user["snippet"]["lines"][0], "USER root");
    assert!(
        root_user["remediation"]
            .as_str()
            .unwrap()
            .contains("unprivileged user")
    );
    assert_eq!(
        root_user["tags"],
        serde_json::json!(["CICD-SEC-7", "CWE-250"])
    );
    assert_eq!(root_user["fingerprint"].as_str().unwrap().len(), 32);
}

#[test]
fn output_is_deterministic() {
    let a = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(basic())
        .output()
        .unwrap();
    let b = pipeguard()
        .args(["scan", "--format", "sarif"])
        .arg(basic())
        .output()
        .unwrap();
    for _ in 0..3 {
        let a2 = pipeguard()
            .args(["scan", "--format", "json"])
            .arg(basic())
            .output()
            .unwrap();
        let b2 = pipeguard()
            .args(["scan", "--format", "sarif"])
            .arg(basic())
            .output()
            .unwrap();
        assert_eq!(a.stdout, a2.stdout);
        assert_eq!(b.stdout, b2.stdout);
    }
}

#[test]
fn text_report_snapshot() {
    let out = pipeguard()
        .args(["scan", "--color", "never"])
        .current_dir(basic())
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    insta::assert_snapshot!("text_report_basic", text);
}

#[test]
fn fail_on_controls_the_exit_code() {
    pipeguard()
        .args(["scan", "--fail-on", "never"])
        .arg(basic())
        .assert()
        .code(0);
    pipeguard()
        .args(["scan", "--fail-on", "critical"])
        .arg(basic())
        .assert()
        .code(0);
    pipeguard()
        .args(["scan", "--fail-on", "low"])
        .arg(basic())
        .assert()
        .code(1);
}

#[test]
fn only_and_skip_select_families() {
    let out = pipeguard()
        .args(["scan", "--format", "json", "--skip", "docker"])
        .arg(basic())
        .assert()
        .code(0);
    let report = json_report(&out.get_output().stdout);
    assert!(
        rule_lines(&report)
            .iter()
            .all(|(r, _, _)| !r.starts_with("docker/"))
    );
    pipeguard()
        .args(["scan", "--only", "docker", "--skip", "docker"])
        .arg(basic())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("leave no family"));
    pipeguard()
        .args(["scan", "--only", "dockr"])
        .arg(basic())
        .assert()
        .code(2);
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out/r.sarif");
    let json = dir.path().join("r.json");
    let junit = dir.path().join("r.xml");
    let md = dir.path().join("r.md");
    let main = dir.path().join("main.txt");
    pipeguard()
        .args(["scan", "--output"])
        .arg(&main)
        .arg("--sarif")
        .arg(&sarif)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--summary")
        .arg(&md)
        .arg(basic())
        .assert()
        .code(1)
        .stdout("");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["summary"]["total"], 3);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .contains("risk score 29/100")
    );
    assert!(
        std::fs::read_to_string(&main)
            .unwrap()
            .contains("docker/root-user")
    );
}

#[test]
fn missing_path_is_a_usage_error() {
    pipeguard()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no such file or directory"));
}

#[test]
fn single_file_scan() {
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(basic().join("Dockerfile"))
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![
            ("docker/unpinned-base".into(), "Dockerfile".into(), 1),
            ("docker/root-user".into(), "Dockerfile".into(), 5),
        ]
    );
}
