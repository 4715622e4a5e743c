//! `github/unsound-contains`: `contains('refs/heads/main refs/heads/dev', github.ref)` in an
//! `if:` is a substring test, not a list membership test: a branch named `mai` or `heads/d`
//! passes it. High when whoever pushes or opens a pull request chooses the value (refs, branch
//! names, actors, env vars); low for other contexts.

use github_actions_expressions::{Expr, call::Function, literal::Literal};

use crate::analyzers::github::conditions::{conditions, nodes};
use crate::analyzers::github::expr;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnsoundContains, check);

/// Contexts whose value a pusher or a pull request's author chooses.
fn chosen_by_outsiders(ctx: &str) -> bool {
    matches!(
        ctx,
        "github.ref" | "github.ref_name" | "github.head_ref" | "github.base_ref" | "github.actor"
            | "github.triggering_actor"
    ) || ctx.starts_with("env.")
        || ctx.starts_with("github.event.")
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for cond in conditions(m) {
        let v = cond.value;
        let sites = expr::find(v, 0);
        let bodies: Vec<&str> = if sites.is_empty() {
            vec![v]
        } else {
            sites.iter().map(|s| &v[s.body.clone()]).collect()
        };
        for body in bodies {
            let Ok(parsed) = Expr::parse(body.trim()) else { continue };
            for n in nodes(&parsed, 4096) {
                let Expr::Call(call) = &n.inner else { continue };
                if call.func != Function::Contains || call.args.len() != 2 {
                    continue;
                }
                let Expr::Literal(Literal::String(list)) = &call.args[0].inner else { continue };
                let Expr::Context(ctx) = &call.args[1].inner else { continue };
                let Some(name) = ctx.as_pattern() else { continue };
                // One word with no separator is an exact-ish test (`contains('main', x)` is
                // still a substring test, but only of one name): report lists.
                if !list.contains([' ', ',', '|', ';']) && !list.starts_with('[') {
                    continue;
                }
                let high = chosen_by_outsiders(&name);
                let mut f = RawFinding::new(
                    ID,
                    m.file,
                    m.value_bytes(&cond.route),
                    format!(
                        "the `if:` of {} tests `{}` with `contains('{}', …)`: with a string first argument this is a substring test, so any value that is part of the string passes (a branch named after a fragment of it); use `fromJSON('[…]')` or `==` comparisons",
                        cond.what, call.args[1].origin.raw, list
                    ),
                )
                .content(format!("{} contains {name}", cond.what));
                if !high {
                    f = f.severity(Severity::Low).confidence(Confidence::Medium);
                }
                out.push(f);
            }
        }
    }
}
