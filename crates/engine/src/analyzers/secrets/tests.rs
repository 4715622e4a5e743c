//! Every built-in rule against its own examples, plus engine behaviour that the examples do not
//! show (overlaps, path policies, user rules, redaction of messages).

use super::*;
use crate::policy::config::SecretsPathMode;

fn findings(
    analyzer: &SecretsAnalyzer,
    config: &Config,
    path: &str,
    text: &str,
) -> Vec<RawFinding> {
    let file = SourceFile::new(path, FileKind::Other, text.to_string());
    let mut out = Output::default();
    analyzer.scan_file(&file, config, &mut out);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    out.findings
}

#[test]
fn every_rule_matches_its_positive_examples_and_none_of_its_negatives() {
    let rules = rules::builtin().expect("built-in rules load");
    let config = Config::default();
    let analyzer = SecretsAnalyzer::default();
    let mut errors = Vec::new();
    for r in rules {
        let id = r.id();
        if r.compiled().is_none() {
            errors.push(format!("{id}: regex does not compile"));
            continue;
        }
        if r.keywords.is_empty() {
            errors.push(format!(
                "{id}: no keywords (the prefilter would scan every byte)"
            ));
        }
        if r.spec.examples.positive.is_empty() || r.spec.examples.negative.is_empty() {
            errors.push(format!("{id}: needs positive and negative examples"));
        }
        for (i, p) in r.spec.examples.positive.iter().enumerate() {
            let got = findings(&analyzer, &config, "config/app.env", p);
            if !got.iter().any(|f| f.rule_id == id) {
                let others: Vec<&str> = got.iter().map(|f| f.rule_id.as_str()).collect();
                errors.push(format!(
                    "{id}: positive #{} not found (got {others:?}): {p}",
                    i + 1
                ));
            }
            for f in &got {
                let value_shown = p
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() >= 12 && w.bytes().any(|b| b.is_ascii_digit()))
                    .any(|w| f.message.contains(w));
                if value_shown {
                    errors.push(format!("{id}: message shows the secret: {}", f.message));
                }
            }
        }
        for (i, n) in r.spec.examples.negative.iter().enumerate() {
            let got = findings(&analyzer, &config, "config/app.env", n);
            if got.iter().any(|f| f.rule_id == id) {
                errors.push(format!("{id}: negative #{} reported: {n}", i + 1));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn rule_ids_are_unique_and_in_the_registry() {
    let ids = rules::builtin_ids();
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate secret rule ids");
    let reg = crate::rules::Registry::builtin().expect("registry");
    for id in ids {
        assert!(reg.contains(id), "{id} not in the registry");
    }
}

#[test]
fn placeholders_hashes_and_uuids_are_not_reported() {
    let config = Config::default();
    let analyzer = SecretsAnalyzer::default();
    let text = "\
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
api_key: <your-api-key>
password: ${DB_PASSWORD}
token: ${{ secrets.DEPLOY_TOKEN }}
set PASSWORD=%DB_PASSWORD%
secret = changeme
request_id = 123e4567-e89b-12d3-a456-426614174000
commit_sha = da39a3ee5e6b4b0d3255bfef95601890afd80709
checksum_token = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"
";
    let got = findings(&analyzer, &config, "settings.env", text);
    assert!(
        got.is_empty(),
        "{:?}",
        got.iter()
            .map(|f| (&f.rule_id, f.location.start_line))
            .collect::<Vec<_>>()
    );
}

#[test]
fn specific_rule_wins_over_generic_and_redaction_marks_the_value() {
    let config = Config::default();
    let analyzer = SecretsAnalyzer::default();
    let tok = "sk_live_4Qm9ZtR2xW7pL3nV8kJ5dF1hS6yB0cE2";
    let got = findings(
        &analyzer,
        &config,
        "a.py",
        &format!("api_key = \"{tok}\"\n"),
    );
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].rule_id, "secrets/stripe-key");
    assert!(!got[0].message.contains(tok));
    assert_eq!(got[0].redactions.len(), 1);
    assert!(!got[0].fingerprint_content().contains(tok));
}

#[test]
fn path_policies_limit_generic_rules() {
    let analyzer = SecretsAnalyzer::default();
    let config = Config::default();
    let generic = "password = \"Zq8vLx2mN4pR7tW9\"\n";
    assert_eq!(findings(&analyzer, &config, "src/app.py", generic).len(), 1);
    assert!(findings(&analyzer, &config, "vendor/lib/app.py", generic).is_empty());
    assert!(findings(&analyzer, &config, "package-lock.json", generic).is_empty());
    // A provider token is still found in a vendored file.
    let aws = "key = AKIAWUBJ6WIADL22ESSD\n";
    assert_eq!(
        findings(&analyzer, &config, "vendor/lib/app.py", aws).len(),
        1
    );

    let reg = crate::rules::Registry::builtin().expect("registry");
    let config = Config::parse(
        "secrets:\n  paths:\n    - paths: ['fixtures/']\n      mode: off\n  builtin_path_policies: false\n",
        "p.yml",
        &crate::analyzers::config_schema(reg),
    )
    .expect("config");
    assert_eq!(config.secrets.paths[0].mode, SecretsPathMode::Off);
    let analyzer = SecretsAnalyzer::default();
    assert!(findings(&analyzer, &config, "fixtures/a.env", aws).is_empty());
    assert_eq!(
        findings(&analyzer, &config, "vendor/lib/app.py", generic).len(),
        1
    );
}

#[test]
fn user_rules_and_allowlists_extend_the_catalogue() {
    let reg = crate::rules::Registry::builtin().expect("registry");
    let config = Config::parse(
        "secrets:\n  rules:\n    - id: secrets/acme-token\n      title: ACME token\n      severity: critical\n      regex: '\\b(?P<secret>acme_[a-z0-9]{24})\\b'\n      keywords: [acme_]\n  allowlist:\n    stopwords: [ci-fixture]\n",
        "p.yml",
        &crate::analyzers::config_schema(reg),
    )
    .expect("config");
    let analyzer = SecretsAnalyzer::default();
    let got = findings(
        &analyzer,
        &config,
        "a.txt",
        "t = acme_k3j4h5g6f7d8s9a0q1w2e3r4\n",
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rule_id, "secrets/acme-token");
    assert_eq!(
        got[0].severity_hint,
        Some(crate::finding::Severity::Critical)
    );
    let got = findings(
        &analyzer,
        &config,
        "a.txt",
        "password = \"ci-fixture-9Xk2Lm\"\n",
    );
    assert!(got.is_empty());

    let bad = Config::parse(
        "secrets:\n  rules:\n    - id: secrets/x\n      regex: '(unclosed'\n",
        "p.yml",
        &crate::analyzers::config_schema(reg),
    );
    assert!(bad.is_err());
    let dup = Config::parse(
        "secrets:\n  rules:\n    - id: secrets/github-token\n      regex: 'x'\n",
        "p.yml",
        &crate::analyzers::config_schema(reg),
    );
    assert!(dup.is_err());
}

#[test]
fn private_keys_are_located_at_the_header_line() {
    let analyzer = SecretsAnalyzer::default();
    let config = Config::default();
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n";
    let text =
        format!("# key\n-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n");
    let got = findings(&analyzer, &config, "deploy/id_rsa", &text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].location.start_line, 2);
    assert_eq!(got[0].location.end_line, 2);
    assert!(got[0].redactions.len() >= 4);
}

#[test]
fn a_scan_of_changed_lines_reports_what_overlaps_them() {
    let analyzer = SecretsAnalyzer::default();
    let config = Config::default();
    // 25 lines of key material (random-looking, 64 characters each) and a token far below.
    let body: String = (0..25u32)
        .map(|i| {
            let line: String = (0..64u32)
                .map(|j| {
                    let x = (i * 7919 + j * 104_729 + i * j * 31) % 62;
                    char::from(
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                            [x as usize],
                    )
                })
                .collect();
            line + "\n"
        })
        .collect();
    let filler = (0..200).fold(String::new(), |mut s, i| {
        s.push_str(&format!("setting_{i} = {i}\n"));
        s
    });
    let text =
        format!("-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n{filler}");
    let file = SourceFile::new("deploy/keys.txt", FileKind::Other, text.clone());
    let scan = |lines: std::ops::Range<usize>| {
        let mut out = Output::default();
        analyzer.scan_lines(&file, &config, lines, &mut out);
        out.findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.location.start_line))
            .collect::<Vec<_>>()
    };
    let line = |n: usize| {
        let start: usize = text.split_inclusive('\n').take(n - 1).map(str::len).sum();
        start..start + text.split_inclusive('\n').nth(n - 1).map_or(0, str::len)
    };
    let key = vec![("secrets/private-key".to_string(), 1)];
    // A line deep inside the block (its BEGIN line 1.3 KB above) is part of the key.
    assert_eq!(scan(line(22)), key);
    assert_eq!(scan(line(1)), key);
    // A filler line far below it is not.
    assert_eq!(scan(line(100)), vec![]);
    assert_eq!(scan(0..text.len()), key);
}
