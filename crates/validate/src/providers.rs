//! One read-only check per provider: which rules it covers, the request that proves a secret
//! works, and how the answer reads. Every check is the cheapest authenticated call the provider
//! documents (who am I, list models, account details); none changes anything.

use pipeguard_engine::validate::Status;

/// How the secret goes into the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: Basic base64(<secret>:)` (Stripe: the key is the user name).
    BasicUser,
    /// `Authorization: Basic base64(<user>:<secret>)`.
    BasicWith(&'static str),
    /// A named header holding the secret.
    Header(&'static str),
    /// Basic auth with a companion as user (`companion:secret`): Twilio API key SID + secret.
    BasicCompanionUser,
    /// AWS SigV4 with the companion access key id.
    AwsSigV4,
    /// The secret in a JSON body field (`{"token": …}`).
    JsonBody(&'static str),
}

/// How an answer reads beyond the status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// 2xx live, 401 revoked.
    Status,
    /// 2xx live, 401 revoked, 403 live (authenticated, not allowed this call).
    ForbiddenIsLive,
    /// Slack: `{"ok": true}` live; `ok: false` with an auth error revoked.
    SlackOk,
    /// AWS: 200 live; 403 with an invalid-key error code revoked.
    Aws,
    /// PyPI's upload endpoint: 400 (authenticated, request incomplete) live, 403 revoked.
    PypiUpload,
    /// Google: 200 live; 400 `API_KEY_INVALID` revoked; 403 (API disabled for the key) live.
    Google,
    /// 2xx live; 401, 403 and 404 revoked (GitLab runner verification).
    Verify,
}

#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Name used in `--validate-endpoint NAME=URL` and in the detail.
    pub provider: &'static str,
    pub label: &'static str,
    pub rules: &'static [&'static str],
    /// Default base URL (scheme and host).
    pub base: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub auth: Auth,
    pub reading: Reading,
    /// Extra request headers.
    pub headers: &'static [(&'static str, &'static str)],
    /// Rule of the companion value the check needs (AWS key id, Twilio secret).
    pub companion: Option<&'static str>,
    /// Form body (PyPI, AWS).
    pub form: &'static str,
}

const fn check(
    provider: &'static str,
    label: &'static str,
    rules: &'static [&'static str],
    base: &'static str,
    path: &'static str,
    auth: Auth,
) -> Check {
    Check {
        provider,
        label,
        rules,
        base,
        method: "GET",
        path,
        auth,
        reading: Reading::Status,
        headers: &[],
        companion: None,
        form: "",
    }
}

pub const CHECKS: &[Check] = &[
    Check {
        reading: Reading::ForbiddenIsLive,
        headers: &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ],
        ..check(
            "github",
            "GitHub",
            &["secrets/github-token", "secrets/github-fine-grained-pat"],
            "https://api.github.com",
            "/user",
            Auth::Bearer,
        )
    },
    Check {
        reading: Reading::ForbiddenIsLive,
        ..check(
            "gitlab",
            "GitLab",
            &["secrets/gitlab-token"],
            "https://gitlab.com",
            "/api/v4/user",
            Auth::Header("private-token"),
        )
    },
    Check {
        method: "POST",
        reading: Reading::Verify,
        ..check(
            "gitlab",
            "GitLab",
            &["secrets/gitlab-runner-token"],
            "https://gitlab.com",
            "/api/v4/runners/verify",
            Auth::JsonBody("token"),
        )
    },
    Check {
        method: "POST",
        reading: Reading::SlackOk,
        ..check(
            "slack",
            "Slack",
            &["secrets/slack-token", "secrets/slack-app-token"],
            "https://slack.com",
            "/api/auth.test",
            Auth::Bearer,
        )
    },
    Check {
        method: "POST",
        reading: Reading::Aws,
        companion: Some("secrets/aws-access-key-id"),
        form: "Action=GetCallerIdentity&Version=2011-06-15",
        ..check(
            "aws",
            "AWS STS",
            &["secrets/aws-secret-access-key"],
            "https://sts.amazonaws.com",
            "/",
            Auth::AwsSigV4,
        )
    },
    Check {
        reading: Reading::ForbiddenIsLive,
        ..check(
            "stripe",
            "Stripe",
            &["secrets/stripe-key"],
            "https://api.stripe.com",
            "/v1/account",
            Auth::BasicUser,
        )
    },
    check(
        "npm",
        "npm",
        &["secrets/npm-token"],
        "https://registry.npmjs.org",
        "/-/whoami",
        Auth::Bearer,
    ),
    Check {
        method: "POST",
        reading: Reading::PypiUpload,
        form: ":action=file_upload&protocol_version=1",
        ..check(
            "pypi",
            "PyPI",
            &["secrets/pypi-token"],
            "https://upload.pypi.org",
            "/legacy/",
            Auth::BasicWith("__token__"),
        )
    },
    check(
        "openai",
        "OpenAI",
        &["secrets/openai-key"],
        "https://api.openai.com",
        "/v1/models",
        Auth::Bearer,
    ),
    check(
        "openai",
        "OpenAI",
        &["secrets/openai-admin-key"],
        "https://api.openai.com",
        "/v1/organization/users?limit=1",
        Auth::Bearer,
    ),
    Check {
        headers: &[("anthropic-version", "2023-06-01")],
        ..check(
            "anthropic",
            "Anthropic",
            &["secrets/anthropic-key"],
            "https://api.anthropic.com",
            "/v1/models",
            Auth::Header("x-api-key"),
        )
    },
    Check {
        headers: &[("anthropic-version", "2023-06-01")],
        ..check(
            "anthropic",
            "Anthropic",
            &["secrets/anthropic-admin-key"],
            "https://api.anthropic.com",
            "/v1/organizations/users?limit=1",
            Auth::Header("x-api-key"),
        )
    },
    Check {
        reading: Reading::ForbiddenIsLive,
        ..check(
            "sendgrid",
            "SendGrid",
            &["secrets/sendgrid-key"],
            "https://api.sendgrid.com",
            "/v3/scopes",
            Auth::Bearer,
        )
    },
    Check {
        companion: Some("secrets/twilio-auth-token"),
        ..check(
            "twilio",
            "Twilio",
            &["secrets/twilio-key"],
            "https://api.twilio.com",
            "/2010-04-01/Accounts.json",
            Auth::BasicCompanionUser,
        )
    },
    Check {
        reading: Reading::Google,
        ..check(
            "google",
            "Google API",
            &["secrets/google-api-key"],
            "https://generativelanguage.googleapis.com",
            "/v1beta/models?pageSize=1",
            Auth::Header("x-goog-api-key"),
        )
    },
    check(
        "huggingface",
        "Hugging Face",
        &["secrets/huggingface-token", "secrets/huggingface-org-token"],
        "https://huggingface.co",
        "/api/whoami-v2",
        Auth::Bearer,
    ),
    check(
        "digitalocean",
        "DigitalOcean",
        &["secrets/digitalocean-token"],
        "https://api.digitalocean.com",
        "/v2/account",
        Auth::Bearer,
    ),
];

/// The check for a rule, if any.
pub fn for_rule(rule_id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.rules.contains(&rule_id))
}

/// Provider names (for `--validate-endpoint`).
pub fn providers() -> Vec<&'static str> {
    let mut v: Vec<&str> = CHECKS.iter().map(|c| c.provider).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// What an answer says. `body` is at most a few KiB of the answer.
pub fn read(check: &Check, status: u16, body: &str) -> (Status, String) {
    let what = format!(
        "{} answered {status} to {} {}",
        check.label,
        check.method,
        path_only(check.path)
    );
    let ok = (200..300).contains(&status);
    if status == 429 {
        return (
            Status::Unknown,
            format!("{} rate-limited the check (429)", check.label),
        );
    }
    if check.reading == Reading::SlackOk {
        return match slack_answer(body) {
            Some((true, _)) if ok => (Status::Live, what),
            Some((false, e)) if ok && SLACK_AUTH_ERRORS.contains(&e.as_str()) => {
                (Status::Revoked, format!("Slack answered ok: false, {e}"))
            }
            _ => (Status::Unknown, what),
        };
    }
    let key_invalid = body.contains("API_KEY_INVALID");
    let (live, revoked) = match check.reading {
        Reading::Status | Reading::SlackOk => (ok, status == 401),
        // GitHub says 403 for an exhausted rate limit too.
        Reading::ForbiddenIsLive => (
            ok || (status == 403 && !body.to_ascii_lowercase().contains("rate limit")),
            status == 401,
        ),
        Reading::Aws => (
            ok,
            status == 403 && AWS_INVALID.iter().any(|c| body.contains(c)),
        ),
        Reading::PypiUpload => (status == 400, status == 401 || status == 403),
        Reading::Google => (
            ok || (status == 403 && !key_invalid),
            status == 400 && key_invalid,
        ),
        Reading::Verify => (ok, matches!(status, 401 | 403 | 404)),
    };
    let s = if live {
        Status::Live
    } else if revoked {
        Status::Revoked
    } else {
        Status::Unknown
    };
    (s, what)
}

fn path_only(p: &str) -> &str {
    p.split_once('?').map_or(p, |(a, _)| a)
}

const SLACK_AUTH_ERRORS: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
];

const AWS_INVALID: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDenied",
];

fn slack_answer(body: &str) -> Option<(bool, String)> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let ok = v.get("ok")?.as_bool()?;
    let err = v
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    Some((ok, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_at_most_one_check_and_exists() {
        let registry = pipeguard_engine::rules::Registry::builtin().map_err(|e| e.to_string());
        let registry = match registry {
            Ok(r) => r,
            Err(e) => panic!("registry: {e}"),
        };
        let mut seen = std::collections::HashSet::new();
        for c in CHECKS {
            for r in c.rules {
                assert!(seen.insert(*r), "{r} has two checks");
                assert!(registry.get(r).is_some(), "{r} is not a rule");
            }
            if let Some(r) = c.companion {
                assert!(registry.get(r).is_some(), "companion {r} is not a rule");
            }
            assert!(c.base.starts_with("https://"), "{}", c.provider);
        }
    }

    #[test]
    fn readings() {
        let gh = for_rule("secrets/github-token").copied();
        let Some(gh) = gh else {
            panic!("no GitHub check")
        };
        assert_eq!(read(&gh, 200, "{}").0, Status::Live);
        assert_eq!(read(&gh, 401, "{}").0, Status::Revoked);
        assert_eq!(
            read(&gh, 403, "Resource not accessible by integration").0,
            Status::Live
        );
        assert_eq!(read(&gh, 403, "API rate limit exceeded").0, Status::Unknown);
        assert_eq!(read(&gh, 500, "").0, Status::Unknown);
        assert_eq!(read(&gh, 429, "").0, Status::Unknown);
        let Some(slack) = for_rule("secrets/slack-token").copied() else {
            panic!()
        };
        assert_eq!(
            read(&slack, 200, r#"{"ok":true,"team":"t"}"#).0,
            Status::Live
        );
        assert_eq!(
            read(&slack, 200, r#"{"ok":false,"error":"invalid_auth"}"#).0,
            Status::Revoked
        );
        assert_eq!(
            read(&slack, 200, r#"{"ok":false,"error":"ratelimited"}"#).0,
            Status::Unknown
        );
        assert_eq!(read(&slack, 200, "not json").0, Status::Unknown);
        let Some(g) = for_rule("secrets/google-api-key").copied() else {
            panic!()
        };
        assert_eq!(
            read(
                &g,
                400,
                r#"{"error":{"details":[{"reason":"API_KEY_INVALID"}]}}"#
            )
            .0,
            Status::Revoked
        );
        assert_eq!(read(&g, 403, r#"{"error":{"status":"PERMISSION_DENIED","details":[{"reason":"SERVICE_DISABLED"}]}}"#).0, Status::Live);
        let Some(p) = for_rule("secrets/pypi-token").copied() else {
            panic!()
        };
        assert_eq!(read(&p, 400, "").0, Status::Live);
        assert_eq!(
            read(
                &p,
                403,
                "Invalid or non-existent authentication information."
            )
            .0,
            Status::Revoked
        );
    }
}
