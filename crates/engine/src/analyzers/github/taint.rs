//! Taint of expressions: which `env:` names are bound to attacker-controlled text in a step's
//! scope, and, for every `${{ }}` expanded into code (a `run:` script, a github-script
//! `script:`), the attacker-controlled context that flows into it, if any.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde_yaml::Value;

use super::expr;
use super::model::{Job, KeyValue, Model, Seg, Step, route_with};
use super::reach;

/// Env names bound in a scope (workflow → job → step): to PR-head expressions (`refs`,
/// lower-cased) and to attacker- or writer-controlled text (`tainted`, as written, with the
/// taint of the value). A name redefined with a value that carries no taint in a narrower scope
/// is clean there (`env:` precedence is step → job → workflow).
#[derive(Clone, Default)]
pub struct EnvScope {
    pub refs: BTreeSet<String>,
    pub tainted: BTreeMap<String, Origin>,
    /// `matrix.<key>` (lower-cased) bound to tainted text, and whether the whole matrix is.
    matrix: BTreeMap<String, Origin>,
    matrix_all: Option<Origin>,
    /// The workflow's `workflow_dispatch` / `workflow_call` string inputs (lower-cased), and
    /// whether `github.ref_name` is a branch a pusher names (push / create triggers).
    inputs: Option<BTreeSet<String>>,
    ref_by_pusher: bool,
}

/// Who controls a tainted value: anyone who can open an issue, PR or comment (`Outsider`), or
/// only someone with write access or a token (`Writer`: dispatch inputs, reusable-workflow
/// inputs, `repository_dispatch` payloads, pushed branch names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    Writer,
    Outsider,
}

impl EnvScope {
    /// The workflow's and the job's `env:`, and the job's matrix.
    pub fn job(m: &Model<'_>, job: &Job) -> EnvScope {
        let mut s = EnvScope {
            ref_by_pusher: m.has_trigger("push") || m.has_trigger("create"),
            inputs: workflow_inputs(m),
            ..EnvScope::default()
        };
        s.bind_matrix(m, job);
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
            let taint = self.value_taint(&kv.value);
            self.tainted
                .retain(|k, _| !k.eq_ignore_ascii_case(&kv.name));
            if let Some(t) = taint {
                self.tainted.insert(kv.name.clone(), t.origin);
            }
        }
    }

    /// The strongest taint of the expressions in a value (a YAML scalar with `${{ }}`).
    fn value_taint(&self, value: &str) -> Option<Taint> {
        let mut best: Option<Taint> = None;
        for s in expr::find(value, 0) {
            for c in expr::dataflow_contexts(&value[s.body.clone()]) {
                if let Some(t) = self.taint_of(&c)
                    && best.as_ref().is_none_or(|b| t.origin > b.origin)
                {
                    best = Some(t);
                }
            }
        }
        best
    }

    /// `strategy.matrix`: an expression makes every `matrix.*` tainted by its source; a member
    /// (or an `include:` entry's member) whose literal value holds a tainted expression taints
    /// `matrix.<key>`. Static literal members stay clean.
    fn bind_matrix(&mut self, m: &Model<'_>, job: &Job) {
        let Some(matrix) = m
            .value_at(&job.route)
            .and_then(|j| j.as_mapping()?.get("strategy"))
            .and_then(|s| s.as_mapping()?.get("matrix"))
        else {
            return;
        };
        match matrix {
            Value::String(s) => self.matrix_all = self.value_taint(s).map(|t| t.origin),
            Value::Mapping(map) => {
                let mut members: Vec<(String, &Value)> = Vec::new();
                for (k, v) in map {
                    let Some(k) = super::model::scalar(k) else {
                        continue;
                    };
                    if k == "include" || k == "exclude" {
                        if k == "include"
                            && let Value::Sequence(rows) = v
                        {
                            for row in rows {
                                if let Some(rm) = row.as_mapping() {
                                    for (rk, rv) in rm {
                                        if let Some(rk) = super::model::scalar(rk) {
                                            members.push((rk, rv));
                                        }
                                    }
                                }
                            }
                        } else if k == "include"
                            && let Value::String(s) = v
                            && let Some(t) = self.value_taint(s)
                        {
                            self.matrix_all = Some(t.origin);
                        }
                        continue;
                    }
                    members.push((k, v));
                }
                for (k, v) in members {
                    let mut scalars = Vec::new();
                    super::model::all_scalars(v, &mut scalars);
                    let origin = scalars
                        .iter()
                        .filter_map(|s| self.value_taint(s).map(|t| t.origin))
                        .max();
                    if let Some(o) = origin {
                        let e = self.matrix.entry(k.to_ascii_lowercase()).or_insert(o);
                        *e = (*e).max(o);
                    }
                }
            }
            _ => {}
        }
    }

    /// Why a context is attacker- or writer-controlled in this scope.
    pub fn taint_of(&self, ctx: &str) -> Option<Taint> {
        let t = |why: &'static str, origin| {
            Some(Taint {
                context: ctx.to_string(),
                why,
                origin,
            })
        };
        if let Some(why) = expr::attacker_controlled(ctx) {
            return t(why, Origin::Outsider);
        }
        if let Some(v) = ctx.strip_prefix("env.") {
            return match self.tainted.iter().find(|(k, _)| k.eq_ignore_ascii_case(v)) {
                Some((_, Origin::Outsider)) => t(
                    "an env var set from attacker-controlled text",
                    Origin::Outsider,
                ),
                Some((_, Origin::Writer)) => {
                    t("an env var set from writer-controlled text", Origin::Writer)
                }
                None => None,
            };
        }
        if ctx == "matrix" || ctx.starts_with("matrix.") {
            let member = ctx.strip_prefix("matrix.");
            let o = self.matrix_all.or_else(|| match member {
                Some(k) => self.matrix.get(k).copied(),
                None => self.matrix.values().copied().max(),
            });
            return match o {
                Some(Origin::Outsider) => t(
                    "a matrix value built from attacker-controlled text",
                    Origin::Outsider,
                ),
                Some(Origin::Writer) => t(
                    "a matrix value built from writer-controlled text",
                    Origin::Writer,
                ),
                None => None,
            };
        }
        if let Some(why) = expr::writer_controlled(ctx) {
            return t(why, Origin::Writer);
        }
        if let Some(name) = ctx
            .strip_prefix("inputs.")
            .or_else(|| ctx.strip_prefix("github.event.inputs."))
            && self
                .inputs
                .as_ref()
                .is_some_and(|i| i.contains(name) || name == "*")
        {
            return t("a workflow_dispatch / workflow_call input", Origin::Writer);
        }
        if ctx == "github.ref_name" && self.ref_by_pusher {
            return t("the name of a pushed branch or tag", Origin::Writer);
        }
        None
    }
}

/// Inputs of `workflow_dispatch` / `workflow_call` that can hold free text: type `string` or
/// no type (booleans, numbers, choices and environments are constrained). `None`: neither
/// trigger, so `inputs.*` is not the workflow's (a composite action's inputs are resolved
/// across files instead).
pub fn workflow_inputs(m: &Model<'_>) -> Option<BTreeSet<String>> {
    if m.kind != super::model::DocKind::Workflow {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut any = false;
    for name in ["workflow_dispatch", "workflow_call"] {
        let Some(tr) = m.trigger(name) else { continue };
        any = true;
        let Some(inputs) = tr.config.as_mapping().and_then(|c| c.get("inputs")) else {
            continue;
        };
        for (k, v) in inputs.as_mapping().into_iter().flatten() {
            let Some(k) = super::model::scalar(k) else {
                continue;
            };
            let ty = v
                .as_mapping()
                .and_then(|d| d.get("type"))
                .and_then(super::model::scalar)
                .unwrap_or_else(|| "string".into());
            if ty.eq_ignore_ascii_case("string") {
                out.insert(k.to_ascii_lowercase());
            }
        }
    }
    any.then_some(out)
}

/// An attacker-controlled context and why it is.
#[derive(Clone, Debug)]
pub struct Taint {
    pub context: String,
    pub why: &'static str,
    pub origin: Origin,
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

/// Action inputs evaluated as code or shell: `owner/repo` (lower-cased) → input name. A
/// `${{ }}` in these is expanded into the program text before it runs, like in `run:`.
pub const CODE_INPUTS: &[(&str, &str)] = &[
    ("actions/github-script", "script"),
    ("mikefarah/yq", "cmd"),
    ("amadevus/pwsh-script", "script"),
    ("azure/cli", "inlinescript"),
    ("azure/powershell", "inlinescript"),
    ("jannekem/run-python-script-action", "script"),
    ("appleboy/ssh-action", "script"),
    ("cardinalby/js-eval-action", "expression"),
    ("addnab/docker-run-action", "run"),
    ("kohlerdominik/docker-run-action", "run"),
    ("garygrossgarten/github-action-ssh", "command"),
];

/// The code sink of a step: its `run:`, or the input of an action that evaluates it as code
/// ([`CODE_INPUTS`]): (the sink's name for messages, its route).
pub fn code_sink(step: &Step) -> Option<(&'static str, super::model::Route)> {
    if step.run.is_some() {
        return Some(("run", route_with(&step.route, Seg::Key("run".into()))));
    }
    let action = step.action()?;
    let (_, input) = CODE_INPUTS.iter().find(|(a, _)| *a == action)?;
    step.with_value(input).map(|kv| (*input, kv.route.clone()))
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
        // The strongest taint: an outsider's text before a writer's.
        let mut taint: Option<Taint> = None;
        for ctx in expr::dataflow_contexts(body) {
            if let Some(t) = scope.taint_of(&ctx)
                && taint.as_ref().is_none_or(|b| t.origin > b.origin)
            {
                taint = Some(t);
            }
        }
        out.push(SinkSite {
            step: si,
            bytes: site.range.clone(),
            sink,
            taint,
        });
    }
}
