//! Cross-file taint: a workflow passes attacker-controlled text (`with: title: ${{
//! github.event.issue.title }}`) to a local composite action (`uses: ./.github/actions/x`) whose
//! `run:` expands `${{ inputs.title }}`. Neither file is wrong alone; together they are a
//! script injection, reported in the action at the expansion with the workflow's `with:` related.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::expr;
use super::model::{DocKind, Model, Seg, route_with};
use super::reach::{Analysis, OUTSIDER};
use crate::analyzers::Output;
use crate::finding::{RawFinding, Severity};
use crate::source::FileKind;
use crate::source::SourceFile;

/// Inputs of one composite action that reach a script: input name → expression sites.
type Sinks = BTreeMap<String, Vec<(std::ops::Range<usize>, String)>>;

fn action_sinks(file: &SourceFile) -> Sinks {
    let mut sinks = Sinks::new();
    let Ok(m) = Model::parse(file, DocKind::Action) else {
        return sinks;
    };
    for job in &m.jobs {
        for step in &job.steps {
            let route = if step.run.is_some() {
                route_with(&step.route, Seg::Key("run".into()))
            } else if step.action().as_deref() == Some("actions/github-script") {
                match step.with_value("script") {
                    Some(kv) => kv.route.clone(),
                    None => continue,
                }
            } else {
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

pub fn check(files: &[Arc<SourceFile>], out: &mut Output, id: &str) {
    let actions: BTreeMap<String, &Arc<SourceFile>> = files
        .iter()
        .filter(|f| f.kind == FileKind::GithubAction && f.text.contains("inputs."))
        .map(|f| {
            let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            (dir, f)
        })
        .collect();
    if actions.is_empty() {
        return;
    }
    let mut sink_cache: BTreeMap<String, Sinks> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for wf in files
        .iter()
        .filter(|f| f.kind == FileKind::GithubWorkflow && f.text.contains("./"))
    {
        let Ok(m) = Model::parse(wf, DocKind::Workflow) else {
            continue;
        };
        let a = Analysis::new(&m);
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
                    for (range, label) in sites {
                        if !seen.insert((action.path.clone(), range.start, wf.path.clone())) {
                            continue;
                        }
                        let mut f = RawFinding::new(
                            id,
                            action,
                            range.clone(),
                            format!(
                                "`inputs.{}` is expanded into the script of step `{label}`, and `{}` passes `{ctx}` ({why}) to it: its text becomes code",
                                kv.name, wf.path
                            ),
                        )
                        .related(wf, m.value_bytes(&kv.route), format!("attacker-controlled `{ctx}` passed as `{}`", kv.name))
                        .content(format!("{} inputs.{} {}", action.path, kv.name, wf.path))
                        .property("context", ctx.clone());
                        let outsider: Vec<&String> = r
                            .triggers
                            .iter()
                            .filter(|t| OUTSIDER.contains(&t.as_str()))
                            .collect();
                        if let Some(t) = outsider.first() {
                            f = f.related(
                                wf,
                                a.trigger_bytes(t),
                                format!("`{t}` lets outsiders choose that text"),
                            );
                        }
                        if !outsider.iter().any(|t| t.as_str() != "pull_request") {
                            f = f.severity(Severity::Medium);
                        }
                        out.push(f);
                    }
                }
            }
        }
    }
}
