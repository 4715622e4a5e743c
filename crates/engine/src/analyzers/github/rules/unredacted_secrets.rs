//! `github/unredacted-secrets`: `fromJSON(secrets.X)` — a field extracted from a JSON secret is
//! not the secret's value, so the runner's log masking does not hide it.

use github_actions_expressions::{Expr, SpannedExpr, call::Function};

use crate::analyzers::github::facts::Facts;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnredactedSecrets, check);

/// The secret decoded by a `fromJSON(secrets.X)` inside the expression, if any.
fn decoded_secret(e: &SpannedExpr<'_>) -> Option<String> {
    match &e.inner {
        Expr::Call(call) => {
            if call.func == Function::FromJSON {
                for arg in &call.args {
                    if let Expr::Context(c) = &arg.inner
                        && c.as_pattern().is_some_and(|p| p.starts_with("secrets."))
                    {
                        let raw = arg.origin.raw.trim();
                        return Some(raw.get(8..).unwrap_or(raw).to_string());
                    }
                }
            }
            call.args.iter().find_map(decoded_secret)
        }
        Expr::Context(c) => c.parts.iter().find_map(decoded_secret),
        Expr::Index(i) => decoded_secret(i),
        Expr::BinExpr(b) => decoded_secret(&b.lhs).or_else(|| decoded_secret(&b.rhs)),
        Expr::UnExpr { expr, .. } => decoded_secret(expr),
        _ => None,
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for site in &m.sites {
        let body = m.text(&site.body);
        let lower = body.to_ascii_lowercase();
        if !(lower.contains("fromjson") && lower.contains("secrets")) {
            continue;
        }
        let Ok(e) = Expr::parse(body) else { continue };
        let Some(name) = decoded_secret(&e) else { continue };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                site.range.clone(),
                format!(
                    "`secrets.{name}` is decoded as JSON: the fields taken from it are not masked in the log; store each value as its own secret"
                ),
            )
            .content(format!("fromJSON secrets.{name}")),
        );
    }
}
