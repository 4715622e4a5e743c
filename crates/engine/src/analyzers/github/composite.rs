//! Cross-file facts: a workflow passes attacker-controlled text (`with: title: ${{
//! github.event.issue.title }}`) to a local composite action (`uses: ./.github/actions/x`) whose
//! `run:` expands `${{ inputs.title }}`. Neither file is wrong alone; together they are a
//! script injection, which `rules/script_injection.rs` reports in the action.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use super::expr;
use super::facts::Facts;
use super::model::{DocKind, Model};
use super::reach::OUTSIDER;
use crate::source::FileKind;
use crate::source::SourceFile;

/// Inputs of one composite action that reach a script: input name → expression sites.
pub type Sinks = BTreeMap<String, Vec<(Range<usize>, String)>>;

pub fn action_sinks(file: &SourceFile) -> Sinks {
    let mut sinks = Sinks::new();
    let Ok(m) = Model::parse(file, DocKind::Action) else {
        return sinks;
    };
    for job in &m.jobs {
        for step in &job.steps {
            let Some((_, route)) = super::taint::code_sink(step) else {
                continue;
            };
            let r = m.value_bytes(&route);
            for site in m.sites_in(&r) {
                for ctx in expr::dataflow_contexts(m.text(&site.body)) {
                    if let Some(name) = ctx.strip_prefix("inputs.") {
                        sinks
                            .entry(name.to_string())
                            .or_default()
                            .push((site.range.clone(), step.label()));
                    }
                }
            }
        }
    }
    sinks
}

/// Inputs of a reusable workflow (`on: workflow_call`) that reach a script in one of its jobs:
/// free-text inputs only (type `string` or none; booleans and numbers carry no code). The label
/// is `job / step`.
pub fn workflow_sinks(file: &SourceFile) -> Sinks {
    let mut sinks = Sinks::new();
    let Ok(m) = Model::parse(file, DocKind::Workflow) else {
        return sinks;
    };
    if m.trigger("workflow_call").is_none() {
        return sinks;
    }
    let free = super::taint::workflow_inputs(&m).unwrap_or_default();
    for job in &m.jobs {
        for step in &job.steps {
            let Some((_, route)) = super::taint::code_sink(step) else {
                continue;
            };
            let r = m.value_bytes(&route);
            for site in m.sites_in(&r) {
                for ctx in expr::dataflow_contexts(m.text(&site.body)) {
                    if let Some(name) = ctx.strip_prefix("inputs.")
                        && free.contains(&name.to_ascii_lowercase())
                    {
                        sinks
                            .entry(name.to_ascii_lowercase())
                            .or_default()
                            .push((site.range.clone(), format!("{} / {}", job.id, step.label())));
                    }
                }
            }
        }
    }
    sinks
}

/// An input of a local composite action expanded into a script, where no workflow or action
/// of the tree calls the action (a published action: its callers are elsewhere and control
/// the input).
pub struct UncalledInput<'a> {
    pub action: &'a Arc<SourceFile>,
    pub range: Range<usize>,
    pub label: String,
    pub input: String,
}

/// Inputs of composite actions that no file of the tree calls, expanded into scripts.
pub fn uncalled_inputs(files: &[Arc<SourceFile>]) -> Vec<UncalledInput<'_>> {
    let mut out = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.kind == FileKind::GithubAction && f.text.contains("inputs."))
    {
        let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d);
        let called = files.iter().any(|o| {
            if o.path == f.path
                || !matches!(o.kind, FileKind::GithubWorkflow | FileKind::GithubAction)
            {
                return false;
            }
            if dir.is_empty() || dir == "." {
                // The repository's own root action: `uses: ./` in a workflow.
                o.text.lines().any(|l| {
                    let l = l.trim().trim_start_matches("- ").trim();
                    matches!(
                        l.strip_prefix("uses:").map(str::trim),
                        Some("./" | "." | "$/" | "\"./\"" | "'./'")
                    )
                })
            } else {
                o.text.contains(&format!("./{dir}")) || o.text.contains(&format!("$/{dir}"))
            }
        });
        if called {
            continue;
        }
        for (input, sites) in action_sinks(f) {
            for (range, label) in sites {
                out.push(UncalledInput {
                    action: f,
                    range,
                    label,
                    input: input.clone(),
                });
            }
        }
    }
    out
}

/// An attacker-controlled value a workflow passes to a local composite action, and one place
/// the action expands that input into a script.
pub struct TaintedInput<'a> {
    pub action: &'a Arc<SourceFile>,
    /// The `${{ inputs.X }}` in the action.
    pub range: Range<usize>,
    /// Label of the action's step whose script expands it.
    pub label: String,
    pub input: String,
    pub workflow: &'a Arc<SourceFile>,
    /// The workflow's `with:` value passing it.
    pub with_bytes: Range<usize>,
    pub context: String,
    pub why: &'static str,
    /// Triggers of the calling job that outsiders can fire, with the first one's key bytes.
    pub outsider: Vec<String>,
    pub trigger_bytes: Range<usize>,
}

/// Every attacker-controlled input passed to a local composite action that expands it into a
/// script, in workflow, step, input and site order.
pub fn tainted_inputs(files: &[Arc<SourceFile>]) -> Vec<TaintedInput<'_>> {
    let mut out = Vec::new();
    let actions: BTreeMap<String, &Arc<SourceFile>> = files
        .iter()
        .filter(|f| f.kind == FileKind::GithubAction && f.text.contains("inputs."))
        .map(|f| {
            let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            (dir, f)
        })
        .collect();
    if actions.is_empty() {
        return out;
    }
    let mut sink_cache: BTreeMap<String, Sinks> = BTreeMap::new();
    for wf in files
        .iter()
        .filter(|f| f.kind == FileKind::GithubWorkflow && f.text.contains("./"))
    {
        let Ok(m) = Model::parse(wf, DocKind::Workflow) else {
            continue;
        };
        let a = Facts::new(&m);
        for (job, r) in m.jobs.iter().zip(&a.jobs) {
            for step in &job.steps {
                if !step.is_local_action() {
                    continue;
                }
                let dir = step
                    .uses
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .trim_start_matches("./")
                    .trim_start_matches("$/")
                    .trim_end_matches('/')
                    .to_string();
                let Some(action) = actions.get(&dir) else {
                    continue;
                };
                for kv in &step.with {
                    let tainted = expr::find(&kv.value, 0).iter().find_map(|s| {
                        expr::dataflow_contexts(&kv.value[s.body.clone()])
                            .into_iter()
                            .find_map(|c| expr::attacker_controlled(&c).map(|why| (c, why)))
                    });
                    let Some((ctx, why)) = tainted else { continue };
                    let sinks = sink_cache
                        .entry(dir.clone())
                        .or_insert_with(|| action_sinks(action));
                    let Some(sites) = sinks.get(&kv.name.to_ascii_lowercase()) else {
                        continue;
                    };
                    let outsider: Vec<String> = r
                        .triggers
                        .iter()
                        .filter(|t| OUTSIDER.contains(&t.as_str()))
                        .cloned()
                        .collect();
                    let trigger_bytes = outsider.first().map_or(0..0, |t| a.trigger_bytes(t));
                    for (range, label) in sites {
                        out.push(TaintedInput {
                            action,
                            range: range.clone(),
                            label: label.clone(),
                            input: kv.name.clone(),
                            workflow: wf,
                            with_bytes: m.value_bytes(&kv.route),
                            context: ctx.clone(),
                            why,
                            outsider: outsider.clone(),
                            trigger_bytes: trigger_bytes.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}
