//! Every rule's fixtures: `tests/fixtures/rules/<family>/<rule>/pos` must produce the rule,
//! `neg` must not; the exact findings (rule, line, column, message) of both are snapshots.

use std::fs;

use crate::common::{finding_lines, fixtures, scan_families};

#[test]
fn rule_fixtures_match() {
    let root = fixtures().join("rules");
    let mut dirs = Vec::new();
    for fam in fs::read_dir(&root).expect("fixtures/rules") {
        let fam = fam.expect("entry").path();
        // Drift fixtures are before/after pairs: tests/drift.rs runs them.
        if fam.file_name().is_some_and(|n| n == "drift") {
            continue;
        }
        for rule in fs::read_dir(&fam).expect("family dir") {
            let rule = rule.expect("entry").path();
            for kind in ["pos", "neg"] {
                dirs.push((
                    fam.file_name().unwrap().to_string_lossy().into_owned(),
                    rule.file_name().unwrap().to_string_lossy().into_owned(),
                    kind,
                    rule.join(kind),
                ));
            }
        }
    }
    dirs.sort();
    let mut errors = Vec::new();
    let mut snapshots = Vec::new();
    for (family, rule, kind, dir) in dirs {
        let id = format!("{family}/{rule}");
        if !dir.is_dir() {
            errors.push(format!("{id}: missing {kind}/ fixtures"));
            continue;
        }
        // Only the rule's family runs, so another family's findings on the same text (the secrets
        // engine sees every file) do not churn these snapshots.
        let fam: pipeguard_engine::finding::Family =
            serde_json::from_value(serde_json::Value::String(family.clone())).expect("family");
        let report = scan_families(&dir, &[fam]);
        let hits = report.findings.iter().filter(|f| f.rule_id == id).count();
        match kind {
            "pos" if hits == 0 => errors.push(format!(
                "{id}: pos/ fixtures produce no finding of the rule"
            )),
            "neg" if hits > 0 => errors.push(format!(
                "{id}: neg/ fixtures produce {hits} finding(s) of the rule:\n{}",
                finding_lines(&report)
            )),
            _ => {}
        }
        snapshots.push((format!("{family}__{rule}__{kind}"), finding_lines(&report)));
    }
    assert!(
        errors.is_empty(),
        "rule fixture failures:\n{}",
        errors.join("\n")
    );
    for (name, lines) in snapshots {
        insta::assert_snapshot!(name, lines);
    }
}
