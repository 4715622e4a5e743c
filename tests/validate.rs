//! `scan --validate` end to end: the built binary checks each unique secret once against the
//! providers' APIs served on loopback (recorded answers), records `live` / `revoked` / `unknown`
//! on every finding and in the severity, and no output names a secret. Without `--validate` no
//! request is made.

use std::path::Path;

use serde_json::Value;
use wiremock::matchers::{header, header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{json_report, pipeguard};
use crate::secrets::{alnum, aws_key_id, github_token};

fn write(root: &Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).unwrap();
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(root: &Path, args: Vec<String>) -> Out {
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let o = pipeguard()
            .current_dir(&root)
            .args(["scan", "--only", "secrets", "--fail-on", "never"])
            .args(&args)
            .arg(".")
            .output()
            .unwrap();
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn finding<'a>(report: &'a Value, rule: &str, path: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule && f["location"]["path"] == path)
        .unwrap_or_else(|| panic!("no {rule} at {path}: {report:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_marks_live_and_revoked_secrets_and_checks_each_once() {
    let (live, dead) = (github_token(71), github_token(72));
    let (key_id, secret) = (aws_key_id(73), alnum(74, 40));
    let password = format!("Pw-{}", alnum(75, 16));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "deploy.env",
        &format!("GITHUB_TOKEN={live}\nOLD_TOKEN={dead}\n"),
    );
    // The same live token in a second file: still one request.
    write(root, "copy.env", &format!("TOKEN={live}\n"));
    write(
        root,
        "aws.ini",
        &format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"),
    );
    write(
        root,
        "db.yaml",
        &format!("database:\n  password: \"{password}\"\n"),
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {live}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"login":"ci-bot","id":7,"type":"User"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {dead}").as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header_regex(
            "authorization",
            &format!("^AWS4-HMAC-SHA256 Credential={key_id}/[0-9]{{8}}/us-east-1/sts/aws4_request, "),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let (sarif, json) = (root.join("out.sarif"), root.join("out.json"));
    let out = run(
        root,
        vec![
            "--validate".into(),
            "--validate-endpoint".into(),
            format!("github={}", server.uri()),
            "--validate-endpoint".into(),
            format!("aws={}", server.uri()),
            "--json".into(),
            json.display().to_string(),
            "--sarif".into(),
            sarif.display().to_string(),
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json_report(&std::fs::read(&json).unwrap());
    for p in ["deploy.env", "copy.env"] {
        // Line 1 of each file (findings are sorted by line).
        let f = finding(&report, "secrets/github-token", p);
        assert_eq!(f["location"]["start_line"], 1);
        assert_eq!(f["properties"]["validation"], "live", "{f:#}");
        assert_eq!(f["severity"], "critical");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .ends_with("— live: GitHub answered 200 to GET /user"),
            "{f:#}"
        );
    }
    let revoked: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["validation"] == "revoked")
        .collect();
    assert_eq!(revoked.len(), 1, "{report:#}");
    assert_eq!(revoked[0]["location"]["start_line"], 2);
    assert_eq!(revoked[0]["severity"], "high", "critical drops a level");
    let aws = finding(&report, "secrets/aws-secret-access-key", "aws.ini");
    assert_eq!(aws["properties"]["validation"], "live", "{aws:#}");
    let generic: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"] == "db.yaml")
        .collect();
    assert!(!generic.is_empty(), "{report:#}");
    for f in generic {
        assert_eq!(f["properties"]["validation"], "unknown");
        assert_eq!(
            f["properties"]["validation_detail"],
            "no read-only check for this kind of secret"
        );
    }
    let sarif = std::fs::read_to_string(&sarif).unwrap();
    assert!(sarif.contains("\"validation\": \"live\""), "{sarif}");
    let json = std::fs::read_to_string(&json).unwrap();
    for s in [&live, &dead, &key_id, &secret, &password] {
        for (name, text) in [
            ("stdout", &out.stdout),
            ("stderr", &out.stderr),
            ("sarif", &sarif),
            ("json", &json),
        ] {
            assert!(!text.contains(s.as_str()), "a secret in {name}");
        }
    }
    // The text output names the status too.
    assert!(
        out.stdout
            .contains("— revoked: GitHub answered 401 to GET /user"),
        "{}",
        out.stdout
    );
    // The summary line counts them (the db.yaml password is found by two rules).
    assert!(
        out.stdout
            .contains("; secrets validated: 3 live, 1 revoked, "),
        "{}",
        out.stdout
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_validate_no_request_leaves_and_bad_endpoints_are_refused() {
    let token = github_token(81);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.env", &format!("GITHUB_TOKEN={token}\n"));
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let out = run(dir.path(), vec!["--format".into(), "json".into()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json_report(out.stdout.as_bytes());
    let f = finding(&report, "secrets/github-token", "a.env");
    assert!(f["properties"].get("validation").is_none(), "{f:#}");
    server.verify().await;

    // Plain HTTP to a non-loopback host would put the secret on the wire in clear.
    let out = run(
        dir.path(),
        vec![
            "--validate".into(),
            "--validate-endpoint".into(),
            "github=http://api.example.com".into(),
        ],
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("plain HTTP only to loopback"),
        "{}",
        out.stderr
    );
    // An endpoint without --validate is a usage error, not a silent no-op.
    let out = run(
        dir.path(),
        vec![
            "--validate-endpoint".into(),
            format!("github={}", server.uri()),
        ],
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains(&token));
}
