//! The workflow / action model. The YAML is parsed once into a value tree (anchors, merge keys,
//! flow style and every scalar style resolved by the YAML parser) and read *loosely*: any shape
//! GitHub accepts becomes a model, unknown keys are ignored, and fields with unexpected types
//! are skipped rather than failing the file — a strict typed model drops valid workflows (e.g.
//! `strategy: ${{ fromJSON(…) }}`). Sub-structures use the typed `github-actions-models` parsers
//! (`uses:` references, permissions). Every element keeps its route (path of keys and indices),
//! turned into exact byte spans with `yamlpath` (tree-sitter-yaml) when a finding needs one.

use std::ops::Range;

use github_actions_models::common::{BasePermission, Permission, Permissions, Uses};
use serde_yaml::Value;

use super::expr::{self, Site};
use super::locate::Locator;
use crate::source::SourceFile;

pub use super::locate::Seg;

pub type Route = Vec<Seg>;

pub fn route_with(r: &Route, seg: Seg) -> Route {
    let mut v = r.clone();
    v.push(seg);
    v
}

fn key(r: &Route, k: &str) -> Route {
    route_with(r, Seg::Key(k.to_string()))
}

/// A scalar as GitHub stringifies it; `None` for mappings and sequences.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        Value::Tagged(t) => scalar(&t.value),
        _ => None,
    }
}

fn get<'v>(v: &'v Value, k: &str) -> Option<&'v Value> {
    v.as_mapping()?.get(k)
}

fn get_str(v: &Value, k: &str) -> Option<String> {
    get(v, k).and_then(scalar)
}

/// Every scalar string below `v` (for matrix values, runs-on lists…).
pub fn all_scalars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Sequence(s) => s.iter().for_each(|x| all_scalars(x, out)),
        Value::Mapping(m) => m.values().for_each(|x| all_scalars(x, out)),
        Value::Tagged(t) => all_scalars(&t.value, out),
        other => out.extend(scalar(other)),
    }
}

#[derive(Clone, Debug)]
pub struct KeyValue {
    pub name: String,
    pub value: String,
    pub route: Route,
}

fn key_values(v: Option<&Value>, route: &Route) -> Vec<KeyValue> {
    let Some(m) = v.and_then(Value::as_mapping) else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            let name = scalar(k)?;
            let value = scalar(v).unwrap_or_default();
            Some(KeyValue {
                route: key(route, &name),
                name,
                value,
            })
        })
        .collect()
}

#[derive(Clone, Debug)]
pub struct Trigger {
    pub name: String,
    /// Route to the event (its key in the `on:` mapping, its list item, or `on` itself).
    pub route: Route,
    pub config: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Perms {
    ReadAll,
    WriteAll,
    /// Explicit scopes: (scope, `read` | `write` | `none`).
    Scopes(Vec<(String, String)>),
    /// An expression or an unknown shape.
    Other,
}

impl Perms {
    fn parse(v: &Value) -> Perms {
        match serde_yaml::from_value::<Permissions>(v.clone()) {
            Ok(Permissions::Base(BasePermission::WriteAll)) => Perms::WriteAll,
            Ok(Permissions::Base(BasePermission::ReadAll)) => Perms::ReadAll,
            Ok(Permissions::Base(BasePermission::Default)) => Perms::Other,
            Ok(Permissions::Explicit(m)) => Perms::Scopes(
                m.into_iter()
                    .map(|(k, p)| {
                        let level = match p {
                            Permission::Write => "write",
                            Permission::Read => "read",
                            Permission::None => "none",
                        };
                        (k, level.to_string())
                    })
                    .collect(),
            ),
            Err(_) => {
                if v.as_mapping().is_some_and(serde_yaml::Mapping::is_empty) {
                    Perms::Scopes(Vec::new())
                } else {
                    Perms::Other
                }
            }
        }
    }

    /// Scopes with write access (`*` for write-all).
    pub fn writes(&self) -> Vec<String> {
        match self {
            Perms::WriteAll => vec!["*".into()],
            Perms::Scopes(s) => s
                .iter()
                .filter(|(_, l)| l == "write")
                .map(|(k, _)| k.clone())
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct PermsAt {
    pub perms: Perms,
    pub route: Route,
}

#[derive(Clone, Debug)]
pub struct Container {
    pub route: Route,
    pub image: Option<String>,
    pub password: Option<KeyValue>,
    pub env: Vec<KeyValue>,
}

impl Container {
    fn parse(v: &Value, route: Route) -> Container {
        if let Some(image) = scalar(v) {
            return Container {
                route,
                image: Some(image),
                password: None,
                env: Vec::new(),
            };
        }
        let cred_route = key(&route, "credentials");
        let password = get(v, "credentials")
            .and_then(|c| get_str(c, "password"))
            .map(|value| KeyValue {
                name: "password".into(),
                value,
                route: key(&cred_route, "password"),
            });
        Container {
            image: get_str(v, "image"),
            password,
            env: key_values(get(v, "env"), &key(&route, "env")),
            route,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub index: usize,
    pub route: Route,
    pub id: Option<String>,
    pub name: Option<String>,
    pub uses: Option<String>,
    pub run: Option<String>,
    pub shell: Option<String>,
    pub with: Vec<KeyValue>,
    pub env: Vec<KeyValue>,
    pub if_cond: Option<String>,
}

impl Step {
    /// `owner/repo` (lower-cased) of a repository action, e.g. `actions/checkout`.
    pub fn action(&self) -> Option<String> {
        let u = self.uses.as_deref()?;
        match Uses::parse(u).ok()? {
            Uses::Repository(r) => {
                let mut s = format!("{}/{}", r.owner(), r.repo()).to_ascii_lowercase();
                if let Some(sub) = r.subpath() {
                    // Seen through as GitHub resolves it: `a/b/`, `a/b/./c`, `a/b/x/../c`
                    // (`github/obfuscation` reports the odd form).
                    let mut segs: Vec<String> = Vec::new();
                    for seg in sub.split('/') {
                        match seg {
                            "" | "." => {}
                            ".." => {
                                segs.pop();
                            }
                            x => segs.push(x.to_ascii_lowercase()),
                        }
                    }
                    for seg in segs {
                        s.push('/');
                        s.push_str(&seg);
                    }
                }
                Some(s)
            }
            _ => None,
        }
    }

    pub fn is_local_action(&self) -> bool {
        // `./path` or the same-repository `$/path` syntax.
        self.uses
            .as_deref()
            .is_some_and(|u| u.trim().starts_with("./") || u.trim().starts_with("$/"))
    }

    pub fn with_value(&self, k: &str) -> Option<&KeyValue> {
        self.with.iter().find(|kv| kv.name.eq_ignore_ascii_case(k))
    }

    /// A short label: name, id, uses or the first line of run.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if let Some(u) = &self.uses {
            return u.clone();
        }
        if let Some(r) = &self.run {
            let l = r
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            let l: String = l.chars().take(60).collect();
            return format!("run: {l}");
        }
        format!("step {}", self.index + 1)
    }
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub route: Route,
    pub name: Option<String>,
    pub runs_on: Vec<String>,
    /// `runs-on: {group: …}`: a runner group (self-hosted, or larger GitHub-hosted runners).
    pub runner_group: Option<String>,
    pub if_cond: Option<String>,
    pub permissions: Option<PermsAt>,
    pub env: Vec<KeyValue>,
    pub steps: Vec<Step>,
    /// Reusable workflow called by the job.
    pub uses: Option<String>,
    pub with: Vec<KeyValue>,
    /// `secrets:` is `inherit`.
    pub secrets_inherit: bool,
    /// Explicit `secrets:` passed to a reusable workflow.
    pub secrets: Vec<KeyValue>,
    pub container: Option<Container>,
    pub services: Vec<Container>,
    pub environment: Option<String>,
    /// Every scalar of `strategy.matrix` (resolves `runs-on: ${{ matrix.os }}`).
    pub matrix_values: Vec<String>,
    pub bytes: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Workflow,
    /// `action.yml`; composite steps are modelled as one job.
    Action,
    /// `.github/dependabot.yml`: no jobs; rules read `root` and locate through routes.
    Dependabot,
    /// `.pre-commit-config.yaml`: no jobs, as above.
    PreCommit,
}

pub struct Model<'f> {
    pub file: &'f SourceFile,
    pub kind: DocKind,
    pub root: Value,
    pub triggers: Vec<Trigger>,
    pub permissions: Option<PermsAt>,
    pub env: Vec<KeyValue>,
    pub jobs: Vec<Job>,
    /// Every `${{ }}` of the file outside comments, in source order.
    pub sites: Vec<Site>,
    /// Fast line-based locator for block-style YAML; the tree-sitter document is built only
    /// when it cannot answer.
    loc: Locator<'f>,
    doc: std::cell::OnceCell<Option<yamlpath::Document>>,
}

/// Why a file is not a workflow GitHub would run.
pub struct ParseError {
    pub at: usize,
    pub message: String,
}

impl<'f> Model<'f> {
    pub fn parse(file: &'f SourceFile, kind: DocKind) -> Result<Model<'f>, ParseError> {
        crate::limits::yaml(&file.text).map_err(|e| ParseError {
            at: e.at,
            message: e.message,
        })?;
        let mut root: Value = serde_yaml::from_str(&file.text).map_err(|e| ParseError {
            at: e.location().map_or(0, |l| l.index()),
            message: strip_location(&e.to_string()),
        })?;
        // `<<: *base` merge keys, as GitHub's parser applies them.
        let _ = root.apply_merge();
        if !root.is_mapping() {
            let what = if root.is_null() {
                "the file is empty (or only comments)"
            } else {
                "the top level is not a mapping"
            };
            return Err(ParseError {
                at: 0,
                message: format!("{what}: not a {}", kind_name(kind)),
            });
        }
        let mut m = Model {
            file,
            kind,
            root: Value::Null,
            triggers: Vec::new(),
            permissions: None,
            env: Vec::new(),
            jobs: Vec::new(),
            sites: Vec::new(),
            loc: Locator::new(&file.text),
            doc: std::cell::OnceCell::new(),
        };
        match kind {
            DocKind::Workflow => {
                if get(&root, "jobs").is_none() && on_value(&root).is_none() {
                    return Err(ParseError {
                        at: 0,
                        message: "no `on:` and no `jobs:`: not a workflow".into(),
                    });
                }
                m.triggers = parse_triggers(&root);
                m.permissions = get(&root, "permissions").map(|p| PermsAt {
                    perms: Perms::parse(p),
                    route: vec![Seg::Key("permissions".into())],
                });
                m.env = key_values(get(&root, "env"), &vec![Seg::Key("env".into())]);
                if let Some(jobs) = get(&root, "jobs").and_then(Value::as_mapping) {
                    for (k, v) in jobs {
                        if let Some(id) = scalar(k) {
                            let job = m.parse_job(id, v);
                            m.jobs.push(job);
                        }
                    }
                }
            }
            DocKind::Action => {
                let runs = get(&root, "runs");
                let route = vec![Seg::Key("runs".into())];
                let mut job = m.parse_job_at(
                    "(composite)".into(),
                    runs.unwrap_or(&Value::Null),
                    route.clone(),
                );
                if let Some(image) = runs.and_then(|r| get_str(r, "image")) {
                    job.container = Some(Container {
                        route: key(&route, "image"),
                        image: Some(image),
                        password: None,
                        env: Vec::new(),
                    });
                }
                m.jobs.push(job);
            }
            // Configuration files: the value tree is all their rules read.
            DocKind::Dependabot | DocKind::PreCommit => {
                m.root = root;
                return Ok(m);
            }
        }
        m.sites = expr::find(&file.text, 0)
            .into_iter()
            .filter(|s| !m.in_comment(s.range.start))
            .collect();
        m.root = root;
        Ok(m)
    }

    fn parse_job(&self, id: String, v: &Value) -> Job {
        let route = vec![Seg::Key("jobs".into()), Seg::Key(id.clone())];
        self.parse_job_at(id, v, route)
    }

    fn parse_job_at(&self, id: String, v: &Value, route: Route) -> Job {
        let mut runs_on = Vec::new();
        if let Some(r) = get(v, "runs-on") {
            all_scalars(r, &mut runs_on);
        }
        let runner_group = get(v, "runs-on").and_then(|r| get_str(r, "group"));
        let mut matrix_values = Vec::new();
        if let Some(mx) = get(v, "strategy").and_then(|s| get(s, "matrix")) {
            all_scalars(mx, &mut matrix_values);
        }
        let steps_route = key(&route, "steps");
        let steps = get(v, "steps")
            .and_then(Value::as_sequence)
            .map(|seq| {
                seq.iter()
                    .enumerate()
                    .map(|(i, s)| Self::parse_step(i, s, route_with(&steps_route, Seg::Index(i))))
                    .collect()
            })
            .unwrap_or_default();
        let secrets = get(v, "secrets");
        let services = get(v, "services")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, s)| {
                        let name = scalar(k)?;
                        Some(Container::parse(s, key(&key(&route, "services"), &name)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Job {
            name: get_str(v, "name"),
            runs_on,
            runner_group,
            if_cond: get_str(v, "if"),
            permissions: get(v, "permissions").map(|p| PermsAt {
                perms: Perms::parse(p),
                route: key(&route, "permissions"),
            }),
            env: key_values(get(v, "env"), &key(&route, "env")),
            steps,
            uses: get_str(v, "uses"),
            with: key_values(get(v, "with"), &key(&route, "with")),
            secrets_inherit: secrets
                .and_then(scalar)
                .is_some_and(|s| s.trim() == "inherit"),
            secrets: key_values(secrets, &key(&route, "secrets")),
            container: get(v, "container").map(|c| Container::parse(c, key(&route, "container"))),
            services,
            environment: get(v, "environment")
                .and_then(|e| scalar(e).or_else(|| get_str(e, "name"))),
            matrix_values,
            bytes: self.value_bytes(&route),
            route,
            id,
        }
    }

    fn parse_step(index: usize, v: &Value, route: Route) -> Step {
        Step {
            index,
            id: get_str(v, "id"),
            name: get_str(v, "name"),
            uses: get_str(v, "uses"),
            run: get_str(v, "run"),
            shell: get_str(v, "shell"),
            with: key_values(get(v, "with"), &key(&route, "with")),
            env: key_values(get(v, "env"), &key(&route, "env")),
            if_cond: get_str(v, "if"),
            route,
        }
    }

    fn yroute(route: &[Seg]) -> yamlpath::Route<'_> {
        yamlpath::Route::from(
            route
                .iter()
                .map(|s| match s {
                    Seg::Key(k) => yamlpath::Component::Key(k.as_str().into()),
                    Seg::Index(i) => yamlpath::Component::Index(*i),
                })
                .collect::<Vec<_>>(),
        )
    }

    fn doc(&self) -> Option<&yamlpath::Document> {
        self.doc
            .get_or_init(|| yamlpath::Document::new(self.file.text.as_str()).ok())
            .as_ref()
    }

    /// Byte range of the value at `route` (its nearest existing parent when absent).
    pub fn value_bytes(&self, route: &Route) -> Range<usize> {
        if let Some(l) = self.loc.locate(route) {
            return l.value;
        }
        let Some(doc) = self.doc() else {
            return self.fallback_bytes(route);
        };
        for depth in (0..=route.len()).rev() {
            let r = Self::yroute(&route[..depth]);
            if let Ok(Some(f)) = doc.query_exact(&r) {
                return f.location.byte_span.0..f.location.byte_span.1;
            }
            if let Ok(f) = doc.query_pretty(&r) {
                return f.location.byte_span.0..f.location.byte_span.1;
            }
        }
        0..0
    }

    /// Byte range of the key at `route` (for index routes: the item), falling back as above.
    pub fn key_bytes(&self, route: &Route) -> Range<usize> {
        if matches!(route.last(), Some(Seg::Key(_))) {
            if let Some(k) = self.loc.locate(route).and_then(|l| l.key) {
                return k;
            }
            if let Some(doc) = self.doc()
                && let Ok(f) = doc.query_key_only(&Self::yroute(route))
            {
                return f.location.byte_span.0..f.location.byte_span.1;
            }
        }
        let r = self.value_bytes(route);
        // An item of a block sequence: point at the first line only.
        let line_end = self.file.text[r.clone()]
            .find('\n')
            .map_or(r.end, |i| r.start + i);
        r.start..line_end
    }

    /// Without a tree (tree-sitter could not parse the file), the line of the last key.
    fn fallback_bytes(&self, route: &Route) -> Range<usize> {
        let Some(Seg::Key(k)) = route.iter().rev().find(|s| matches!(s, Seg::Key(_))) else {
            return 0..0;
        };
        let needle = format!("{k}:");
        self.file
            .text
            .find(&needle)
            .map_or(0..0, |i| i..i + k.len())
    }

    /// A full-line `#` comment (expressions in comments are not evaluated). Block scalars are
    /// not told apart: a `#` line in a `run: |` script is a shell comment GitHub still expands,
    /// a rare miss accepted for not building a syntax tree of every file.
    fn in_comment(&self, offset: usize) -> bool {
        let li = self.file.line_index(offset);
        let line = self.file.line_range(li);
        let before = &self.file.text[line.start..offset.max(line.start)];
        before.trim_start().starts_with('#')
    }

    /// Expression sites inside a byte range.
    pub fn sites_in(&self, r: &Range<usize>) -> impl Iterator<Item = &Site> {
        let (s, e) = (r.start, r.end);
        self.sites
            .iter()
            .filter(move |x| x.range.start >= s && x.range.end <= e)
    }

    pub fn text(&self, r: &Range<usize>) -> &str {
        self.file.text.get(r.clone()).unwrap_or_default()
    }

    /// Jobs with their permissions falling back to the workflow's.
    pub fn effective_permissions<'a>(&'a self, job: &'a Job) -> Option<&'a PermsAt> {
        job.permissions.as_ref().or(self.permissions.as_ref())
    }

    pub fn trigger_names(&self) -> Vec<String> {
        self.triggers.iter().map(|t| t.name.clone()).collect()
    }

    pub fn has_trigger(&self, name: &str) -> bool {
        self.triggers.iter().any(|t| t.name == name)
    }

    pub fn trigger(&self, name: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.name == name)
    }

    /// The value at a route of the document (keys and indices only).
    pub fn value_at(&self, route: &[Seg]) -> Option<&Value> {
        let mut v = &self.root;
        for s in route {
            v = match s {
                Seg::Key(k) => v.as_mapping()?.get(k.as_str())?,
                Seg::Index(i) => v.as_sequence()?.get(*i)?,
            };
        }
        Some(v)
    }

    /// The values `matrix.<key>` takes in a job: the key's list and the `include:` rows that set
    /// it; an `exclude:` row naming only this key removes the value (an excluded combination
    /// of several keys leaves the value in other combinations, so it stays).
    pub fn matrix_values(&self, job: &Job, key: &str) -> Vec<String> {
        let Some(matrix) = self
            .value_at(&job.route)
            .and_then(|j| get(j, "strategy"))
            .and_then(|s| get(s, "matrix"))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(x) = get(matrix, key) {
            all_scalars(x, &mut out);
        }
        // `exclude:` rows that name only this key remove the value from the list.
        if let Some(rows) = get(matrix, "exclude").and_then(Value::as_sequence) {
            for row in rows {
                if row.as_mapping().is_some_and(|r| r.len() == 1)
                    && let Some(x) = get(row, key).and_then(scalar)
                {
                    out.retain(|v| *v != x);
                }
            }
        }
        if let Some(rows) = get(matrix, "include").and_then(Value::as_sequence) {
            for row in rows {
                if let Some(x) = get(row, key) {
                    all_scalars(x, &mut out);
                }
            }
        }
        out
    }
}

fn kind_name(k: DocKind) -> &'static str {
    match k {
        DocKind::Workflow => "workflow",
        DocKind::Action => "action",
        DocKind::Dependabot => "Dependabot configuration",
        DocKind::PreCommit => "pre-commit configuration",
    }
}

/// `on:` (YAML 1.1 readers turn the key into `true`; accept both).
fn on_value(root: &Value) -> Option<&Value> {
    let m = root.as_mapping()?;
    m.get("on").or_else(|| m.get(Value::Bool(true)))
}

fn parse_triggers(root: &Value) -> Vec<Trigger> {
    let on_route = vec![Seg::Key("on".into())];
    let Some(on) = on_value(root) else {
        return Vec::new();
    };
    match on {
        Value::Sequence(seq) => seq
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                Some(Trigger {
                    name: scalar(v)?,
                    route: route_with(&on_route, Seg::Index(i)),
                    config: Value::Null,
                })
            })
            .collect(),
        Value::Mapping(m) => m
            .iter()
            .filter_map(|(k, v)| {
                let name = scalar(k)?;
                Some(Trigger {
                    route: key(&on_route, &name),
                    name,
                    config: v.clone(),
                })
            })
            .collect(),
        other => scalar(other)
            .map(|name| Trigger {
                name,
                route: on_route,
                config: Value::Null,
            })
            .into_iter()
            .collect(),
    }
}

fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    fn model(text: &str) -> Vec<String> {
        let f = SourceFile::new(
            ".github/workflows/x.yml",
            FileKind::GithubWorkflow,
            text.into(),
        );
        let m = Model::parse(&f, DocKind::Workflow)
            .map_err(|e| e.message)
            .unwrap();
        let mut out = m.trigger_names();
        for j in &m.jobs {
            out.push(format!("{}:{}", j.id, j.steps.len()));
        }
        out
    }

    #[test]
    fn on_in_every_form() {
        assert_eq!(
            model("on: push\njobs: {a: {runs-on: x, steps: [run: x]}}\n"),
            ["push", "a:1"]
        );
        assert_eq!(
            model("on: [push, pull_request]\njobs: {}\n"),
            ["push", "pull_request"]
        );
        assert_eq!(
            model("on:\n  push:\n  issues:\n    types: [opened]\njobs: {}\n"),
            ["push", "issues"]
        );
        assert_eq!(
            model("\"on\": {workflow_dispatch: null}\njobs: {}\n"),
            ["workflow_dispatch"]
        );
    }

    #[test]
    fn shapes_strict_models_reject_still_parse() {
        let text = "on: push\nx: &steps\n  - run: echo a\njobs:\n  gen:\n    runs-on: ubuntu-latest\n    steps: *steps\n  t:\n    needs: gen\n    strategy: ${{ fromJSON(needs.gen.outputs.m) }}\n    runs-on: ${{ matrix.os }}\n    steps:\n      - run: ${{ matrix.cmd }}\n      - run: >-\n          folded\n          text\n";
        assert_eq!(model(text), ["push", "gen:1", "t:2"]);
    }

    #[test]
    fn action_names_see_through_odd_paths() {
        let step = |u: &str| Step {
            index: 0,
            route: Vec::new(),
            id: None,
            name: None,
            uses: Some(u.into()),
            run: None,
            shell: None,
            with: Vec::new(),
            env: Vec::new(),
            if_cond: None,
        };
        for (u, want) in [
            ("actions/checkout@v4", "actions/checkout"),
            ("actions/checkout/@v4", "actions/checkout"),
            ("actions/checkout////@v4", "actions/checkout"),
            (
                "github/codeql-action/./init@v3",
                "github/codeql-action/init",
            ),
            ("actions/cache/save/../restore@v4", "actions/cache/restore"),
        ] {
            assert_eq!(step(u).action().as_deref(), Some(want), "{u}");
        }
    }

    #[test]
    fn rejects_what_github_rejects() {
        for bad in ["", "# only\n", "- a\n- b\n", "on: [push\n", "name: x\n"] {
            let f = SourceFile::new(
                ".github/workflows/x.yml",
                FileKind::GithubWorkflow,
                bad.into(),
            );
            assert!(Model::parse(&f, DocKind::Workflow).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn spans_point_at_values() {
        let text = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n";
        let f = SourceFile::new(
            ".github/workflows/x.yml",
            FileKind::GithubWorkflow,
            text.into(),
        );
        let m = Model::parse(&f, DocKind::Workflow)
            .map_err(|e| e.message)
            .unwrap();
        let r = m.value_bytes(&route_with(
            &m.jobs[0].steps[0].route,
            Seg::Key("uses".into()),
        ));
        assert_eq!(&text[r], "actions/checkout@v4");
    }
}

#[cfg(test)]
mod locator_agrees_with_yamlpath {
    use super::*;
    use crate::source::FileKind;

    /// The package directory, read at run time (cargo sets it for tests): the compile-time value
    /// goes stale when checkouts at different paths share one target directory.
    fn manifest_dir() -> std::path::PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
    }

    /// Every route the model uses, located by the line locator and by yamlpath, on every
    /// workflow fixture of the suite: same text (modulo trailing whitespace).
    #[test]
    #[allow(clippy::many_single_char_names)]
    fn on_fixtures() {
        let root = manifest_dir().join("../../tests/fixtures/rules/github");
        let mut stack = vec![root];
        let mut checked = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if !p.to_string_lossy().contains("/workflows/") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                let f = SourceFile::new("x.yml", FileKind::GithubWorkflow, text.clone());
                let Ok(m) = Model::parse(&f, DocKind::Workflow) else {
                    continue;
                };
                let Ok(doc) = yamlpath::Document::new(text.as_str()) else {
                    continue;
                };
                let mut routes: Vec<Route> = Vec::new();
                for j in &m.jobs {
                    routes.push(j.route.clone());
                    for s in &j.steps {
                        routes.push(s.route.clone());
                        for k in ["uses", "run", "if"] {
                            routes.push(route_with(&s.route, Seg::Key(k.into())));
                        }
                        routes.extend(s.with.iter().map(|kv| kv.route.clone()));
                        routes.extend(s.env.iter().map(|kv| kv.route.clone()));
                    }
                }
                for r in routes {
                    let Some(l) = m.loc.locate(&r) else { continue };
                    let Ok(Some(feat)) = doc.query_exact(&Model::yroute(&r)) else {
                        continue;
                    };
                    let y = &text[feat.location.byte_span.0..feat.location.byte_span.1];
                    assert_eq!(
                        text[l.value].trim_end(),
                        y.trim_end(),
                        "{} {r:?}",
                        p.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
