//! `compose/secret-in-env`: a literal credential in a service's `environment` (map or
//! `KEY=value` list) or `build.args`: a secret-looking name with a literal value, or a value in
//! a known credential format. `${VAR}` interpolation and pass-through names are fine. Values are
//! redacted.

use serde_yaml::Value;
use yamlpath::Component;

use crate::analyzers::compose::model::{Model, scalar};
use crate::analyzers::common::secrets::{is_secret_name, looks_like_secret_value};
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::ComposeSecretInEnv, check);

/// A value that comes from elsewhere rather than being written here.
fn is_reference(v: &str) -> bool {
    let v = v.trim();
    v.is_empty() || v.starts_with('$') || v.starts_with("/run/secrets/")
}

fn flagged(name: &str, value: &str) -> bool {
    looks_like_secret_value(value) || (is_secret_name(name) && !is_reference(value))
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for s in m.services() {
        let mut places: Vec<(Vec<Component<'static>>, &Value)> = Vec::new();
        if let Some(env) = s.value.get("environment") {
            places.push((vec![Component::from("environment")], env));
        }
        if let Some(args) = s.value.get("build").and_then(|b| b.get("args")) {
            places.push((
                vec![Component::from("build"), Component::from("args")],
                args,
            ));
        }
        for (base, env) in places {
            match env {
                Value::Mapping(map) => {
                    for (k, v) in map {
                        let (Some(name), Some(value)) = (k.as_str(), scalar(v)) else {
                            continue;
                        };
                        if !flagged(name, &value) {
                            continue;
                        }
                        let mut path = base.clone();
                        path.push(Component::from(name.to_string()));
                        let value_span = m.span(&s.name, &path);
                        let start = m
                            .key_span(&s.name, &path)
                            .map_or(value_span.start, |k| k.start);
                        report(m, &s.name, name, start..value_span.end, value_span, out);
                    }
                }
                Value::Sequence(list) => {
                    for (i, item) in list.iter().enumerate() {
                        let Some(entry) = item.as_str() else { continue };
                        let Some((name, value)) = entry.split_once('=') else {
                            continue;
                        };
                        if !flagged(name, value) {
                            continue;
                        }
                        let mut path = base.clone();
                        path.push(Component::from(i));
                        let span = m.span(&s.name, &path);
                        // Redact after `NAME=` within the item.
                        let text = m.file.text.get(span.clone()).unwrap_or_default();
                        let value_span = text
                            .find('=')
                            .map_or(span.clone(), |eq| span.start + eq + 1..span.end);
                        report(m, &s.name, name, span, value_span, out);
                    }
                }
                _ => {}
            }
        }
    }
}

fn report(
    m: &Model<'_>,
    service: &str,
    name: &str,
    span: std::ops::Range<usize>,
    value_span: std::ops::Range<usize>,
    out: &mut Output,
) {
    out.push(
        RawFinding::new(
            ID,
            m.file,
            span,
            format!("service `{service}` sets `{name}` to a literal credential"),
        )
        .content(format!("{service} {name}"))
        .redact(m.file, value_span),
    );
}
