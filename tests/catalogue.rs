//! The catalogue is complete: every rule has docs, an implementation and fixtures; every
//! implemented rule is in the catalogue; RULES.md's required ids exist.

use std::collections::BTreeSet;

use pipeguard_engine::rules::{Registry, catalogue_files};

use crate::common::{fixtures, pipeguard};

/// Rules tested through examples in their catalogue entry (secret patterns) instead of fixture
/// directories: the entry must carry `examples` with positives and negatives.
fn has_yaml_examples(id: &str) -> bool {
    // Parsed once: the secret catalogue alone has hundreds of rules.
    static PARSED: std::sync::OnceLock<Vec<serde_yaml::Value>> = std::sync::OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        catalogue_files()
            .iter()
            .filter_map(|(_, text)| serde_yaml::from_str::<serde_yaml::Value>(text).ok())
            .collect()
    });
    parsed.iter().any(|v| {
        let entries: Vec<&serde_yaml::Value> = match v.get("rules").and_then(|r| r.as_sequence()) {
            Some(seq) => seq.iter().collect(),
            None => vec![v],
        };
        entries.iter().any(|e| {
            e.get("id").and_then(|i| i.as_str()) == Some(id)
                && e.get("examples").is_some_and(|x| {
                    x.get("positive")
                        .and_then(|p| p.as_sequence())
                        .is_some_and(|s| !s.is_empty())
                        && x.get("negative")
                            .and_then(|p| p.as_sequence())
                            .is_some_and(|s| !s.is_empty())
                })
        })
    })
}

/// Rules whose cases are repositories with history, tested end to end in these files.
const TESTED_ELSEWHERE: [(&str, &str); 7] = [
    ("github/mutable-ref-in-chain", "online.rs"),
    ("policy/suppression-added", "trusted.rs"),
    // Online rules: recorded API answers served on loopback.
    ("github/impostor-commit", "online.rs"),
    ("github/ref-confusion", "online.rs"),
    ("github/known-vulnerable-action", "online.rs"),
    ("github/archived-action", "online.rs"),
    ("github/stale-pin", "online.rs"),
];

#[test]
fn every_rule_has_docs_implementation_and_fixtures() {
    let reg = Registry::builtin().expect("catalogue loads");
    let implemented: BTreeSet<&str> = pipeguard_engine::engine::implemented_rule_ids()
        .into_iter()
        .collect();
    let mut errors = Vec::new();
    for r in reg.iter() {
        for (field, v) in [
            ("title", &r.title),
            ("what", &r.what),
            ("why", &r.why),
            ("example", &r.example),
            ("fix", &r.fix),
        ] {
            if v.trim().is_empty() {
                errors.push(format!("{}: empty `{field}` in {}", r.id, r.source));
            }
        }
        if !implemented.contains(r.id.as_str()) {
            errors.push(format!(
                "{}: in the catalogue but no analyzer reports it",
                r.id
            ));
        }
        let (fam, name) = r.id.split_once('/').expect("family/name");
        let dir = fixtures().join("rules").join(fam).join(name);
        let has_dirs = dir.join("pos").is_dir() && dir.join("neg").is_dir();
        // A rule that needs a git history (a trusted ref) has its positive and negative cases
        // in an end-to-end test module instead of fixture folders.
        let elsewhere = TESTED_ELSEWHERE.iter().any(|(id, file)| {
            *id == r.id
                && std::fs::read_to_string(fixtures().join("..").join(file))
                    .is_ok_and(|t| t.contains(id))
        });
        // registry/* judge images in a live registry: tests/registry.rs has their positives
        // (failing, unattested, tampered) and negatives (a passing image is not reported).
        let live_tested = fam == "registry";
        if !has_dirs && !elsewhere && !has_yaml_examples(&r.id) && !live_tested {
            errors.push(format!("{}: no fixtures (tests/fixtures/rules/{fam}/{name}/{{pos,neg}}) and no YAML examples", r.id));
        }
    }
    for id in &implemented {
        if !reg.contains(id) {
            errors.push(format!(
                "{id}: reported by an analyzer but missing from rules/"
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "catalogue problems:\n{}",
        errors.join("\n")
    );
}

#[test]
fn rules_command_lists_the_catalogue() {
    let out = pipeguard()
        .args(["rules", "--format", "json"])
        .assert()
        .success();
    let rules: Vec<serde_json::Value> =
        serde_json::from_slice(&out.get_output().stdout).expect("json");
    let reg = Registry::builtin().unwrap();
    assert_eq!(rules.len(), reg.len());
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "docker/root-user" && r["severity"] == "high")
    );

    let out = pipeguard()
        .args(["rules", "--family", "docker"])
        .assert()
        .success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(table.lines().next().unwrap().starts_with("ID"));
    assert!(table.contains("docker/root-user"));
    assert!(!table.contains("github/"));
}

#[test]
fn explain_prints_docs_and_rejects_unknown_rules() {
    let out = pipeguard()
        .args(["explain", "docker/root-user"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for heading in [
        "What it finds",
        "Why it matters",
        "Example",
        "How to fix it",
    ] {
        assert!(text.contains(heading), "{heading} missing:\n{text}");
    }
    let out = pipeguard()
        .args(["explain", "docker/root-usr"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("did you mean `docker/root-user`"), "{err}");
}
