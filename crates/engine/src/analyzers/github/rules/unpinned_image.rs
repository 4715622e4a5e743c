//! `github/unpinned-image`: `container:` / `services:` / Docker-action images without a tag or
//! with `latest` (regular), by tag without digest (pedantic); matrix images value by value,
//! other expressions through their literal results (opaque ones at pedantic, low confidence).


use crate::analyzers::github::facts::Facts;
use crate::analyzers::github::model::{DocKind, Model, Route, Seg, route_with};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding, Severity};
use crate::rules::RuleId;

declare_rule!(RuleId::GithubUnpinnedImage, check);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pin {
    Digest,
    Tag,
    /// No tag, or `latest`.
    None,
}

fn pin_of(image: &str) -> Option<Pin> {
    let i = image.trim().trim_start_matches("docker://");
    if i.is_empty() || i.contains("${{") {
        return None;
    }
    if i.contains("@sha256:") {
        return Some(Pin::Digest);
    }
    let last = i.rsplit('/').next().unwrap_or(i);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() && !tag.eq_ignore_ascii_case("latest") => Some(Pin::Tag),
        _ => Some(Pin::None),
    }
}

/// The values an image expression can take: `(literal results, opaque)`. `matrix.K` resolves to
/// the matrix's values of K; string literals after `&&` / `||` are results; any other context in
/// a result position makes the value opaque.
fn expr_values(m: &Model<'_>, job_route: &Route, image: &str) -> (Vec<String>, Vec<String>) {
    let body = image.trim();
    let inner = body
        .strip_prefix("${{")
        .and_then(|b| b.strip_suffix("}}"))
        .unwrap_or(body)
        .trim();
    if let Some(key) = inner.strip_prefix("matrix.")
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        let vals = m
            .jobs
            .iter()
            .find(|j| &j.route == job_route)
            .map(|j| m.matrix_values(j, key))
            .unwrap_or_default();
        return (vals, Vec::new());
    }
    let mut lits = Vec::new();
    let mut opaque = Vec::new();
    // Split at the boolean operators: each operand of the last `&&` and every `||` alternative.
    for alt in inner.split("||") {
        let result = alt.rsplit("&&").next().unwrap_or(alt).trim();
        if let Some(l) = result.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            if !l.is_empty() {
                lits.push(l.to_string());
            }
        } else if !result.is_empty() {
            opaque.push(result.to_string());
        }
    }
    (lits, opaque)
}

pub fn check(a: &Facts<'_, '_>, _cx: &ScanContext<'_>, out: &mut Output) {
    let m = a.m;
    let mut images: Vec<(String, Route, Route, String)> = Vec::new(); // (image, value route, job route, what)
    for job in &m.jobs {
        if let Some(c) = &job.container
            && let Some(img) = &c.image
        {
            let r = if m.value_bytes(&c.route) == m.value_bytes(&route_with(&c.route, Seg::Key("image".into()))) {
                c.route.clone()
            } else {
                route_with(&c.route, Seg::Key("image".into()))
            };
            if m.kind == DocKind::Action {
                // `runs.image` of a Docker action: a local Dockerfile is built, not pulled.
                if img.trim().starts_with("docker://") {
                    images.push((img.clone(), r, job.route.clone(), "the action's image".into()));
                }
            } else {
                images.push((img.clone(), r, job.route.clone(), format!("the container of job `{}`", job.id)));
            }
        }
        for s in &job.services {
            if let Some(img) = &s.image {
                let name = match s.route.last() {
                    Some(Seg::Key(k)) => k.clone(),
                    _ => String::new(),
                };
                images.push((
                    img.clone(),
                    route_with(&s.route, Seg::Key("image".into())),
                    job.route.clone(),
                    format!("service `{name}` of job `{}`", job.id),
                ));
            }
        }
    }
    for (img, route, job_route, what) in images {
        let bytes = m.value_bytes(&route);
        let (values, opaque) = if img.contains("${{") {
            expr_values(m, &job_route, &img)
        } else {
            (vec![img.clone()], Vec::new())
        };
        let mut any = false;
        for v in &values {
            let (persona, sev, msg) = match pin_of(v) {
                Some(Pin::None) => (
                    Persona::Regular,
                    Severity::High,
                    format!("{what} uses `{v}` with no tag or `latest`: the registry decides what runs; pin it by digest"),
                ),
                Some(Pin::Tag) => (
                    Persona::Pedantic,
                    Severity::Low,
                    format!("{what} uses `{v}` by tag, which can be moved; pin it by digest"),
                ),
                _ => continue,
            };
            any = true;
            out.push(
                RawFinding::new(ID, m.file, bytes.clone(), msg)
                    .severity(sev)
                    .persona(persona)
                    .content(format!("image {what} {v}")),
            );
        }
        if any {
            continue;
        }
        // One finding per operand whose value is not known here.
        for op in opaque {
            out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    bytes.clone(),
                    format!("{what} comes from `{op}`, whose value cannot be checked for a digest pin"),
                )
                .severity(Severity::Low)
                .persona(Persona::Pedantic)
                .confidence(Confidence::Low)
                .content(format!("image {what} {op}")),
            );
        }
    }
}
