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
    /// `steps.<id>.outputs.<name>` and `needs.<job>.outputs.<name>` (lower-cased) written from
    /// tainted text, and the step outputs known to be written from literals only.
    outputs: BTreeMap<String, Origin>,
    pub clean_outputs: BTreeSet<String>,
}

/// Outputs of the file's jobs as other jobs read them (`needs.<job>.outputs.<name>`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub tainted: BTreeMap<String, Origin>,
    pub clean: BTreeSet<String>,
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
    /// The workflow's and the job's `env:`, and the job's matrix; `needs` holds the tainted
    /// outputs of other jobs (`needs.<job>.outputs.<name>`).
    pub fn job(m: &Model<'_>, job: &Job, needs: &Needs) -> EnvScope {
        let mut s = EnvScope {
            ref_by_pusher: m.has_trigger("push") || m.has_trigger("create"),
            inputs: workflow_inputs(m),
            outputs: needs.tainted.clone(),
            clean_outputs: needs.clean.clone(),
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
        if ctx.starts_with("steps.") || ctx.starts_with("needs.") {
            return match self.outputs.get(ctx) {
                Some(Origin::Outsider) => t(
                    "an output written from attacker-controlled text",
                    Origin::Outsider,
                ),
                Some(Origin::Writer) => t(
                    "an output written from writer-controlled text",
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

impl EnvScope {
    /// After step `step` ran (with `scope`, its own env added): the outputs it writes to
    /// `$GITHUB_OUTPUT` from tainted text (`echo "t=$TITLE" >> "$GITHUB_OUTPUT"`, a heredoc
    /// `t<<EOF` block) become tainted `steps.<id>.outputs.<name>`; ones written from literals
    /// only are known clean.
    pub fn note_outputs(&mut self, step: &Step, scope: &EnvScope) {
        let Some(run) = step.run.as_deref() else {
            return;
        };
        if let Some(id) = step.id.as_deref()
            && run.contains("GITHUB_OUTPUT")
        {
            let (written, literal) = Self::file_writes(run, "GITHUB_OUTPUT", scope);
            for (name, o) in written {
                let key = format!(
                    "steps.{}.outputs.{}",
                    id.to_ascii_lowercase(),
                    name.to_ascii_lowercase()
                );
                match o {
                    Some(o) => {
                        self.clean_outputs.remove(&key);
                        self.outputs.insert(key, o);
                    }
                    None if literal.contains(&name) => {
                        self.clean_outputs.insert(key);
                    }
                    None => {
                        self.clean_outputs.remove(&key);
                    }
                }
            }
        }
        // `echo "X=$TITLE" >> "$GITHUB_ENV"`: later steps read `env.X` as that text.
        if run.contains("GITHUB_ENV") {
            let (written, _) = Self::file_writes(run, "GITHUB_ENV", scope);
            for (name, o) in written {
                self.tainted.retain(|k, _| !k.eq_ignore_ascii_case(&name));
                if let Some(o) = o {
                    self.tainted.insert(name, o);
                }
            }
        }
    }

    /// The `name=value` / `name<<DELIM` writes of a script to an env file: each name with the
    /// strongest taint written to it, and the names only ever written literal text.
    fn file_writes(
        run: &str,
        file: &str,
        scope: &EnvScope,
    ) -> (BTreeMap<String, Option<Origin>>, BTreeSet<String>) {
        use super::rules::env_file_injection::{derived_var, writer_segment};
        // Shell variables carrying taint: env names first, then assignments from them.
        let mut vars: Vec<(String, Origin)> =
            scope.tainted.iter().map(|(k, o)| (k.clone(), *o)).collect();
        let mut written: BTreeMap<String, Option<Origin>> = BTreeMap::new();
        let mut literal: BTreeSet<String> = BTreeSet::new();
        let mut computed: BTreeSet<String> = BTreeSet::new();
        let mut heredoc: Option<(String, String)> = None;
        for line in run.lines().take(10_000) {
            let names: Vec<String> = vars.iter().map(|(n, _)| n.clone()).collect();
            if let Some(n) = derived_var(line, &names) {
                let o = vars
                    .iter()
                    .filter(|(v, _)| {
                        line.contains(&format!("${v}")) || line.contains(&format!("${{{v}}}"))
                    })
                    .map(|(_, o)| *o)
                    .max()
                    .unwrap_or(Origin::Writer);
                vars.push((n, o));
            } else if let Some(o) = Self::line_taint(line, scope, &[]) {
                // `x=$(jq … <<< "${{ github.event.issue.body }}")`
                if let Some(n) = assigned_name(line) {
                    vars.push((n, o));
                }
            }
            let Some(seg) = writer_segment(line, file) else {
                continue;
            };
            let body = seg.split(">>").next().unwrap_or(seg);
            let taint = Self::line_taint(body, scope, &vars);
            if let Some((name, delim)) = &heredoc {
                if body.contains(delim.as_str()) && !body.contains("<<") {
                    heredoc = None;
                } else {
                    let e = written.entry(name.clone()).or_insert(None);
                    *e = (*e).max(taint);
                    computed.insert(name.clone());
                    continue;
                }
            }
            let Some((name, rest)) = output_assignment(body) else {
                continue;
            };
            if let Some(d) = rest.strip_prefix("<<") {
                let d = d.trim().trim_matches(['"', '\'']).to_string();
                if !d.is_empty() {
                    heredoc = Some((name.clone(), d));
                }
                written.entry(name).or_insert(None);
                continue;
            }
            if !rest.contains('$') && !rest.contains('`') {
                literal.insert(name.clone());
            } else {
                computed.insert(name.clone());
            }
            let e = written.entry(name).or_insert(None);
            *e = (*e).max(taint);
        }
        literal.retain(|n| !computed.contains(n));
        (written, literal)
    }

    /// The strongest taint in a piece of shell: `${{ }}` contexts, `$VAR` of tainted vars.
    fn line_taint(text: &str, scope: &EnvScope, vars: &[(String, Origin)]) -> Option<Origin> {
        let e = scope.value_taint(text).map(|t| t.origin);
        let v = vars
            .iter()
            .filter(|(n, _)| text.contains(&format!("${n}")) || text.contains(&format!("${{{n}}}")))
            .map(|(_, o)| *o)
            .max();
        e.max(v)
    }

    /// The job's `outputs:` (in the workflow) that carry tainted text, as
    /// `needs.<job>.outputs.<name>` (lower-cased); ones made only of known-clean step outputs
    /// are added to `clean_outputs` under the same name.
    pub fn job_outputs(&mut self, m: &Model<'_>, job: &Job) -> BTreeMap<String, Origin> {
        let mut out = BTreeMap::new();
        let Some(outputs) = m
            .value_at(&job.route)
            .and_then(|j| j.as_mapping()?.get("outputs"))
            .and_then(Value::as_mapping)
        else {
            return out;
        };
        for (k, v) in outputs {
            let (Some(k), Some(v)) = (super::model::scalar(k), super::model::scalar(v)) else {
                continue;
            };
            let key = format!(
                "needs.{}.outputs.{}",
                job.id.to_ascii_lowercase(),
                k.to_ascii_lowercase()
            );
            if let Some(t) = self.value_taint(&v) {
                out.insert(key, t.origin);
            } else {
                let sites = expr::find(&v, 0);
                let clean = !sites.is_empty()
                    && sites.iter().all(|s| {
                        let c = expr::dataflow_contexts(&v[s.body.clone()]);
                        !c.is_empty() && c.iter().all(|c| self.clean_outputs.contains(c))
                    });
                if clean {
                    self.clean_outputs.insert(key);
                }
            }
        }
        out
    }
}

/// `NAME=` at the start of a shell line (after `export`/`local`).
fn assigned_name(line: &str) -> Option<String> {
    let l = line.trim();
    let l = l
        .strip_prefix("export ")
        .or_else(|| l.strip_prefix("local "))
        .unwrap_or(l);
    let (name, _) = l.split_once('=')?;
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    ok.then(|| name.to_string())
}

/// In the command part of an output write (`echo "name=value"`, `printf 'name=%s\n' …`): the
/// output's name and the text after `=`.
fn output_assignment(body: &str) -> Option<(String, &str)> {
    // `name=value`, or `name<<DELIM` (the rest then starts with `<<`).
    let eq = body.find('=');
    let hd = body.find("<<");
    let (at, skip) = match (eq, hd) {
        (Some(e), Some(h)) if h < e => (h, 0),
        (Some(e), _) => (e, 1),
        (None, Some(h)) => (h, 0),
        (None, None) => return None,
    };
    let before = &body[..at];
    // The name starts after the last character that cannot be in one (which may be several
    // bytes long: a U+FFFD from invalid UTF-8, found by the fuzzer).
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name = &before[start..];
    if name.is_empty() || name.starts_with('-') {
        return None;
    }
    Some((name.to_string(), &body[at + skip..]))
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
