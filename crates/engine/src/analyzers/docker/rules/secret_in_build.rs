//! `docker/secret-in-build`: an `ARG` or `ENV` whose name says it holds a credential
//! (`DB_PASSWORD`, `NPM_TOKEN`, `AWS_SECRET_ACCESS_KEY`…) or whose value looks like one (a
//! provider token format). ENV values are stored in the image config; build-arg values end up
//! in the image history of every layer that uses them. Values are redacted in the output.

use crate::analyzers::docker::model::Model;
use crate::analyzers::common::secrets::{is_secret_name, looks_like_secret_value};
use crate::analyzers::docker::vars::Var;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::DockerSecretInBuild, check);

fn report(m: &Model<'_, '_>, v: &Var, is_env: bool, out: &mut Output) {
    let value = v.value.as_deref().unwrap_or_default();
    let by_value = looks_like_secret_value(value);
    let by_name = is_secret_name(&v.name);
    if !by_name && !by_value {
        return;
    }
    // `ENV PASSWORD=""` clears a variable; nothing is stored.
    if is_env && !by_value && value.is_empty() {
        return;
    }
    let kind = if is_env { "ENV" } else { "ARG" };
    let msg = if by_value {
        format!("{kind} `{}` holds a value in a credential format", v.name)
    } else if is_env {
        format!(
            "ENV `{}` looks like a credential: ENV values are stored in the image",
            v.name
        )
    } else {
        format!(
            "ARG `{}` looks like a credential: build-arg values are recorded in the image history; use a secret mount",
            v.name
        )
    };
    let end = v.value_span.end.max(v.name_span.end);
    let mut f = RawFinding::new(ID, m.file, v.name_span.start..end, msg)
        .content(format!("{kind} {}", v.name));
    if !v.value_span.is_empty() {
        f = f.redact(m.file, v.value_span.clone());
    }
    out.push(f);
}

pub fn check(m: &Model<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for v in &m.global_vars {
        report(m, v, false, out);
    }
    for stage in &m.stages {
        for (_, v, is_env) in &stage.vars {
            report(m, v, *is_env, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "NPM_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "MYSQL_ROOT_PASSWORD",
            "api_key",
            "CLIENT_SECRET",
            "ACCESS_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "GPG_KEY",
            "GPG_KEYS",
            "PASSWORD_FILE",
            "TOKEN_URL",
            "NODE_VERSION",
            "KEY",
            "SECRET_NAME",
            "TOKENIZERS_PARALLELISM",
            "DB_USER",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn values() {
        assert!(looks_like_secret_value(
            "ghp_0123456789abcdefghijABCDEFGHIJ012345"
        ));
        assert!(looks_like_secret_value("AKIAABCDEFGHIJKLMNOP"));
        assert!(!looks_like_secret_value("3.12.1"));
        assert!(!looks_like_secret_value("ghp_"));
    }
}
