//! Every provider check against recorded, real-shaped answers on loopback (wiremock): the
//! request carries the secret where the provider expects it, and the answer reads as the
//! provider means it. No test reaches a real service.

use std::time::{Duration, Instant};

use base64::Engine as _;

use pipeguard_engine::validate::{Candidate, SecretValidator, Status, Verdict};
use pipeguard_validate::{Options, Validator, parse_endpoint};
use wiremock::matchers::{body_string_contains, header, header_regex, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn candidate(rule: &str, value: &str) -> Candidate {
    Candidate {
        rule_id: rule.into(),
        value: value.into(),
        companions: Vec::new(),
    }
}

fn validator(provider: &str, server: &MockServer, tune: impl FnOnce(&mut Options)) -> Validator {
    let mut opts = Options::default();
    opts.endpoints.insert(provider.into(), server.uri());
    opts.spacing = Duration::ZERO;
    tune(&mut opts);
    match Validator::new(opts) {
        Ok(v) => v,
        Err(e) => panic!("validator: {e:#}"),
    }
}

/// The validator blocks on its own runtime: run it off the test's async runtime.
async fn check(v: Validator, cands: Vec<Candidate>) -> Vec<Verdict> {
    match tokio::task::spawn_blocking(move || v.validate(&cands)).await {
        Ok(r) => r,
        Err(e) => panic!("validate: {e}"),
    }
}

fn assert_no_secret(verdicts: &[Verdict], secrets: &[&str]) {
    for v in verdicts {
        for s in secrets {
            assert!(!v.detail.contains(s), "secret in detail: {}", v.detail);
        }
    }
}

/// A GitHub-token-shaped test value built at run time (`gh` + `p_` + tag, padded to 40).
fn gh(kind: char, tag: &str) -> String {
    format!("gh{kind}_{tag:0<36}")
}

#[tokio::test(flavor = "multi_thread")]
async fn github_live_revoked_and_integration_tokens() {
    let (live, dead) = (gh('p', "liveLIVElive"), gh('p', "deadDEADdead"));
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header("authorization", format!("Bearer {live}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"login":"octocat","id":1,"type":"User","site_admin":false}"#),
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
    Mock::given(method("GET"))
        .and(path("/user"))
        .and(header_regex("authorization", "^Bearer ghs_"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            r#"{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/users/users#get-the-authenticated-user","status":"403"}"#,
        ))
        .mount(&server)
        .await;
    let v = validator("github", &server, |_| {});
    let ghs = gh('s', "installationTOKEN");
    let out = check(
        v,
        vec![
            candidate("secrets/github-token", &live),
            candidate("secrets/github-token", &dead),
            candidate("secrets/github-token", &ghs),
        ],
    )
    .await;
    assert_eq!(out[0].status, Status::Live, "{out:?}");
    assert_eq!(out[0].detail, "GitHub answered 200 to GET /user");
    assert_eq!(out[1].status, Status::Revoked);
    assert_eq!(out[2].status, Status::Live);
    assert_no_secret(&out, &[&live, &dead, &ghs]);
}

/// One provider per row: rule, secret, the header the request must carry, the live answer, the
/// revoked answer.
struct Case {
    provider: &'static str,
    rule: &'static str,
    /// Joined at run time: no credential-shaped literal sits in the source.
    secret: (&'static str, &'static str),
    /// `Authorization: Basic` of this (`{}` is the secret), checked exactly.
    basic: Option<&'static str>,
    method: &'static str,
    path: &'static str,
    header: (&'static str, &'static str),
    live: (u16, &'static str),
    revoked: (u16, &'static str),
}

const CASES: &[Case] = &[
    Case {
        provider: "gitlab",
        rule: "secrets/gitlab-token",
        secret: ("glpat-Ab", "CdEfGhIjKlMnOpQrSt"),
        basic: None,
        method: "GET",
        path: "/api/v4/user",
        header: ("private-token", "^glpat-AbCdEfGhIjKlMnOpQrSt$"),
        live: (200, r#"{"id":1,"username":"root","state":"active"}"#),
        revoked: (401, r#"{"message":"401 Unauthorized"}"#),
    },
    Case {
        provider: "gitlab",
        rule: "secrets/gitlab-runner-token",
        secret: ("glrt-AbC", "dEfGhIjKlMnOpQrSt"),
        basic: None,
        method: "POST",
        path: "/api/v4/runners/verify",
        header: ("content-type", "^application/json"),
        live: (200, r#"{"id":12,"token":"glrt-…","token_expires_at":null}"#),
        revoked: (403, r#"{"message":"403 Forbidden"}"#),
    },
    Case {
        provider: "slack",
        rule: "secrets/slack-token",
        secret: ("xoxb-1234567890-12", "34567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
        basic: None,
        method: "POST",
        path: "/api/auth.test",
        header: ("authorization", "^Bearer xoxb-1234567890-"),
        live: (
            200,
            r#"{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"ci","team_id":"T1","user_id":"U1","bot_id":"B1"}"#,
        ),
        revoked: (200, r#"{"ok":false,"error":"invalid_auth"}"#),
    },
    Case {
        provider: "stripe",
        rule: "secrets/stripe-key",
        secret: ("sk_li", "ve_AbCdEfGhIjKlMnOpQrStUvWx"),
        basic: Some("{}:"),
        method: "GET",
        path: "/v1/account",
        header: ("authorization", "^Basic "),
        live: (
            200,
            r#"{"id":"acct_1","object":"account","charges_enabled":true}"#,
        ),
        revoked: (
            401,
            r#"{"error":{"message":"Invalid API Key provided: sk_live_***","type":"invalid_request_error"}}"#,
        ),
    },
    Case {
        provider: "npm",
        rule: "secrets/npm-token",
        secret: ("npm_AbCdEfGhI", "jKlMnOpQrStUvWxYz0123456789"),
        basic: None,
        method: "GET",
        path: "/-/whoami",
        header: ("authorization", "^Bearer npm_"),
        live: (200, r#"{"username":"ci-bot"}"#),
        revoked: (401, r#"{"error":"You must be logged in"}"#),
    },
    Case {
        provider: "pypi",
        rule: "secrets/pypi-token",
        secret: ("pyp", "i-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0"),
        basic: Some("__token__:{}"),
        method: "POST",
        path: "/legacy/",
        header: ("authorization", "^Basic "),
        live: (
            400,
            "400 Invalid value for name. Error: This field is required.",
        ),
        revoked: (
            403,
            "403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
        ),
    },
    Case {
        provider: "openai",
        rule: "secrets/openai-key",
        secret: (
            "sk-proj-AbCdEfGhIj",
            "KlMnOpQrStT3BlbkFJAbCdEfGhIjKlMnOpQrSt",
        ),
        basic: None,
        method: "GET",
        path: "/v1/models",
        header: ("authorization", "^Bearer sk-proj-"),
        live: (
            200,
            r#"{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}"#,
        ),
        revoked: (
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-proj-****.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        ),
    },
    Case {
        provider: "anthropic",
        rule: "secrets/anthropic-key",
        secret: ("sk-ant-api03-", "AbCdEfGhIjKlMnOpQrStUvWxYz"),
        basic: None,
        method: "GET",
        path: "/v1/models",
        header: ("x-api-key", "^sk-ant-api03-"),
        live: (
            200,
            r#"{"data":[{"type":"model","id":"claude-sonnet-4-5"}],"has_more":false}"#,
        ),
        revoked: (
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        ),
    },
    Case {
        provider: "sendgrid",
        rule: "secrets/sendgrid-key",
        secret: (
            "SG.AbCdEfGhIjKlMnOpQrS",
            "tUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCDEF",
        ),
        basic: None,
        method: "GET",
        path: "/v3/scopes",
        header: ("authorization", "^Bearer SG\\."),
        live: (200, r#"{"scopes":["mail.send"]}"#),
        revoked: (
            401,
            r#"{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}"#,
        ),
    },
    Case {
        provider: "google",
        rule: "secrets/google-api-key",
        secret: ("AIzaSyAbCdEfG", "hIjKlMnOpQrStUvWxYz0123456"),
        basic: None,
        method: "GET",
        path: "/v1beta/models",
        header: ("x-goog-api-key", "^AIza"),
        live: (
            403,
            r#"{"error":{"code":403,"message":"Generative Language API has not been used in project 1 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED"}]}}"#,
        ),
        revoked: (
            400,
            r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#,
        ),
    },
    Case {
        provider: "huggingface",
        rule: "secrets/huggingface-token",
        secret: ("hf_AbCdEfGhI", "jKlMnOpQrStUvWxYzAbCdEfGh"),
        basic: None,
        method: "GET",
        path: "/api/whoami-v2",
        header: ("authorization", "^Bearer hf_"),
        live: (200, r#"{"type":"user","name":"ci"}"#),
        revoked: (
            401,
            r#"{"error":"Invalid credentials in Authorization header"}"#,
        ),
    },
    Case {
        provider: "digitalocean",
        rule: "secrets/digitalocean-token",
        secret: (
            "dop_v1_0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        basic: None,
        method: "GET",
        path: "/v2/account",
        header: ("authorization", "^Bearer dop_v1_"),
        live: (200, r#"{"account":{"status":"active"}}"#),
        revoked: (
            401,
            r#"{"id":"Unauthorized","message":"Unable to authenticate you"}"#,
        ),
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_reads_its_live_and_its_revoked_answer() {
    for case in CASES {
        let secret = format!("{}{}", case.secret.0, case.secret.1);
        for (answer, want) in [(case.live, Status::Live), (case.revoked, Status::Revoked)] {
            let server = MockServer::start().await;
            let mut mock = Mock::given(method(case.method))
                .and(path(case.path))
                .and(header_regex(case.header.0, case.header.1));
            if let Some(b) = case.basic {
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(b.replace("{}", &secret));
                mock = mock.and(header("authorization", format!("Basic {basic}").as_str()));
            }
            mock.respond_with(ResponseTemplate::new(answer.0).set_body_string(answer.1))
                .expect(1)
                .mount(&server)
                .await;
            let v = validator(case.provider, &server, |_| {});
            let out = check(v, vec![candidate(case.rule, &secret)]).await;
            assert_eq!(out[0].status, want, "{} {}: {out:?}", case.rule, answer.0);
            assert_no_secret(&out, &[&secret]);
            server.verify().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_is_signed_with_the_key_id_found_beside_the_secret() {
    let server = MockServer::start().await;
    let id = format!("{}{}", "AK", "IAQWERTYUIOPASDFGH");
    let secret = format!("{}{}", "AbCdEfGhIjKlMnOpQrSt", "UvWxYz0123456789+/Ab");
    let other = format!("{}{}", "AK", "IAZZZZZZZZZZZZZZZZ");
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header_regex(
            "authorization",
            format!("^AWS4-HMAC-SHA256 Credential={id}/[0-9]{{8}}/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{{64}}$").as_str(),
        ))
        .and(header_regex("x-amz-date", "^[0-9]{8}T[0-9]{6}Z$"))
        .and(body_string_contains("Action=GetCallerIdentity"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header_regex("authorization", format!("Credential={other}/").as_str()))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>",
        ))
        .mount(&server)
        .await;
    let v = validator("aws", &server, |_| {});
    let with = |ids: &[&str]| Candidate {
        rule_id: "secrets/aws-secret-access-key".into(),
        value: secret.clone(),
        companions: ids
            .iter()
            .map(|i| ("secrets/aws-access-key-id".to_string(), (*i).to_string()))
            .collect(),
    };
    let out = check(v, vec![with(&[&other, &id]), with(&[&other]), with(&[])]).await;
    assert_eq!(out[0].status, Status::Live, "{out:?}");
    assert_eq!(out[1].status, Status::Revoked, "{out:?}");
    assert_eq!(out[2].status, Status::Unknown);
    assert!(
        out[2].detail.contains("aws-access-key-id"),
        "{}",
        out[2].detail
    );
    assert_no_secret(&out, &[&secret]);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_unknown_and_never_name_the_secret() {
    let (live, dead) = (gh('p', "liveLIVElive"), gh('p', "deadDEADdead"));
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .and(header("authorization", format!("Bearer {live}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    Mock::given(path("/user"))
        .and(header("authorization", format!("Bearer {dead}").as_str()))
        .respond_with(ResponseTemplate::new(429).set_body_string("slow down"))
        .mount(&server)
        .await;
    let redirect = gh('p', "redirectREDIRECT");
    Mock::given(path("/user"))
        .and(header(
            "authorization",
            format!("Bearer {redirect}").as_str(),
        ))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let v = validator("github", &server, |o| {
        o.timeout = Duration::from_millis(300);
    });
    let out = check(
        v,
        vec![
            candidate("secrets/github-token", &live),
            candidate("secrets/github-token", &dead),
            candidate("secrets/github-token", &redirect),
            candidate("secrets/generic-credential", "s3cr3t-Value-123"),
        ],
    )
    .await;
    assert_eq!(
        out[0],
        Verdict::unknown("GitHub: no answer before the timeout")
    );
    assert_eq!(out[1].status, Status::Unknown);
    assert!(out[1].detail.contains("rate-limited"), "{}", out[1].detail);
    assert_eq!(
        out[2].status,
        Status::Unknown,
        "a redirect is not followed: {out:?}"
    );
    assert_eq!(
        out[3],
        Verdict::unknown("no read-only check for this kind of secret")
    );
    assert_no_secret(&out, &[&live, &dead, &redirect, "s3cr3t-Value-123"]);
    server.verify().await;

    // Nothing listens: the connection is refused.
    let mut opts = Options::default();
    opts.endpoints
        .insert("github".into(), "http://127.0.0.1:9".into());
    let v = match Validator::new(opts) {
        Ok(v) => v,
        Err(e) => panic!("{e:#}"),
    };
    let out = check(v, vec![candidate("secrets/github-token", &live)]).await;
    assert_eq!(out[0].status, Status::Unknown);
    assert_no_secret(&out, &[&live]);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_spaced_and_capped() {
    let server = MockServer::start().await;
    Mock::given(path("/user"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let v = validator("github", &server, |o| {
        o.spacing = Duration::from_millis(250);
        o.max_checks = 2;
    });
    let start = Instant::now();
    let out = check(
        v,
        vec![
            candidate("secrets/github-token", &gh('p', "one")),
            candidate("secrets/github-token", &gh('p', "two")),
            candidate("secrets/github-token", &gh('p', "three")),
        ],
    )
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out[0].status, Status::Revoked);
    assert_eq!(out[1].status, Status::Revoked);
    assert_eq!(
        out[2],
        Verdict::unknown("not checked: more than 2 secrets in this run")
    );
    server.verify().await;
}

#[test]
fn endpoints_are_checked() {
    let ok = parse_endpoint("github=http://127.0.0.1:8080/");
    assert_eq!(
        ok.ok(),
        Some(("github".to_string(), "http://127.0.0.1:8080".to_string()))
    );
    assert!(parse_endpoint("github=https://ghe.example.com/api/v3").is_ok());
    for bad in [
        "github=http://ghe.example.com",
        "nosuch=https://x.example",
        "github",
        "github=https://user:pw@ghe.example.com",
        "github=file:///etc/passwd",
    ] {
        assert!(parse_endpoint(bad).is_err(), "{bad}");
    }
}
