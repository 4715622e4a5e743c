//! `github/obfuscation`: constructs that hide what a workflow does from its readers and from
//! tools that match text: `uses:` paths with empty, `.` or `..` segments (`actions/checkout/@…`
//! is `actions/checkout@…`), expressions that are constants (`${{ 'a' }}`, `format('{0}', 'x')`,
//! `true || false`), `fromJSON(toJSON(x))` round trips, a whole `with:` given as one expression,
//! and (pedantic) computed indices such as `inputs[inputs.name]`.

use github_actions_expressions::{Evaluation, Expr, SpannedExpr, call::Function};

use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{Seg, route_with};
use crate::analyzers::github::uses;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Persona, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubObfuscation, check);

/// What is odd about a `uses:` path, and the path written plainly when it can be.
fn odd_path(path: &str) -> Option<(&'static str, Option<String>)> {
    let (prefix, rest) = match path.strip_prefix("./") {
        Some(r) => ("./", r),
        None => ("", path),
    };
    // `./` is the repository's root action; a trailing `/` on a local path changes nothing.
    let rest = if prefix.is_empty() {
        rest
    } else {
        rest.trim_end_matches('/')
    };
    if rest.is_empty() {
        return None;
    }
    let segs: Vec<&str> = rest.split('/').collect();
    let why = if segs.contains(&"..") {
        "a `..` segment"
    } else if segs.contains(&".") {
        "a `.` segment"
    } else if segs.iter().any(|s| s.is_empty()) {
        "an empty segment (`//` or a trailing `/`)"
    } else {
        return None;
    };
    // The plain form, unless `..` climbs out of the repository (owner/repo for a remote one).
    let floor = if prefix.is_empty() { 2 } else { 0 };
    let mut out: Vec<&str> = Vec::new();
    let mut ok = true;
    for s in segs {
        match s {
            "" | "." => {}
            ".." => {
                if out.len() <= floor {
                    ok = false;
                    break;
                }
                out.pop();
            }
            s => out.push(s),
        }
    }
    let plain = (ok && out.len() >= floor.max(1)).then(|| format!("{prefix}{}", out.join("/")));
    Some((why, plain))
}

/// `fromJSON(toJSON(x))` anywhere in the expression: a round trip that changes nothing.
fn round_trips<'a>(e: &'a SpannedExpr<'a>, out: &mut Vec<&'a SpannedExpr<'a>>) {
    match &e.inner {
        Expr::Call(c) => {
            if c.func == Function::FromJSON
                && let [arg] = c.args.as_slice()
                && let Expr::Call(inner) = &arg.inner
                && inner.func == Function::ToJSON
            {
                out.push(e);
            }
            for a in &c.args {
                round_trips(a, out);
            }
        }
        Expr::Context(c) => c.parts.iter().for_each(|p| round_trips(p, out)),
        Expr::Index(i) => round_trips(i, out),
        Expr::BinExpr(b) => {
            round_trips(&b.lhs, out);
            round_trips(&b.rhs, out);
        }
        Expr::UnExpr { expr, .. } => round_trips(expr, out),
        _ => {}
    }
}

/// A constant's value as it would be written in place of the expression.
fn shown(v: &Evaluation) -> Option<String> {
    match v {
        Evaluation::Array(_) | Evaluation::Object(_) => None,
        other => Some(other.sema().to_string()),
    }
}

fn check_uses(a: &Facts<'_, '_>, out: &mut Output) {
    let m = a.m;
    for u in uses::sites(m) {
        let path = if u.text.starts_with("./") {
            u.text.as_str()
        } else if let Some((p, _)) = uses::split_repo_ref(&u.text) {
            p
        } else {
            continue;
        };
        let Some((why, plain)) = odd_path(path) else {
            continue;
        };
        let fix = match plain {
            Some(p) => format!("write it as `{p}{}`", &u.text[path.len()..]),
            None => "the `..` leaves the repository: this reference cannot resolve as written".into(),
        };
        out.push(
            RawFinding::new(
                ID,
                m.file,
                u.bytes(m),
                format!("`{}`: the action path has {why}, which hides which action runs from readers and from rules that match action names; {fix}", u.text),
            )
            .content(format!("obfuscated uses {}", u.text)),
        );
    }
}

fn is_plain_context(body: &str) -> bool {
    let b = body.trim();
    b.starts_with(|c: char| c.is_ascii_alphabetic())
        && b.contains('.')
        && b
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'*'))
}

fn check_exprs(facts: &Facts<'_, '_>, out: &mut Output) {
    let m = facts.m;
    for site in &m.sites {
        let body = m.text(&site.body);
        // Most expressions read one context (`github.sha`): nothing constant or computed.
        if is_plain_context(body) {
            continue;
        }
        let Ok(expr) = Expr::parse(body) else { continue };
        let at = |s: &SpannedExpr<'_>| {
            let start = site.body.start + s.origin.span.start;
            start..(site.body.start + s.origin.span.end).max(start)
        };
        let indices: Vec<std::ops::Range<usize>> =
            expr.computed_indices().into_iter().map(&at).collect();
        let mut found: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        if expr.is_literal() {
            if let Some(v) = expr.consteval().as_ref().and_then(shown) {
                found.push((
                    site.range.clone(),
                    format!("`{}` is a constant: write `{v}` instead of an expression", m.text(&site.range)),
                ));
            }
        } else {
            for (sub, v) in expr.consteval_subexprs() {
                let range = at(sub);
                // A constant inside a computed index is part of that (pedantic) finding.
                if indices.iter().any(|i| i.start <= range.start && range.end <= i.end) {
                    continue;
                }
                let Some(v) = shown(&v) else { continue };
                let whole = sub.origin.raw == body.trim();
                let what = if whole { "the expression" } else { "the sub-expression" };
                found.push((
                    range,
                    format!("{what} `{}` always evaluates to `{v}`: write the value instead", sub.origin.raw),
                ));
            }
        }
        let mut trips = Vec::new();
        round_trips(&expr, &mut trips);
        for t in trips {
            found.push((
                at(t),
                format!("`{}` converts a value to JSON and back: it is the value itself", t.origin.raw),
            ));
        }
        for (span, msg) in found {
            out.push(
                RawFinding::new(ID, m.file, span.clone(), msg)
                    .content(format!("obfuscated expression {}", m.text(&span))),
            );
        }
        for span in indices {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    span.clone(),
                    format!("`{}`: a computed index hides which value is read; name it", m.text(&span)),
                )
                .persona(Persona::Pedantic)
                .content(format!("computed index {}", m.text(&span))),
            );
        }
    }
}

/// `with: ${{ … }}`: the inputs an action receives cannot be read from the workflow.
fn check_with(a: &Facts<'_, '_>, out: &mut Output) {
    let m = a.m;
    for job in &m.jobs {
        let routes = job
            .steps
            .iter()
            .filter(|s| s.uses.is_some())
            .map(|s| s.route.clone())
            .chain(job.uses.is_some().then(|| job.route.clone()));
        for route in routes {
            let with = route_with(&route, Seg::Key("with".into()));
            let Some(v) = m.value_at(&with).and_then(serde_yaml::Value::as_str) else {
                continue;
            };
            if !v.contains("${{") {
                continue;
            }
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    m.value_bytes(&with),
                    "`with:` is one expression: which inputs the action gets is decided at run time and cannot be reviewed or checked; list the inputs",
                )
                .severity(Severity::Info)
                .content(format!("expression with {}", v.trim())),
            );
        }
    }
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    check_uses(a, out);
    check_exprs(a, out);
    check_with(a, out);
}

#[cfg(test)]
mod tests {
    use super::odd_path;

    #[test]
    fn paths() {
        assert_eq!(odd_path("actions/checkout"), None);
        assert_eq!(
            odd_path("actions/checkout/").and_then(|x| x.1),
            Some("actions/checkout".into())
        );
        assert_eq!(
            odd_path("actions/cache/save/../save").and_then(|x| x.1),
            Some("actions/cache/save".into())
        );
        assert_eq!(odd_path("actions/cache/../../save").and_then(|x| x.1), None);
        assert_eq!(
            odd_path("github/codeql-action/./init").and_then(|x| x.1),
            Some("github/codeql-action/init".into())
        );
        assert_eq!(odd_path("./.github/actions/x"), None);
        assert_eq!(odd_path("./"), None);
        assert_eq!(odd_path("./x/"), None);
        assert_eq!(
            odd_path("./a//b").and_then(|x| x.1),
            Some("./a/b".into())
        );
    }
}
