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

/// A repository with a broken workflow (not YAML), a dangling symlink named like a workflow,
/// and one Dockerfile with a high finding.
fn unanalysable() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(wf.join("broken.yml"), "on: [push\njobs: {\n").unwrap();
    std::os::unix::fs::symlink("gone.yml", wf.join("dangling.yml")).unwrap();
    dir
}

#[test]
fn dangling_symlink_and_parse_error_are_notes_and_findings_not_exit_2() {
    let dir = unanalysable();
    let out = pipeguard()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(0);
    let rep = json_report(&out.get_output().stdout);
    assert_eq!(
        rule_lines(&rep),
        vec![
            (
                "github/parse-error".to_string(),
                ".github/workflows/broken.yml".to_string(),
                2
            ),
            (
                "github/parse-error".to_string(),
                ".github/workflows/dangling.yml".to_string(),
                1
            ),
        ]
    );
    for f in rep["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "low");
    }
    assert_eq!(
        rep["findings"][1]["message"],
        "could not be read: symlink not followed: it is dangling or loops (No such file or directory (os error 2)); not analysed"
    );
    let diags: Vec<(String, String)> = rep["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["level"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        diags,
        vec![
            (
                "note".to_string(),
                ".github/workflows/broken.yml".to_string()
            ),
            (
                "note".to_string(),
                ".github/workflows/dangling.yml".to_string()
            ),
        ]
    );
    assert_eq!(rep["files"]["failed"], 0);
    // `--fail-on low` weighs them like any finding: exit 1, not 2.
    pipeguard()
        .args(["scan", "--fail-on", "low"])
        .arg(dir.path())
        .assert()
        .code(1);
    // The severity is configurable.
    std::fs::write(
        dir.path().join(".pipeguard.yml"),
        "rules:\n  github/parse-error: high\n",
    )
    .unwrap();
    pipeguard().arg("scan").arg(dir.path()).assert().code(1);
}

#[test]
fn strict_makes_any_file_not_analysed_exit_2() {
    let dir = unanalysable();
    let out = pipeguard()
        .args(["scan", "--strict", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(2);
    let rep = json_report(&out.get_output().stdout);
    assert_eq!(rep["files"]["failed"], 1);
    assert_eq!(rep["diagnostics"][0]["level"], "error");
    assert_eq!(
        rep["diagnostics"][0]["path"],
        ".github/workflows/dangling.yml"
    );
    // Only the dangling symlink: exit 2 with --strict, 0 without.
    let only_link = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("nowhere", only_link.path().join("Dockerfile")).unwrap();
    pipeguard()
        .arg("scan")
        .arg(only_link.path())
        .assert()
        .code(0);
    pipeguard()
        .args(["scan", "--strict"])
        .arg(only_link.path())
        .assert()
        .code(2);
}

/// (classname::name, outcome) of every JUnit test case: `failure`, `skipped`, `error` or `pass`.
fn junit_cases(xml: &str) -> Vec<(String, &'static str)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<(String, &'static str)> = Vec::new();
    let mut suites = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |k: &str| {
                    e.try_get_attribute(k)
                        .unwrap()
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap_or_default()
                };
                let name = e.name();
                let tag: &str = name.as_ref();
                match tag {
                    "testsuite" => suites.push(attr("name")),
                    "testcase" => {
                        cases.push((format!("{}::{}", attr("classname"), attr("name")), "pass"));
                    }
                    "failure" => cases.last_mut().unwrap().1 = "failure",
                    "skipped" => cases.last_mut().unwrap().1 = "skipped",
                    "error" => cases.last_mut().unwrap().1 = "error",
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(suites, vec!["pipeguard.docker", "pipeguard.scan"]);
    cases
}

#[test]
fn junit_fails_only_at_the_threshold_with_stable_names() {
    let r = repo(None);
    let junit = |fail_on: &str, code: i32| {
        let out = pipeguard()
            .current_dir(r.path())
            .args([
                "scan",
                "--only",
                "docker",
                "--format",
                "junit",
                "--fail-on",
                fail_on,
            ])
            .assert()
            .code(code);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    // docker/root-user is high, docker/base-not-digest low, docker/no-healthcheck info.
    let critical = junit("critical", 0);
    assert_eq!(
        junit_cases(&critical),
        vec![
            (
                "services/api/Dockerfile::docker/base-not-digest".to_string(),
                "skipped"
            ),
            (
                "services/api/Dockerfile::docker/no-healthcheck".to_string(),
                "skipped"
            ),
            (
                "services/api/Dockerfile::docker/root-user".to_string(),
                "skipped"
            ),
            ("pipeguard::scan".to_string(), "pass"),
        ]
    );
    assert!(critical.contains("<skipped message=\"high, below the fail threshold `critical`: "));
    assert!(critical.contains("<property name=\"risk_score\" value=\""));
    let high = junit("high", 1);
    assert_eq!(
        junit_cases(&high),
        vec![
            (
                "services/api/Dockerfile::docker/base-not-digest".to_string(),
                "skipped"
            ),
            (
                "services/api/Dockerfile::docker/no-healthcheck".to_string(),
                "skipped"
            ),
            (
                "services/api/Dockerfile::docker/root-user".to_string(),
                "failure"
            ),
            ("pipeguard::scan".to_string(), "pass"),
        ]
    );
    assert!(high.contains("failures=\"1\""));
    // No score or verdict in any suite or case name.
    for xml in [&critical, &high] {
        assert!(!xml.contains("name=\"scan completed"), "{xml}");
        assert!(
            !xml.contains("name=\"pipeguard.scan (") && !xml.contains("/100\""),
            "{xml}"
        );
    }
    // A verdict failed by the risk threshold alone fails the `scan` case.
    let out = pipeguard()
        .current_dir(r.path())
        .args([
            "scan",
            "--only",
            "docker",
            "--format",
            "junit",
            "--fail-on",
            "never",
            "--max-risk",
            "0",
        ])
        .assert()
        .code(1);
    let risk = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(
        junit_cases(&risk).last().unwrap(),
        &("pipeguard::scan".to_string(), "failure")
    );
}

/// GitHub code scanning's documented SARIF requirements, checked on one run: every rule has an
/// absolute `helpUri` and at most 20 tags, info rules no `security-severity` and the others one
/// in (0, 10], every URI is relative to %SRCROOT%, every related location is linked from its
/// message, at most 25,000 results, `automationDetails.id` is `pipeguard/<command>/`.
fn check_github_sarif(doc: &serde_json::Value, command: &str) {
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        run["automationDetails"]["id"],
        format!("pipeguard/{command}/")
    );
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap();
        let help = rule["helpUri"].as_str().unwrap_or_default();
        assert!(help.starts_with("https://"), "{id}: helpUri {help:?}");
        let props = &rule["properties"];
        assert!(props["tags"].as_array().unwrap().len() <= 20, "{id}");
        assert!(
            ["very-high", "high", "medium", "low"].contains(&props["precision"].as_str().unwrap()),
            "{id}"
        );
        let basis = &props["pipeguard/precision"]["basis"];
        assert!(basis == "measured" || basis == "declared", "{id}: {basis}");
        if props["severity"] == "info" {
            assert!(
                props.get("security-severity").is_none(),
                "{id}: info with security-severity"
            );
        } else {
            let ss: f64 = props["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(ss > 0.0 && ss <= 10.0, "{id}: {ss}");
        }
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() <= 25_000);
    for r in results {
        let locs = std::iter::once(&r["locations"][0])
            .chain(r["relatedLocations"].as_array().into_iter().flatten());
        for l in locs {
            let a = &l["physicalLocation"]["artifactLocation"];
            let uri = a["uri"].as_str().unwrap();
            assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
            assert_eq!(a["uriBaseId"], "%SRCROOT%");
        }
        let text = r["message"]["text"].as_str().unwrap();
        for rel in r["relatedLocations"].as_array().into_iter().flatten() {
            let link = format!("]({})", rel["id"]);
            assert!(
                text.contains(&link),
                "related {} not linked: {text}",
                rel["id"]
            );
        }
    }
}

fn validate_sarif_schema(path: &Path) {
    let schema = crate::common::repo_root().join("tests/schemas/sarif-2.1.0.json");
    let script = "import json,sys,jsonschema\n\
        schema=json.load(open(sys.argv[1])); doc=json.load(open(sys.argv[2]))\n\
        jsonschema.validate(doc, schema, cls=jsonschema.Draft4Validator)\n\
        print('valid')";
    let out = std::process::Command::new(crate::common::python())
        .args(["-c", script])
        .arg(&schema)
        .arg(path)
        .output()
        .expect("python runs (scripts/test installs jsonschema)");
    assert!(
        out.status.success(),
        "SARIF does not validate (or jsonschema is missing: run scripts/test):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sarif_validates_and_meets_githubs_requirements() {
    let r = repo(None);
    let d = r.path();
    std::fs::write(
        d.join("Dockerfile"),
        "FROM ubuntu:22.04\n# pipeguard:ignore[docker/root-user] the entrypoint drops privileges\nUSER root\n",
    )
    .unwrap();
    pipeguard()
        .current_dir(d)
        .args([
            "baseline",
            "--write",
            "b.json",
            "--only",
            "docker",
            "services/api/Dockerfile",
        ])
        .assert()
        .code(0);
    pipeguard()
        .current_dir(d)
        .args([
            "scan",
            "--baseline",
            "b.json",
            "--format",
            "sarif",
            "--output",
            "out.sarif",
        ])
        .assert()
        .code(1);
    validate_sarif_schema(&d.join("out.sarif"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out.sarif")).unwrap()).unwrap();
    check_github_sarif(&doc, "scan");
    let run = &doc["runs"][0];
    let rule = |id: &str| {
        run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        rule("docker/root-user")["helpUri"],
        "https://github.com/pipeguard/pipeguard/blob/main/crates/engine/rules/docker/root-user.yaml"
    );
    assert!(
        rule("docker/no-healthcheck")["properties"]
            .get("security-severity")
            .is_none()
    );
    assert_eq!(
        rule("docker/root-user")["properties"]["security-severity"],
        "8.0"
    );
    // Suppressed findings are results with suppressions: inline in source, baseline external.
    let suppressed: Vec<(String, String, String)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["suppressions"][0]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        vec![
            (
                "docker/root-user".into(),
                "Dockerfile".into(),
                "inSource".into()
            ),
            (
                "docker/no-healthcheck".into(),
                "services/api/Dockerfile".into(),
                "external".into()
            ),
            (
                "docker/base-not-digest".into(),
                "services/api/Dockerfile".into(),
                "external".into()
            ),
            (
                "docker/root-user".into(),
                "services/api/Dockerfile".into(),
                "external".into()
            ),
        ]
    );
    // The checkout finding links its related locations from the message.
    let checkout = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "github/untrusted-checkout")
        .unwrap();
    let text = checkout["message"]["text"].as_str().unwrap();
    assert!(text.contains("](1)") && text.contains("](2)"), "{text}");

    // drift's SARIF is its own category.
    pipeguard()
        .current_dir(d)
        .args(["fingerprint", "--write", ".pipeguard/jobs.lock"])
        .assert()
        .code(0);
    let out = pipeguard()
        .current_dir(d)
        .args(["drift", "--format", "sarif"])
        .assert()
        .code(0);
    let drift: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    check_github_sarif(&drift, "drift");
}

/// `n` Dockerfiles (`svcNNN/Dockerfile`: docker/root-user high, base-not-digest low,
/// no-healthcheck info each) and an AWS key id in `zz/app.env` (critical), sorted last by path.
fn many_findings(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let d = dir.path().join(format!("svc{i:03}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("Dockerfile"), DOCKERFILE).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("zz")).unwrap();
    std::fs::write(
        dir.path().join("zz/app.env"),
        "AWS_ACCESS_KEY_ID=AKIAQYLPMN5HHHFPZAM2\n",
    )
    .unwrap();
    dir
}

#[test]
fn github_annotations_worst_first_with_the_cap_named() {
    let dir = many_findings(12);
    let summary = dir.path().join("summary.md");
    let out = pipeguard()
        .args(["scan", "--format", "github", "--only", "docker,secrets"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .arg(dir.path())
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let titles: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| {
            l.split("title=")
                .nth(1)
                .unwrap()
                .split("::")
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(titles.len(), 37);
    // The critical in the last path comes first, then the twelve highs, the lows, the infos.
    assert_eq!(titles[0], "secrets/aws-access-key-id (critical)");
    assert!(
        titles[1..13]
            .iter()
            .all(|t| *t == "docker/root-user (high)"),
        "{titles:?}"
    );
    assert!(
        titles[13..25]
            .iter()
            .all(|t| *t == "docker/base-not-digest (low)"),
        "{titles:?}"
    );
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("::error file=zz/app.env,line=1,")
    );
    let note = "GitHub shows 10 annotations of each type per step: showing 10 of 13 errors, 10 of 24 notices (the worst first); full list in the SARIF / step summary";
    assert!(stdout.contains(&format!("\n{note}\n")), "{stdout}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("- GitHub shows 10 annotations of each type per step: showing 10 of 13 errors, 10 of 24 notices"), "{md}");
    // The per-rule tally, worst rule first.
    assert!(
        md.contains(
            "| rule | severity | findings |\n|---|---|---:|\n| `secrets/aws-access-key-id` | critical | 1 |\n| `docker/root-user` | high | 12 |\n| `docker/base-not-digest` | low | 12 |\n| `docker/no-healthcheck` | info | 12 |\n"
        ),
        "{md}"
    );
}

#[test]
fn step_summary_is_capped_well_below_one_mib() {
    let dir = many_findings(400);
    let summary = dir.path().join("summary.md");
    pipeguard()
        .args(["scan", "--format", "github", "--only", "docker,secrets"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .arg(dir.path())
        .assert()
        .code(1);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.len() < 256 * 1024, "{} bytes", md.len());
    assert_eq!(
        md.matches("| high | `docker/root-user` | `svc").count(),
        400
    );
    assert!(
        md.contains("_Showing the 500 worst of 1201 findings (the summary is kept well below GitHub's 1 MiB limit); the SARIF and JSON reports have them all._"),
        "{}",
        &md[md.len() - 600..]
    );
    // The worst first: the critical is the first row.
    let first_row = md
        .lines()
        .find(|l| l.starts_with("| critical | `"))
        .unwrap();
    assert!(
        first_row.contains("secrets/aws-access-key-id"),
        "{first_row}"
    );
}

#[test]
fn text_groups_by_severity_with_a_tally_quiet_and_min_severity() {
    let dir = many_findings(2);
    let run = |args: &[&str]| {
        let out = pipeguard()
            .args(["scan", "--only", "docker,secrets"])
            .args(args)
            .arg(dir.path())
            .assert()
            .code(1);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let text = run(&[]);
    let heads: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("]: ") && !l.starts_with(' '))
        .map(|l| l.split(']').next().unwrap())
        .collect();
    assert_eq!(
        heads,
        vec![
            "critical[secrets/aws-access-key-id",
            "high[docker/root-user",
            "high[docker/root-user",
            "low[docker/base-not-digest",
            "low[docker/base-not-digest",
            "info[docker/no-healthcheck",
            "info[docker/no-healthcheck",
        ]
    );
    let summary = "7 findings (1 critical, 2 high, 2 low, 2 info) in 3 files; risk score";
    assert!(
        text.contains(
            "Findings per rule:\n      1  critical  secrets/aws-access-key-id\n      2  high      docker/root-user\n      2  low       docker/base-not-digest\n      2  info      docker/no-healthcheck\n\n7 findings"
        ),
        "{text}"
    );
    // --quiet: the summary line only.
    let quiet = run(&["--quiet"]);
    assert_eq!(quiet.lines().count(), 1, "{quiet}");
    assert!(quiet.starts_with(summary), "{quiet}");
    // --min-severity hides findings, not their weight: same exit code, same summary.
    let high = run(&["--min-severity", "high"]);
    assert!(!high.contains("low[docker/base-not-digest]"), "{high}");
    assert!(high.contains("high[docker/root-user]"), "{high}");
    assert!(high.contains(
        "4 findings below --min-severity not shown (they still count for the verdict).\n"
    ));
    assert!(high.contains(summary));
}

#[test]
fn credentials_block_only_when_asked_or_in_json() {
    let r = repo(None);
    let wf = r.path().join(".github/workflows/deploy.yml");
    std::fs::write(
        &wf,
        "on: push\npermissions: {}\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy\n        env:\n          TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n",
    )
    .unwrap();
    let text = |args: &[&str]| {
        let out = pipeguard()
            .current_dir(r.path())
            .args(["scan", "--only", "github", "--fail-on", "never"])
            .args(args)
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let plain = text(&[]);
    assert!(!plain.contains("Credentials reachable from CI:"), "{plain}");
    assert!(
        plain.contains("1 credential reachable from CI; --show-credentials lists them (the JSON report always has them).\n"),
        "{plain}"
    );
    let shown = text(&["--show-credentials"]);
    assert!(
        shown.contains("Credentials reachable from CI:\n  DEPLOY_TOKEN (github)\n    .github/workflows/deploy.yml:"),
        "{shown}"
    );
    let json = scan_json(r.path(), &["--only", "github", "--fail-on", "never"], 0);
    assert_eq!(json["credentials"][0]["name"], "DEPLOY_TOKEN");
}

#[test]
fn completions_man_help_examples_and_did_you_mean() {
    let out = pipeguard().args(["completions", "bash"]).assert().code(0);
    let bash = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(bash.starts_with("_pipeguard() {"), "{}", &bash[..80]);
    assert!(bash.contains("--min-severity"));
    let out = pipeguard().args(["completions", "zsh"]).assert().code(0);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).starts_with("#compdef pipeguard"));
    let out = pipeguard().arg("man").assert().code(0);
    let man = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(man.contains(".TH pipeguard 1"), "{man}");
    assert!(man.contains("Build\\-integrity and pipeline\\-hardening scanner for CI"));
    for cmd in [
        "scan",
        "rules",
        "explain",
        "baseline",
        "keygen",
        "attest",
        "verify",
        "fingerprint",
        "drift",
        "gate",
        "jenkins",
        "policy",
        "registry",
        "audit",
        "completions",
        "man",
    ] {
        let out = pipeguard().args([cmd, "--help"]).assert().code(0);
        let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(
            help.contains("Example"),
            "`{cmd} --help` has no example:\n{help}"
        );
    }
    let out = pipeguard()
        .args(["explain", "docker/root-usr"])
        .assert()
        .code(2);
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stderr),
        "error: unknown rule `docker/root-usr` (did you mean `docker/root-user`?); `pipeguard rules` lists them\n"
    );
    let out = pipeguard()
        .args(["rules", "--family", "dokcer"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("dokcer"), "{err}");
}

#[test]
fn risk_score_weighs_rules_not_repetitions() {
    // 20 Dockerfiles: docker/root-user (high) 20 times, base-not-digest (low) 20 times, one
    // critical secret. v1 (points per finding) gave 99; v2: 40 + 15×2 + min(1×2, 8) = 72
    // points → 69.
    let dir = many_findings(20);
    let rep = scan_json(dir.path(), &["--only", "docker,secrets"], 1);
    assert_eq!(rep["summary"]["risk_score"], 69);
    // Without the critical: 32 points → 41.
    std::fs::remove_dir_all(dir.path().join("zz")).unwrap();
    let rep = scan_json(dir.path(), &["--only", "docker,secrets"], 1);
    assert_eq!(rep["summary"]["risk_score"], 41);
}

#[test]
fn rule_ids_link_to_their_docs_on_a_terminal_only() {
    let r = repo(None);
    let run = |color: &str| {
        let out = pipeguard()
            .current_dir(r.path())
            .args(["scan", "--only", "docker", "--color", color])
            .assert()
            .code(1);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let link = "\x1b]8;;https://github.com/pipeguard/pipeguard/blob/main/crates/engine/rules/docker/root-user.yaml\x1b\\";
    assert!(run("always").contains(link));
    assert!(!run("never").contains("\x1b]8;;"));
}

/// A rule reported at several severities says how many at each in the tally: the worst-severity
/// column alone would count low findings as high.
#[test]
fn tally_splits_a_rule_reported_at_several_severities() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/rules/github/script-injection/pos");
    let out = pipeguard()
        .args(["scan", "--only", "github", "--color", "never"])
        .arg(&dir)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("     13  high      github/script-injection (9 high, 4 low)\n"),
        "{text}"
    );
}

/// GitHub keeps 25,000 results per run: over that, the worst are kept and a notification says
/// how many were left out (25,100 medium `ADD <url>` plus 3 high `curl | sh` at the end).
#[test]
fn sarif_keeps_the_worst_25000_results_and_names_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("FROM alpine:3.20\n");
    for i in 0..25_100 {
        text.push_str(&format!("ADD http://example.com/f{i} /f{i}\n"));
    }
    for i in 0..3 {
        text.push_str(&format!("RUN curl -sL http://example.com/i{i}.sh | sh\n"));
    }
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let sarif = dir.path().join("out.sarif");
    pipeguard()
        .current_dir(dir.path())
        .args([
            "scan", ".", "--only", "docker", "--format", "sarif", "--output",
        ])
        .arg(&sarif)
        .assert()
        .code(1);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    // The three highs (the last lines of the file) are kept.
    let curl: Vec<u64> = results
        .iter()
        .filter(|r| r["ruleId"] == "docker/curl-pipe-shell")
        .map(|r| {
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(curl, vec![25_102, 25_103, 25_104]);
    let notes: Vec<&str> = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"]["text"].as_str())
        .collect();
    let total = 25_100 + 3 + 3; // ADDs, curl|sh, and the file-level findings
    assert!(
        notes.iter().any(|n| n.starts_with(&format!(
            "{} of {total} results left out: GitHub code scanning accepts at most 25000 results per run",
            total - 25_000
        ))),
        "{notes:?}"
    );
}

/// A rule's SARIF `precision` is its measured false-positive rate on the real-file corpus
/// (rules/precision.tsv, from bench/precision/judgements.tsv) when it has judged findings, else
/// the confidence it declares; the rule's properties say which, with the counts.
#[test]
fn sarif_precision_comes_from_the_measured_false_positive_rate() {
    let r = repo(None);
    let d = r.path();
    std::fs::write(
        d.join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n",
    )
    .unwrap();
    let out = pipeguard()
        .current_dir(d)
        .args([
            "scan",
            "--only",
            "docker,compose",
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ])
        .assert()
        .code(0);
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .clone();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["properties"].clone();
    let table = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/engine/rules/precision.tsv"),
    )
    .unwrap();
    let measured = |id: &str| {
        table.lines().find_map(|l| {
            let mut p = l.split('\t');
            (p.next() == Some(id)).then(|| {
                let n: u64 = p.next().unwrap().parse().unwrap();
                let fp: u64 = p.next().unwrap().parse().unwrap();
                (n, fp)
            })
        })
    };
    // docker/root-user: judged on real Dockerfiles, none false.
    let (n, fp) = measured("docker/root-user").expect("docker/root-user is measured");
    let p = rule("docker/root-user");
    assert_eq!(p["pipeguard/precision"]["basis"], "measured");
    assert_eq!(p["pipeguard/precision"]["judged"], n);
    assert_eq!(p["pipeguard/precision"]["falsePositives"], fp);
    assert!(n >= 5 && fp == 0);
    assert_eq!(p["precision"], "very-high");
    // compose/privileged: the corpus has no compose file, so nothing was judged.
    assert!(measured("compose/privileged").is_none());
    let p = rule("compose/privileged");
    assert_eq!(p["pipeguard/precision"]["basis"], "declared");
    assert_eq!(p["precision"], "high");
}
