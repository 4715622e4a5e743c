//! The `if:` conditions of a file (jobs and steps) with where they are, and an iterative walk of
//! a parsed expression (no recursion: crafted nesting cannot overflow the stack).

use github_actions_expressions::{Expr, SpannedExpr};

use super::model::{Model, Route, Seg, route_with};

/// One `if:`: its decoded value, the route of the `if` key, and what it guards.
pub struct Condition<'m> {
    pub value: &'m str,
    pub route: Route,
    pub what: String,
}

pub fn conditions<'m>(m: &'m Model<'_>) -> Vec<Condition<'m>> {
    let mut out = Vec::new();
    for job in &m.jobs {
        if let Some(v) = job.if_cond.as_deref() {
            out.push(Condition {
                value: v,
                route: route_with(&job.route, Seg::Key("if".into())),
                what: format!("job `{}`", job.id),
            });
        }
        for step in &job.steps {
            if let Some(v) = step.if_cond.as_deref() {
                out.push(Condition {
                    value: v,
                    route: route_with(&step.route, Seg::Key("if".into())),
                    what: format!("step `{}`", step.label()),
                });
            }
        }
    }
    out
}

/// Every sub-expression of `e` (itself included), outermost first; at most `limit` nodes.
pub fn nodes<'a, 'src>(e: &'a SpannedExpr<'src>, limit: usize) -> Vec<&'a SpannedExpr<'src>> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(n) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        out.push(n);
        match &n.inner {
            Expr::Call(c) => stack.extend(c.args.iter().rev()),
            Expr::Context(c) => stack.extend(c.parts.iter().rev()),
            Expr::Index(i) => stack.push(i),
            Expr::BinExpr(b) => {
                stack.push(&b.rhs);
                stack.push(&b.lhs);
            }
            Expr::UnExpr { expr, .. } => stack.push(expr),
            _ => {}
        }
    }
    out
}
