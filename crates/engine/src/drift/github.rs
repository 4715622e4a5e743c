//! GitHub workflow jobs: canonical form, profile and anchors.
//!
//! The canonical form of a job is the workflow's top level without `jobs` (its `on`, `env`,
//! `permissions`, `defaults`… apply to every job) plus the job itself, parsed (anchors resolved),
//! with `on:` and the string-or-list shorthands normalised, printed as sorted JSON. Comments,
//! indentation, quoting, key order and flow vs block style cannot reach it.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use yamlpath::{Component, Document, Route};

use super::canon::{pretty_sorted, yaml_to_json};
use super::{Anchors, Job, JobKind, Profile};
use crate::analyzers::github::{actions, expr, reach};
use pipeguard_shell::{self as shell, classify::Kind};

/// Event filters that accept a string or a list.
const LIST_KEYS: &[&str] = &[
    "branches",
    "branches-ignore",
    "tags",
    "tags-ignore",
    "paths",
    "paths-ignore",
    "types",
    "workflows",
];

/// Token permission scopes (https://docs.github.com/en/actions/reference/workflow-syntax).
pub const SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

pub fn jobs(path: &str, text: &str) -> Result<Vec<Job>, String> {
    crate::limits::yaml(text).map_err(|e| e.to_string())?;
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    // A file of comments only (a disabled workflow) defines no jobs.
    if yaml.is_null() {
        return Ok(Vec::new());
    }
    let Value::Object(mut top) = yaml_to_json(&yaml) else {
        return Err("a workflow must be a mapping".into());
    };
    let jobs = match top.remove("jobs") {
        Some(Value::Object(j)) => j,
        // `jobs:` with nothing under it (a placeholder, a test fixture) defines no jobs.
        Some(Value::Null) => return Ok(Vec::new()),
        Some(_) => return Err("`jobs` must be a mapping".into()),
        None => return Err("the workflow has no `jobs`".into()),
    };
    if let Some(on) = top.remove("on") {
        top.insert("on".into(), normalize_on(on));
    }
    for key in ["env"] {
        if let Some(v) = top.get_mut(key) {
            stringify_scalars(v);
        }
    }
    let top = Value::Object(top);
    let doc = Document::new(text).ok();
    let mut out = Vec::new();
    for (id, job) in jobs {
        let job = normalize_job(job);
        let mut wrapper = Map::new();
        wrapper.insert("id".into(), Value::String(id.clone()));
        wrapper.insert("job".into(), job.clone());
        wrapper.insert("workflow".into(), top.clone());
        let canonical = pretty_sorted(&Value::Object(wrapper));
        let (profile, steps) = profile(&top, &job);
        let anchors = doc
            .as_ref()
            .map(|d| anchors(d, text, &id, &profile, &steps))
            .unwrap_or_default();
        out.push(Job {
            source: path.to_string(),
            id,
            kind: JobKind::GithubJob,
            canonical,
            profile,
            anchors,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// `on: push`, `on: [push, pull_request]` and `on: {push: null}` all mean the same.
fn normalize_on(on: Value) -> Value {
    let mut map = Map::new();
    match on {
        Value::String(s) => {
            map.insert(s, Value::Object(Map::new()));
        }
        Value::Array(items) => {
            for i in items {
                if let Value::String(s) = i {
                    map.insert(s, Value::Object(Map::new()));
                }
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                let v = match v {
                    Value::Null => Value::Object(Map::new()),
                    Value::Object(mut filters) => {
                        for key in LIST_KEYS {
                            if let Some(f) = filters.get_mut(*key) {
                                to_list(f);
                            }
                        }
                        Value::Object(filters)
                    }
                    other => other,
                };
                map.insert(k, v);
            }
        }
        other => return other,
    }
    Value::Object(map)
}

fn to_list(v: &mut Value) {
    if let Value::String(s) = v {
        *v = Value::Array(vec![Value::String(std::mem::take(s))]);
    }
}

/// Inputs and environment values are strings to the runner: `0` and `"0"` are the same.
fn stringify_scalars(v: &mut Value) {
    if let Value::Object(m) = v {
        for val in m.values_mut() {
            match val {
                Value::Bool(b) => *val = Value::String(b.to_string()),
                Value::Number(n) => *val = Value::String(n.to_string()),
                _ => {}
            }
        }
    }
}

fn normalize_job(mut job: Value) -> Value {
    if let Value::Object(m) = &mut job {
        for key in ["runs-on", "needs"] {
            if let Some(v) = m.get_mut(key) {
                to_list(v);
            }
        }
        for key in ["env", "with"] {
            if let Some(v) = m.get_mut(key) {
                stringify_scalars(v);
            }
        }
        if let Some(Value::Array(steps)) = m.get_mut("steps") {
            for s in steps {
                if let Value::Object(step) = s {
                    for key in ["env", "with"] {
                        if let Some(v) = step.get_mut(key) {
                            stringify_scalars(v);
                        }
                    }
                }
            }
        }
    }
    job
}

/// What each step does, by index, for anchors.
#[derive(Default)]
struct StepFacts {
    push: Option<usize>,
    deploy: Option<usize>,
    /// `Profile::exposures` entry → step index.
    exposures: BTreeMap<String, usize>,
}

/// Commands that send data over the network.
const NETWORK_COMMANDS: &[&str] = &[
    "curl", "wget", "http", "https", "nc", "ncat", "netcat", "scp", "sftp", "rsync", "ssh", "ftp",
];

/// A third-party action: not GitHub's own (`actions/*`, `github/*`), not local (`./…`), not a
/// container image.
fn third_party(uses: &str) -> bool {
    let lower = uses.to_ascii_lowercase();
    !(lower.starts_with("./")
        || lower.starts_with("docker://")
        || lower.starts_with("actions/")
        || lower.starts_with("github/"))
}

/// Who receives the secrets a step references: a third-party action, or a network command of
/// its script (the secrets of its `env:`, `with:` and script text).
fn exposures_of(step: &Value) -> Vec<String> {
    let refs = secret_names(&serde_json::to_string(step).unwrap_or_default());
    if refs.is_empty() {
        return Vec::new();
    }
    let mut receivers: BTreeSet<String> = BTreeSet::new();
    if let Some(uses) = step.get("uses").and_then(Value::as_str)
        && third_party(uses)
    {
        receivers.insert(actions::name(uses));
    }
    if let Some(run) = step.get("run").and_then(Value::as_str) {
        for c in &shell::parse(run).commands {
            if let Some(p) = c.program()
                && NETWORK_COMMANDS.contains(&p)
            {
                receivers.insert(p.to_string());
            }
        }
    }
    refs.iter()
        .filter(|s| s.as_str() != "GITHUB_TOKEN")
        .flat_map(|s| receivers.iter().map(move |r| format!("{s} → {r}")))
        .collect()
}

fn profile(top: &Value, job: &Value) -> (Profile, StepFacts) {
    let mut p = Profile::default();
    let mut facts = StepFacts::default();
    // The triggers the job can run on: the workflow's, less those its `if:` rules out (the
    // analyzer's reading of `github.event_name` guards).
    let cond = job.get("if").map(scalar_text);
    if let Some(Value::Object(on)) = top.get("on") {
        let all: Vec<String> = on.keys().cloned().collect();
        p.triggers = reach::restrict_triggers(&all, cond.as_deref())
            .into_iter()
            .collect();
    }
    if reach::fork_guard(cond.as_deref()) {
        p.guards.insert("a same-repository check".into());
    }
    if let Some(g) = reach::gate_of(cond.as_deref()) {
        p.guards.insert(g);
    }
    p.permissions =
        effective_permissions(job.get("permissions").or_else(|| top.get("permissions")));
    match job.get("runs-on") {
        Some(Value::Array(labels)) => {
            p.runners = labels.iter().map(scalar_text).collect();
        }
        Some(Value::Object(m)) => {
            if let Some(g) = m.get("group") {
                p.runners.insert(format!("group:{}", scalar_text(g)));
            }
            match m.get("labels") {
                Some(Value::Array(ls)) => p.runners.extend(ls.iter().map(scalar_text)),
                Some(l) => {
                    p.runners.insert(scalar_text(l));
                }
                None => {}
            }
        }
        Some(other) => {
            p.runners.insert(scalar_text(other));
        }
        None => {}
    }
    // Secrets: anything the job or the workflow-level env can expand.
    let mut texts = vec![serde_json::to_string(job).unwrap_or_default()];
    if let Some(env) = top.get("env") {
        texts.push(serde_json::to_string(env).unwrap_or_default());
    }
    for t in &texts {
        p.secrets.extend(secret_names(t));
    }
    if job.get("secrets").and_then(Value::as_str) == Some("inherit") {
        p.secrets.insert("(inherit)".into());
    }
    if let Some(u) = job.get("uses").and_then(Value::as_str) {
        p.actions.insert(u.to_string());
    }
    if let Some(Value::Array(steps)) = job.get("steps") {
        for (i, step) in steps.iter().enumerate() {
            let (scan, push, deploy) = classify_step(step);
            if let Some(u) = step.get("uses").and_then(Value::as_str) {
                p.actions.insert(u.to_string());
            }
            for e in exposures_of(step) {
                facts.exposures.entry(e.clone()).or_insert(i);
                p.exposures.insert(e);
            }
            p.scans_images |= scan;
            if push {
                p.pushes_images = true;
                facts.push.get_or_insert(i);
            }
            if deploy {
                p.deploys = true;
                facts.deploy.get_or_insert(i);
            }
        }
    }
    (p, facts)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Secret names the text's `${{ }}` expressions reference (the analyzer's expression parser,
/// `analyzers::github::expr`).
pub fn secret_names(text: &str) -> BTreeSet<String> {
    expr::find(text, 0)
        .into_iter()
        .filter_map(|site| text.get(site.body))
        .flat_map(expr::secret_names)
        .collect()
}

/// Scope → level in effect. No `permissions` anywhere means the repository default, which for
/// most repositories (and all created before 2023) is read/write on every scope.
pub fn effective_permissions(p: Option<&Value>) -> BTreeMap<String, String> {
    let (base, explicit): (&str, Option<&Map<String, Value>>) = match p {
        Some(Value::String(s)) if s == "read-all" => ("read", None),
        Some(Value::Object(m)) => ("none", Some(m)),
        // Absent (the default), `write-all`, an expression or something GitHub would reject:
        // assume the worst.
        _ => ("write", None),
    };
    SCOPES
        .iter()
        .map(|scope| {
            let level = explicit
                .and_then(|m| m.get(*scope))
                .and_then(Value::as_str)
                .unwrap_or(if p.is_none() && *scope == "id-token" {
                    "none"
                } else {
                    base
                });
            ((*scope).to_string(), level.to_string())
        })
        .collect()
}

pub fn level_rank(level: &str) -> u8 {
    match level {
        "write" => 2,
        "read" => 1,
        _ => 0,
    }
}

/// A `with:` input as text (`true` for a YAML boolean true).
fn with_input(step: &Value, key: &str) -> Option<String> {
    match step.get("with")?.get(key)? {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// (scans an image, pushes an image, deploys).
fn classify_step(step: &Value) -> (bool, bool, bool) {
    let (mut scan, mut push, mut deploy) = (false, false, false);
    if let Some(uses) = step.get("uses").and_then(Value::as_str) {
        let name = actions::name(uses);
        let input = |k: &str| with_input(step, k);
        scan = actions::scans_images(&name, input);
        push = actions::pushes_images(&name, input);
        deploy = actions::deploys(&name) || actions::publishes_site(&name);
    }
    if let Some(run) = step.get("run").and_then(Value::as_str) {
        let script = shell::parse(run);
        for a in shell::classify::classify(&script) {
            match a.kind {
                Kind::ImageScan => scan = true,
                Kind::ImagePush => push = true,
                Kind::Deploy => deploy = true,
                _ => {}
            }
        }
    }
    (scan, push, deploy)
}

fn route<'a>(keys: &[Component<'a>]) -> Route<'a> {
    Route::from(keys.to_vec())
}

fn key_span(doc: &Document, keys: &[Component<'_>]) -> Option<Range<usize>> {
    doc.query_key_only(&route(keys))
        .ok()
        .map(|f| f.location.byte_span.0..f.location.byte_span.1)
}

/// First line of a feature's span (steps can be long).
fn first_line(text: &str, span: (usize, usize)) -> Range<usize> {
    let (s, e) = span;
    let end = text
        .get(s..e)
        .and_then(|t| t.find('\n'))
        .map_or(e, |n| s + n);
    s..end
}

fn anchors(doc: &Document, text: &str, id: &str, p: &Profile, steps: &StepFacts) -> Anchors {
    let job_keys = [Component::from("jobs"), Component::from(id.to_string())];
    let job = key_span(doc, &job_keys).unwrap_or(0..0);
    let job_body = doc
        .query_pretty(&route(&job_keys))
        .ok()
        .map_or(job.clone(), |f| {
            f.location.byte_span.0..f.location.byte_span.1
        });
    let with = |k: &'static str| {
        let mut v = job_keys.to_vec();
        v.push(Component::from(k));
        v
    };
    let step_span = |i: usize| {
        let mut v = with("steps");
        v.push(Component::Index(i));
        doc.query_pretty(&route(&v))
            .ok()
            .map(|f| first_line(text, f.location.byte_span))
    };
    let mut secrets = BTreeMap::new();
    for name in &p.secrets {
        let found = find_secret(text, job_body.clone(), name)
            .or_else(|| find_secret(text, 0..text.len(), name));
        secrets.insert(name.clone(), found.unwrap_or(job.clone()));
    }
    Anchors {
        triggers: key_span(doc, &[Component::from("on")]),
        permissions: key_span(doc, &with("permissions"))
            .or_else(|| key_span(doc, &[Component::from("permissions")])),
        runner: key_span(doc, &with("runs-on")),
        secrets,
        push: steps.push.and_then(step_span),
        deploy: steps.deploy.and_then(step_span),
        exposures: steps
            .exposures
            .iter()
            .filter_map(|(e, i)| step_span(*i).map(|r| (e.clone(), r)))
            .collect(),
        body: Some(job_body),
        job,
        sandbox: None,
        findings: BTreeMap::new(),
    }
}

/// The first `${{ }}` within `within` that references secret `name`.
fn find_secret(text: &str, within: Range<usize>, name: &str) -> Option<Range<usize>> {
    let hay = text.get(within.clone())?;
    expr::find(hay, within.start).into_iter().find_map(|site| {
        let body = text.get(site.body.clone())?;
        if !expr::secret_names(body).iter().any(|s| s == name) {
            return None;
        }
        // From `secrets` to the end of the name (`secrets.NAME`, `secrets['NAME'`).
        let at = body.find(name)?;
        let from = body.get(..at)?.to_ascii_lowercase().rfind("secrets")?;
        Some(site.body.start + from..site.body.start + at + name.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Job {
        let mut jobs = jobs(".github/workflows/ci.yml", text).unwrap();
        assert_eq!(jobs.len(), 1);
        jobs.remove(0)
    }

    #[test]
    fn formatting_does_not_matter() {
        let a = one(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n        with: {n: 1}\n",
        );
        let b = one(
            "# CI\n\"on\": [push]\njobs: {build: {steps: [{with: {n: '1'}, run: \"make\"}], runs-on: [ubuntu-latest]}}\n",
        );
        assert_eq!(a.canonical, b.canonical);
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn anchors_are_resolved() {
        let a = one(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env: &e {A: x}\n    steps:\n      - run: make\n        env: *e\n",
        );
        assert!(a.canonical.contains("\"A\": \"x\""));
        assert_eq!(a.canonical.matches("\"A\": \"x\"").count(), 2);
    }

    #[test]
    fn profile_facts() {
        let j = one(concat!(
            "on: [push, pull_request_target]\n",
            "permissions: {contents: read}\n",
            "jobs:\n  release:\n    runs-on: [self-hosted, linux]\n    steps:\n",
            "      - uses: actions/checkout@v4\n",
            "      - run: docker push ghcr.io/o/app:${{ github.sha }}\n",
            "        env: {T: \"${{ secrets.REGISTRY_TOKEN }}\"}\n",
            "      - run: kubectl apply -f k8s/\n",
        ));
        let p = &j.profile;
        assert_eq!(
            p.triggers.iter().cloned().collect::<Vec<_>>(),
            ["pull_request_target", "push"]
        );
        assert_eq!(p.permissions["contents"], "read");
        assert_eq!(p.permissions["packages"], "none");
        assert!(p.runners.contains("self-hosted"));
        assert!(p.secrets.contains("REGISTRY_TOKEN"));
        assert!(p.actions.contains("actions/checkout@v4"));
        assert!(p.pushes_images && p.deploys && !p.scans_images);
        let text = ".";
        let _ = text;
        assert!(j.anchors.push.is_some() && j.anchors.deploy.is_some());
        assert!(j.anchors.secrets.contains_key("REGISTRY_TOKEN"));
    }

    #[test]
    fn default_permissions_are_write() {
        let p = effective_permissions(None);
        assert_eq!(p["contents"], "write");
        assert_eq!(p["id-token"], "none");
        let w = effective_permissions(Some(&Value::String("write-all".into())));
        assert_eq!(w["id-token"], "write");
    }

    #[test]
    fn errors_are_reported() {
        assert!(jobs("w.yml", "on: push\njobs: [").is_err());
        assert!(jobs("w.yml", "on: push\n").is_err());
        assert!(jobs("w.yml", "on: push\njobs: 3\n").is_err());
        assert!(jobs("w.yml", "on: push\njobs:\n").unwrap().is_empty());
        // A byte order mark is dropped before this (sources::Found::add); a second document
        // is an error GitHub makes too.
        assert!(jobs("w.yml", "on: push\njobs: {}\n---\non: push\n").is_err());
        assert!(jobs("w.yml", "- a\n").is_err());
        assert!(
            jobs("w.yml", "# on: push\n# jobs: {}\n")
                .unwrap()
                .is_empty()
        );
    }
}
