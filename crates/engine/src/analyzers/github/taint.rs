//! Taint of expressions: which `env:` names are bound to attacker-controlled text in a step's
//! scope, and, for every `${{ }}` expanded into code (a `run:` script, a github-script
//! `script:`), the attacker-controlled context that flows into it, if any.

use std::collections::BTreeSet;
use std::ops::Range;

use super::expr;
use super::model::{Job, KeyValue, Model, Seg, Step, route_with};
use super::reach;

/// Env names bound in a scope (workflow → job → step): to PR-head expressions (`refs`,
/// lower-cased) and to attacker-controlled text (`tainted`, as written).
#[derive(Clone, Default)]
pub struct EnvScope {
    pub refs: BTreeSet<String>,
    pub tainted: BTreeSet<String>,
}

impl EnvScope {
    /// The workflow's and the job's `env:`.
    pub fn job(m: &Model<'_>, job: &Job) -> EnvScope {
        let mut s = EnvScope::default();
        s.bind(&m.env);
        s.bind(&job.env);
        s
    }

    /// This scope with a step's `env:` added.
    #[must_use]
    pub fn step(&self, step: &Step) -> EnvScope {
        let mut s = self.clone();
        s.bind(&step.env);
        s
    }

    fn bind(&mut self, kvs: &[KeyValue]) {
        reach::bind_refs(kvs, &mut self.refs);
        for kv in kvs {
            if expr::find(&kv.value, 0).iter().any(|s| {
                expr::dataflow_contexts(&kv.value[s.body.clone()])
                    .iter()
                    .any(|c| expr::attacker_controlled(c).is_some())
            }) {
                self.tainted.insert(kv.name.clone());
            }
        }
    }

    /// Why a context is attacker-controlled in this scope.
    pub fn taint_of(&self, ctx: &str) -> Option<&'static str> {
        expr::attacker_controlled(ctx).or_else(|| {
            ctx.strip_prefix("env.")
                .filter(|v| self.tainted.iter().any(|t| t.eq_ignore_ascii_case(v)))
                .map(|_| "an env var set from attacker-controlled text")
        })
    }
}

/// An attacker-controlled context and why it is.
#[derive(Clone, Debug)]
pub struct Taint {
    pub context: String,
    pub why: &'static str,
}

/// A `${{ }}` expanded into code: a `run:` script or a github-script `script:`.
#[derive(Clone, Debug)]
pub struct SinkSite {
    pub step: usize,
    pub bytes: Range<usize>,
    /// `run` or `script` (github-script).
    pub sink: &'static str,
    /// The first attacker-controlled context that flows into the value.
    pub taint: Option<Taint>,
}

/// The code sink of a step: its `run:`, or github-script's `script:` input.
pub fn code_sink(step: &Step) -> Option<(&'static str, super::model::Route)> {
    if step.run.is_some() {
        Some(("run", route_with(&step.route, Seg::Key("run".into()))))
    } else if step.action().as_deref() == Some("actions/github-script") {
        step.with_value("script")
            .map(|kv| ("script", kv.route.clone()))
    } else {
        None
    }
}

/// Every expression site of step `si`'s code sink, with its taint in `scope`.
pub fn sink_sites(
    m: &Model<'_>,
    si: usize,
    step: &Step,
    scope: &EnvScope,
    out: &mut Vec<SinkSite>,
) {
    let Some((sink, route)) = code_sink(step) else {
        return;
    };
    let r = m.value_bytes(&route);
    for site in m.sites_in(&r) {
        let body = m.text(&site.body);
        let taint = expr::dataflow_contexts(body)
            .into_iter()
            .find_map(|ctx| scope.taint_of(&ctx).map(|why| Taint { context: ctx, why }));
        out.push(SinkSite {
            step: si,
            bytes: site.range.clone(),
            sink,
            taint,
        });
    }
}
