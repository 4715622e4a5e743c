//! Policy end to end: config validation, rule settings, inline suppressions, baselines, risk
//! gates and the trusted config ref.

use std::fs;

use crate::common::{fixtures, json_report, pipeguard, rule_lines, sh};

fn copy_basic() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sh(
        dir.path(),
        &format!("cp -R {}/. .", fixtures().join("repos/basic").display()),
    );
    dir
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = copy_basic();
    fs::write(
        dir.path().join(".pipeguard.yml"),
        "fail_on: high\nrules:\n  docker/root-usr: off\n",
    )
    .unwrap();
    let out = pipeguard().arg("scan").arg(dir.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains(".pipeguard.yml:3:3: unknown rule `docker/root-usr`"),
        "{err}"
    );
    assert!(err.contains("did you mean `docker/root-user`"), "{err}");

    fs::write(
        dir.path().join(".pipeguard.yml"),
        "docker:\n  trusted_registry: [a]\n",
    )
    .unwrap();
    let out = pipeguard().arg("scan").arg(dir.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains(".pipeguard.yml:2:3: docker: unknown field `trusted_registry`"),
        "{err}"
    );

    fs::write(dir.path().join(".pipeguard.yml"), "fail_on: sometimes\n").unwrap();
    let out = pipeguard().arg("scan").arg(dir.path()).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains(".pipeguard.yml:1:10"), "{err}");
    assert!(err.contains("sometimes"), "{err}");
}

#[test]
fn config_disables_rules_and_overrides_severity() {
    let dir = copy_basic();
    fs::write(
        dir.path().join(".pipeguard.yml"),
        "rules:\n  docker/root-user: off\n  docker/unpinned-base: critical\nfail_on: critical\n",
    )
    .unwrap();
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    let rules: Vec<String> = rule_lines(&report).into_iter().map(|r| r.0).collect();
    assert_eq!(rules, ["docker/unpinned-base", "docker/base-not-digest"]);
    assert_eq!(report["findings"][0]["severity"], "critical");
    assert_eq!(report["summary"]["fail_on"], "critical");
}

#[test]
fn excludes_skip_paths() {
    let dir = copy_basic();
    fs::write(
        dir.path().join(".pipeguard.yml"),
        "exclude:\n  - services/\n",
    )
    .unwrap();
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert!(
        rule_lines(&report)
            .iter()
            .all(|(_, p, _)| !p.starts_with("services/"))
    );
}

#[test]
fn inline_suppression_on_the_line_or_above() {
    let dir = copy_basic();
    let df = dir.path().join("Dockerfile");
    let text = fs::read_to_string(&df).unwrap().replace(
        "USER root\n",
        "# pipeguard:ignore[docker/root-user] the entrypoint drops privileges\nUSER root\n",
    );
    // Dockerfiles only allow comments on their own line: the directive goes on the line above.
    fs::write(
        &df,
        text.replace(
            "FROM node\n",
            "# pipeguard:ignore[docker/*] pinned by the build system\nFROM node\n",
        ),
    )
    .unwrap();
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![(
            "docker/base-not-digest".into(),
            "services/api/Dockerfile".into(),
            2
        )]
    );
    assert_eq!(report["summary"]["suppressed_inline"], 2);
    let reasons: Vec<&str> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suppression"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "pinned by the build system",
            "the entrypoint drops privileges"
        ]
    );
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = copy_basic();
    let baseline = dir.path().join(".pipeguard/baseline.json");
    pipeguard()
        .args(["baseline", "--write"])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .code(0);
    let b: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(b["findings"].as_array().unwrap().len(), 3);

    // Unrelated edits move the old findings; a new finding appears.
    let df = dir.path().join("Dockerfile");
    let text = fs::read_to_string(&df).unwrap();
    fs::write(&df, format!("# a comment\n\n{text}")).unwrap();
    fs::write(
        dir.path().join("web.Dockerfile"),
        "FROM nginx:latest\nUSER 101\nHEALTHCHECK NONE\n",
    )
    .unwrap();

    let out = pipeguard()
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "medium",
            "--baseline",
        ])
        .arg(&baseline)
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&report),
        vec![("docker/unpinned-base".into(), "web.Dockerfile".into(), 1)]
    );
    assert_eq!(report["summary"]["suppressed_baseline"], 3);

    pipeguard()
        .args(["scan", "--baseline", "/nonexistent/baseline.json"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read baseline"));
}

#[test]
fn risk_gates() {
    let dir = copy_basic();
    fs::write(
        dir.path().join(".pipeguard.yml"),
        "fail_on: never\nrisk:\n  gates:\n    dev: 70\n    prod: 20\n",
    )
    .unwrap();
    pipeguard()
        .args(["scan", "--risk-gate", "dev"])
        .arg(dir.path())
        .assert()
        .code(0);
    let out = pipeguard()
        .args(["scan", "--format", "json", "--risk-gate", "prod"])
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(report["summary"]["max_risk"], 20);
    assert_eq!(
        report["summary"]["reasons"][0],
        "risk score 29 is above the maximum 20"
    );
    pipeguard()
        .args(["scan", "--max-risk", "30"])
        .arg(dir.path())
        .assert()
        .code(0);
    pipeguard()
        .args(["scan", "--risk-gate", "staging"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown risk gate `staging` (config `risk.gates` defines: dev, prod)",
        ));
}

#[test]
fn trusted_config_ref_ignores_the_working_tree_config() {
    let dir = copy_basic();
    let p = dir.path();
    fs::write(
        p.join(".pipeguard.yml"),
        "rules:\n  docker/root-user: critical\n",
    )
    .unwrap();
    sh(
        p,
        "git init -q -b main . && git add -A && git commit -qm base",
    );
    // The "pull request" switches the rule off in the working tree.
    fs::write(
        p.join(".pipeguard.yml"),
        "rules:\n  docker/root-user: off\n",
    )
    .unwrap();

    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(p)
        .assert()
        .code(0);
    let untrusted = json_report(&out.get_output().stdout);
    assert!(
        rule_lines(&untrusted)
            .iter()
            .all(|(r, _, _)| r != "docker/root-user")
    );

    let out = pipeguard()
        .args(["scan", "--format", "json", "--trusted-config-ref", "main"])
        .arg(p)
        .assert()
        .code(1);
    let trusted = json_report(&out.get_output().stdout);
    let root_user: Vec<_> = trusted["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "docker/root-user")
        .collect();
    assert_eq!(root_user.len(), 1);
    assert_eq!(root_user[0]["severity"], "critical");

    pipeguard()
        .args(["scan", "--trusted-config-ref", "no-such-branch"])
        .arg(p)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown git ref `no-such-branch`",
        ));
}
