//! `github/unsound-ternary`: `cond && X || Y` used as a ternary, where `X` is falsy (`''`, `0`,
//! `false`, `null`): the expression is `Y` whatever `cond` is.

use github_actions_expressions::{Expr, op::BinOp};

use crate::analyzers::github::conditions::nodes;
use crate::analyzers::github::facts::Facts;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnsoundTernary, check);

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    for site in &m.sites {
        let body = m.text(&site.body);
        if !(body.contains("&&") && body.contains("||")) {
            continue;
        }
        let Ok(e) = Expr::parse(body.trim()) else { continue };
        for n in nodes(&e, 4096) {
            let Expr::BinExpr(or) = &n.inner else { continue };
            if or.op != BinOp::Or {
                continue;
            }
            let Expr::BinExpr(and) = &or.lhs.inner else { continue };
            if and.op != BinOp::And || !and.rhs.is_literal() {
                continue;
            }
            let Some(val) = and.rhs.consteval() else { continue };
            if val.as_boolean() {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    site.range.clone(),
                    format!(
                        "`{}` is not a ternary: `{}` is falsy, so `&&` never yields it and the expression is always `{}`; swap the condition and the branches (`!cond && Y || X`) or use `case()`",
                        body.trim(),
                        and.rhs.origin.raw,
                        or.rhs.origin.raw
                    ),
                )
                .severity(Severity::Low)
                .confidence(Confidence::High)
                .content(format!("ternary {}", body.trim())),
            );
        }
    }
}
