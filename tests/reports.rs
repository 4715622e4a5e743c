//! Output formats: SARIF validated against the official schema, GitHub annotations and step
//! summary, JUnit well-formedness, Markdown.

use std::fs;

use crate::common::{pipeguard, python, repo_root};

/// A copy outside git: paths relative to the scan root (repository-relative paths inside a git
/// work tree are tested in tests/ci.rs).
fn basic() -> std::path::PathBuf {
    crate::common::fixture_repo_copy("basic")
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    pipeguard()
        .args(["scan", "--format", "sarif", "--output"])
        .arg(&sarif)
        .arg(basic())
        .assert()
        .code(1);
    // The OASIS SARIF 2.1.0 schema (a copy of ../shared/schemas/sarif-2.1.0.json).
    let schema = repo_root().join("tests/schemas/sarif-2.1.0.json");
    let script = "import json,sys,jsonschema\n\
        schema=json.load(open(sys.argv[1])); doc=json.load(open(sys.argv[2]))\n\
        jsonschema.validate(doc, schema, cls=jsonschema.Draft4Validator)\n\
        print('valid', len(doc['runs'][0]['results']))";
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .arg(&schema)
        .arg(&sarif)
        .output()
        .expect("python runs (scripts/test installs jsonschema)");
    assert!(
        out.status.success(),
        "SARIF does not validate (or jsonschema is missing: run scripts/test):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid 3");

    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert!(rules.iter().all(|r| {
        r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("How to fix it")
    }));
    let result = &run["results"][1];
    assert_eq!(result["ruleId"], "docker/root-user");
    assert_eq!(result["level"], "error");
    assert_eq!(result["properties"]["severity"], "high");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert_eq!(
        result["partialFingerprints"]["pipeguard/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "docker/root-user"
    );
}

#[test]
fn github_annotations_and_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "previous step\n").unwrap();
    let out = pipeguard()
        .args(["scan", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .arg(basic())
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    // The worst first (issue 16): the high finding, then the medium one.
    assert!(
        stdout
            .lines()
            .next()
            .unwrap()
            .starts_with("::error file=Dockerfile,line=5,")
    );
    let first = stdout.lines().nth(1).unwrap();
    assert!(
        first.starts_with("::warning file=Dockerfile,line=1,endLine=1,col=6,endColumn=10,title=docker/unpinned-base (medium)::base image `node` has no tag"),
        "{first}"
    );
    assert!(first.contains("%0A%0AFix: "), "{first}");
    assert!(stdout.contains("::error file=Dockerfile,line=5,"));
    assert!(stdout.contains("::notice file=services/api/Dockerfile,line=2,"));
    let md = fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("previous step\n## pipeguard: ❌ fail — risk score 29/100"),
        "{md}"
    );
    assert!(
        md.contains("| high | `docker/root-user` | `Dockerfile:5` |"),
        "{md}"
    );
}

#[test]
fn junit_is_well_formed_with_a_case_per_rule_and_file() {
    let out = pipeguard()
        .args(["scan", "--format", "junit"])
        .arg(basic())
        .assert()
        .code(1);
    let xml = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases = Vec::new();
    let mut failures = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let tag = e.name();
                let tag: &str = tag.as_ref();
                let attr = |k: &str| {
                    e.try_get_attribute(k)
                        .unwrap()
                        .unwrap()
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned()
                };
                if tag == "testcase" {
                    cases.push(format!("{}::{}", attr("classname"), attr("name")));
                }
                if tag == "failure" {
                    failures += 1;
                }
            }
            _ => {}
        }
    }
    // Only the high finding is at or above the default threshold (high); the medium and the
    // low one are skipped cases (issue 16).
    assert_eq!(failures, 1);
    assert_eq!(xml.matches("<skipped ").count(), 2);
    assert!(
        cases.contains(&"Dockerfile::docker/root-user".to_string()),
        "{cases:?}"
    );
    assert!(
        cases.contains(&"services/api/Dockerfile::docker/base-not-digest".to_string()),
        "{cases:?}"
    );
}

#[test]
fn markdown_report() {
    let out = pipeguard()
        .args(["scan", "--format", "markdown"])
        .arg(basic())
        .assert()
        .code(1);
    let md = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(md.contains("| 0 | 1 | 1 | 1 | 0 | 0 | 3 |"), "{md}");
    assert!(
        md.contains("- 1 finding at or above `high` (--fail-on high)"),
        "{md}"
    );
}
