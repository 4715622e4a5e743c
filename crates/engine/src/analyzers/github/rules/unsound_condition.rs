//! `github/unsound-condition`: an `if:` that is always true. Text outside a `${{ }}` fence —
//! `${{ a }} && ${{ b }}`, a block scalar that keeps its trailing newline, a trailing space —
//! makes GitHub evaluate the condition as a string, and every non-empty string is true. Also a
//! condition that is a constant true (`${{ true }}`, `1 == 1`): the guard it stands for is gone.

use github_actions_expressions::Expr;

use crate::analyzers::github::conditions::conditions;
use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnsoundCondition, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for c in conditions(m) {
        let v = c.value;
        let sites = expr::find(v, 0);
        let whole = sites.len() == 1 && sites[0].range == (0..v.len());
        let bytes = m.value_bytes(&c.route);
        if !sites.is_empty() && !whole {
            let why = if sites.len() == 1 && v.ends_with('\n') && v.trim_end() == &v[..sites[0].range.end] {
                "the block scalar keeps its trailing newline (use `|-` or `>-`, or drop the `${{ }}`)"
            } else if sites.len() > 1 {
                "several `${{ }}` joined by text (write one expression without the fences)"
            } else {
                "text outside the `${{ }}` (write the whole condition inside one expression, or without the fences)"
            };
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "the `if:` of {} is always true: {why}; GitHub expands the fenced parts into a string, and a non-empty string is true",
                        c.what
                    ),
                )
                .content(format!("{} unsound {}", c.what, v.trim())),
            );
            continue;
        }
        let body = if whole { &v[sites[0].body.clone()] } else { v };
        let Ok(e) = Expr::parse(body.trim()) else { continue };
        // A bare `if: true` is a plain switch; a fenced constant or a constant comparison
        // stands where a check was.
        if !e.contexts().is_empty() || matches!(e.inner, Expr::Call(_)) || (!whole && e.is_literal()) {
            continue;
        }
        if e.consteval().is_some_and(|r| r.as_boolean()) {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes,
                    format!(
                        "the `if:` of {} is the constant `{}`: it always runs, so whatever check the condition stood for is not made; remove it or write the real check",
                        c.what,
                        v.trim()
                    ),
                )
                .severity(Severity::Low)
                .confidence(Confidence::Medium)
                .content(format!("{} constant {}", c.what, v.trim())),
            );
        }
    }
}
