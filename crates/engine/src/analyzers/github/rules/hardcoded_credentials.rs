//! `github/hardcoded-credentials`: a literal password in `container`/`services` `credentials`,
//! or a literal that looks like a real credential in an `env:` variable named like one (or in a
//! known token format). Throwaway test values (`postgres`, `test`, `changeme`) are not reported.

use crate::analyzers::common::secrets::{is_placeholder, is_secret_name, looks_like_secret_value};
use crate::analyzers::github::model::KeyValue;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubHardcodedCredentials, check);

/// Throwaway values of CI service containers and tests (`postgres`, `test`): in a workflow
/// `env:` these are far more often a test database than a leaked credential.
const PLACEHOLDERS: &[&str] = &[
    "dummy",
    "test",
    "example",
    "changeme",
    "password",
    "secret",
    "placeholder",
    "xxx",
    "fake",
    "sample",
    "postgres",
    "mysql",
    "root",
    "admin",
    "localhost",
    "none",
    "null",
    "true",
    "false",
];

fn literal(v: &str) -> bool {
    !v.is_empty() && !v.contains("${{") && !v.starts_with('$')
}

fn looks_real(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    // Emails, paths and sentences are not credentials.
    if v.len() < 12 || v.contains(' ') || v.contains('@') || (v.contains('/') && !v.contains('+')) {
        return false;
    }
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return false;
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let upper = v.bytes().filter(u8::is_ascii_uppercase).count();
    let lowerc = v.bytes().filter(u8::is_ascii_lowercase).count();
    digits > 0 && (upper > 0 || lowerc > 0) && (upper + lowerc) > 3
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let mut report = |kv: &KeyValue, what: &str| {
        let bytes = m.value_bytes(&kv.route);
        out.push(
            RawFinding::new(
                ID,
                m.file,
                bytes.clone(),
                format!("{what} `{}` is a literal in the workflow: anyone with read access sees it; use `${{{{ secrets.… }}}}`", kv.name),
            )
            .content(format!("{} {}", kv.name, what))
            .redact(m.file, bytes),
        );
    };
    let mut containers = Vec::new();
    let mut envs: Vec<&KeyValue> = m.env.iter().collect();
    for job in &m.jobs {
        containers.extend(job.container.iter());
        containers.extend(job.services.iter());
        envs.extend(job.env.iter());
        for s in &job.steps {
            envs.extend(s.env.iter());
        }
    }
    for c in &containers {
        if let Some(p) = &c.password
            && literal(&p.value)
        {
            report(p, "registry password");
        }
        envs.extend(c.env.iter());
    }
    for kv in envs {
        if !literal(&kv.value) {
            continue;
        }
        let known = looks_like_secret_value(&kv.value);
        let named =
            is_secret_name(&kv.name) && !is_placeholder(&kv.value) && looks_real(&kv.value);
        if known || named {
            report(kv, "credential");
        }
    }
}
