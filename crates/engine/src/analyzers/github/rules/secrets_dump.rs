//! `github/secrets-dump`: `toJSON(secrets)` or a computed `secrets[…]` index puts every secret
//! (or an attacker-chosen one) where a single step can read them.

use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubSecretsDump, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for site in &m.sites {
        let body = m.text(&site.body);
        if !body.to_ascii_lowercase().contains("secrets") {
            continue;
        }
        if let Some(what) = expr::dumps_secrets(body) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    site.range.clone(),
                    format!("`{what}` exposes every secret of the repository to this step; reference the secrets it needs by name"),
                )
                .content(body.trim()),
            );
        }
    }
}
