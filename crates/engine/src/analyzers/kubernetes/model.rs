//! Workloads found in a manifest: the pod spec at the right depth for each kind, every
//! container (regular, init, ephemeral), and effective security settings with pod-level
//! `securityContext` inherited where Kubernetes inherits it.

use std::ops::Range;

use super::yaml::{Document, Node};
use crate::source::SourceFile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub fn label(self) -> &'static str {
        match self {
            ContainerKind::Container => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

pub struct Container<'a> {
    pub kind: ContainerKind,
    pub name: String,
    pub node: &'a Node,
}

impl<'a> Container<'a> {
    /// Where a finding about the container as a whole points: its `name:` entry, else the item.
    pub fn anchor(&self) -> Range<usize> {
        self.node
            .entry("name")
            .map_or_else(|| head(&self.node.span), super::yaml::Entry::span)
    }

    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }

    /// A container-level security setting.
    pub fn sc(&self, key: &str) -> Option<&'a Node> {
        self.security_context()?.get(key)
    }

    /// Where a finding about a missing container setting points: the container's
    /// `securityContext:` key when it has one, else its `name:`.
    pub fn sc_anchor(&self) -> Range<usize> {
        self.node
            .entry("securityContext")
            .map_or_else(|| self.anchor(), |e| e.key_span.clone())
    }

    /// The program the container runs and its flags, from `command` and `args` (and the
    /// script of `sh -c "…"`); `None` without either.
    pub fn invocation(&self) -> Option<Invocation<'a>> {
        invocation(self)
    }
}

/// One `--flag[=value]` of a command line.
#[derive(Clone, Debug)]
pub struct Flag {
    /// Without the leading dashes.
    pub name: String,
    /// `None` for a bare `--flag` (a boolean switched on).
    pub value: Option<String>,
    /// The list item the flag is written in.
    pub span: Range<usize>,
}

/// A container's command line: the program's base name and its flags, in order.
pub struct Invocation<'a> {
    /// `kube-apiserver`, `etcd`, `kubelet`… (`hyperkube apiserver` reads as `kube-apiserver`).
    pub program: String,
    /// The `command:` entry (else `args:`): where "flag missing" findings point.
    pub anchor: Range<usize>,
    pub flags: Vec<Flag>,
    /// The `command` node, for messages that quote it.
    pub node: &'a Node,
}

impl Invocation<'_> {
    /// The last occurrence of `--name` (later flags override earlier ones).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// Every comma-separated value of every occurrence of `--name`.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.name == name)
            .filter_map(|f| f.value.as_deref())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Split a shell script into words: whitespace-separated, quotes removed (enough for
/// `sh -c "kube-apiserver --flag=x …"`; no expansion is attempted).
fn shell_words(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for ch in script.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            None if ch == '"' || ch == '\'' => {
                quote = Some(ch);
                any = true;
            }
            None if ch.is_whitespace() || ch == ';' || ch == '&' || ch == '|' => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            None if ch == '\\' => {}
            _ => cur.push(ch),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

fn base_name(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn invocation<'a>(c: &Container<'a>) -> Option<Invocation<'a>> {
    let command = c.node.entry("command");
    let args = c.node.entry("args");
    let head = command.or(args)?;
    // (text, span of the list item it came from)
    let mut words: Vec<(String, Range<usize>)> = Vec::new();
    for e in [command, args].into_iter().flatten() {
        let items: Vec<&Node> = match &e.value.value {
            super::yaml::Value::Seq(items) => items.iter().collect(),
            super::yaml::Value::Scalar(..) => vec![&e.value],
            _ => Vec::new(),
        };
        for it in items {
            let Some(text) = it.as_str() else { continue };
            // A single item may hold several flags (`"--a=1 --b=2"`) or a whole script.
            if text.contains(char::is_whitespace) {
                for w in shell_words(text) {
                    words.push((w, it.span.clone()));
                }
            } else {
                words.push((text.to_string(), it.span.clone()));
            }
        }
    }
    // `sh -c "…"` / `bash -c`: the script's first word is the program.
    let mut pos = 0;
    while pos + 1 < words.len()
        && matches!(base_name(&words[pos].0), "sh" | "bash" | "ash" | "dash")
    {
        pos += 1;
        while pos < words.len() && words[pos].0.starts_with('-') {
            pos += 1;
        }
    }
    let (mut program, mut pos) = if command.is_some() {
        (
            words.get(pos).map(|w| base_name(&w.0).to_string())?,
            pos + 1,
        )
    } else {
        // Only `args`: the image's entrypoint runs; name it after the image.
        let image = c
            .node
            .get("image")
            .and_then(Node::as_str)
            .unwrap_or_default();
        let repo = image.split('@').next().unwrap_or(image);
        let last = base_name(repo);
        (last.split(':').next().unwrap_or(last).to_string(), 0)
    };
    if program == "hyperkube"
        && let Some((next, _)) = words.get(pos)
    {
        program = if next.starts_with("kube-") || next == "kubelet" {
            next.clone()
        } else {
            format!("kube-{next}")
        };
        pos += 1;
    }
    let mut flags = Vec::new();
    while pos < words.len() {
        let (w, span) = &words[pos];
        pos += 1;
        let Some(body) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) else {
            continue;
        };
        if body.is_empty() {
            continue;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => match words.get(pos) {
                Some((next, _)) if !next.starts_with('-') => {
                    pos += 1;
                    (body.to_string(), Some(next.clone()))
                }
                _ => (body.to_string(), None),
            },
        };
        flags.push(Flag {
            name,
            value,
            span: span.clone(),
        });
    }
    Some(Invocation {
        program,
        anchor: head.key_span.clone(),
        flags,
        node: &head.value,
    })
}

pub struct Workload<'a> {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The object's top mapping (`apiVersion`, `kind`, `metadata`, …).
    pub object: &'a Node,
    pub pod_spec: &'a Node,
    /// The pod template's metadata (or the Pod's own).
    pub pod_meta: Option<&'a Node>,
    /// The `spec:` key the pod spec sits under (where "missing pod setting" findings point).
    pub spec_key: Option<Range<usize>>,
    pub containers: Vec<Container<'a>>,
}

impl<'a> Workload<'a> {
    /// Where a finding about the workload as a whole points: its `kind:` entry.
    pub fn anchor(&self) -> Range<usize> {
        self.object
            .entry("kind")
            .map_or_else(|| head(&self.object.span), super::yaml::Entry::span)
    }

    pub fn describe(&self) -> String {
        format!("{} `{}`", self.kind, self.name)
    }

    pub fn pod_sc(&self, key: &str) -> Option<&'a Node> {
        self.pod_spec.get("securityContext")?.get(key)
    }

    /// The pod spec's `spec:` key, else the object's `kind:`.
    pub fn spec_anchor(&self) -> Range<usize> {
        self.spec_key.clone().unwrap_or_else(|| self.anchor())
    }

    /// The pod's annotation `key` (template metadata, else the object's own for a Pod).
    pub fn annotation(&self, key: &str) -> Option<&'a super::yaml::Entry> {
        self.pod_meta
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.entry(key))
            .or_else(|| {
                if self.pod_meta.is_none() {
                    self.object.path(&["metadata", "annotations"])?.entry(key)
                } else {
                    None
                }
            })
    }

    /// A setting that the container inherits from the pod's securityContext unless it sets it.
    pub fn effective(&self, c: &Container<'a>, key: &str) -> Option<&'a Node> {
        c.sc(key).or_else(|| self.pod_sc(key))
    }

    /// Labels of the object and of its pod template (template labels win).
    pub fn label(&self, key: &str) -> Option<&'a Node> {
        self.pod_meta
            .and_then(|m| m.path(&["labels", key]))
            .or_else(|| self.object.path(&["metadata", "labels", key]))
    }
}

/// The first line of a span (whole-object findings should not cover 40 lines).
fn head(span: &Range<usize>) -> Range<usize> {
    span.start..span.start
}

/// A Kubernetes object: a document (or a `List` item) with `kind`.
pub struct Object<'a> {
    pub kind: String,
    pub api_version: String,
    pub name: String,
    pub namespace: Option<String>,
    pub node: &'a Node,
}

impl<'a> Object<'a> {
    /// Where a finding about the object as a whole points: its `kind:` entry.
    pub fn anchor(&self) -> Range<usize> {
        self.node
            .entry("kind")
            .map_or_else(|| head(&self.node.span), super::yaml::Entry::span)
    }

    pub fn describe(&self) -> String {
        format!("{} `{}`", self.kind, self.name)
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.node.get(key)
    }

    pub fn path(&self, keys: &[&str]) -> Option<&'a Node> {
        self.node.path(keys)
    }

    /// `metadata.annotations[key]`.
    pub fn annotation(&self, key: &str) -> Option<&'a super::yaml::Entry> {
        self.node.path(&["metadata", "annotations"])?.entry(key)
    }
}

pub struct Model<'a> {
    pub file: &'a SourceFile,
    /// The top node of every document (objects or not: a CNI configuration has no `kind`).
    pub roots: Vec<&'a Node>,
    /// Every object of the file, in order (`List` items included).
    pub objects: Vec<Object<'a>>,
    /// Every pod spec found in those objects, by shape.
    pub workloads: Vec<Workload<'a>>,
}

impl<'a> Model<'a> {
    pub fn new(file: &'a SourceFile, docs: &'a [Document]) -> Self {
        let mut objects = Vec::new();
        let mut roots = Vec::new();
        for doc in docs {
            if let Some(root) = &doc.root {
                roots.push(root);
                collect_objects(root, &mut objects, 0);
            }
        }
        let mut workloads = Vec::new();
        for o in &objects {
            // The built-in kinds' pod template is where the API server reads it (a stray
            // `spec.containers` beside it in a Deployment is ignored, as Kubernetes does);
            // every other kind is searched by shape.
            if let Some(path) = template_path(&o.kind) {
                let holder = o.node.path(path);
                if let Some(spec) = holder
                    .and_then(|h| h.get("spec"))
                    .filter(|s| is_pod_spec(s))
                {
                    let spec_key = holder
                        .and_then(|h| h.entry("spec"))
                        .map(|e| e.key_span.clone());
                    workloads.push(workload(
                        o,
                        spec,
                        holder.and_then(|h| h.get("metadata")),
                        spec_key,
                    ));
                    continue;
                }
            }
            find_pod_specs(o, o.node, None, &mut workloads, 0);
        }
        Model {
            file,
            roots,
            objects,
            workloads,
        }
    }

    pub fn objects_of<'m>(
        &'m self,
        kinds: &'m [&str],
    ) -> impl Iterator<Item = &'m Object<'a>> + 'm {
        self.objects
            .iter()
            .filter(move |o| kinds.contains(&o.kind.as_str()))
    }
}

/// Where the built-in workload kinds hold their pod template (the mapping with `metadata` and
/// `spec`); the Pod is its own.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "PodTemplate" => &["template"],
        _ => return None,
    })
}

fn str_at<'a>(n: &'a Node, keys: &[&str]) -> Option<&'a str> {
    n.path(keys).and_then(Node::as_str)
}

fn collect_objects<'a>(obj: &'a Node, out: &mut Vec<Object<'a>>, depth: usize) {
    let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
        return;
    };
    // `kubectl get -o yaml` output: a List of objects.
    if kind == "List" || kind.ends_with("List") {
        if depth < 4 {
            for item in obj.get("items").map(Node::items).unwrap_or_default() {
                collect_objects(item, out, depth + 1);
            }
        }
        return;
    }
    out.push(Object {
        kind: kind.to_string(),
        api_version: str_at(obj, &["apiVersion"]).unwrap_or_default().to_string(),
        name: str_at(obj, &["metadata", "name"])
            .unwrap_or("<unnamed>")
            .to_string(),
        namespace: str_at(obj, &["metadata", "namespace"]).map(str::to_string),
        node: obj,
    });
}

/// How deep below an object a pod spec is looked for (CronJob: `spec.jobTemplate.spec.template
/// .spec` is 5; operators' CRDs nest a little deeper).
const POD_SPEC_DEPTH: usize = 10;

/// A pod spec by shape: a mapping whose `containers` is a list of mappings with a `name` or an
/// `image`. Found in any kind (Deployment, CronJob, Knative Service/Configuration/Revision,
/// Argo Rollout, operators' CRDs…), not from a list of kinds; the search does not descend into
/// a pod spec it found. `parent` is the mapping holding the candidate under `spec` (a pod
/// template or the Pod itself), whose `metadata` is the pod's.
fn find_pod_specs<'a>(
    o: &Object<'a>,
    n: &'a Node,
    parent: Option<&'a Node>,
    out: &mut Vec<Workload<'a>>,
    depth: usize,
) {
    if depth > POD_SPEC_DEPTH {
        return;
    }
    if is_pod_spec(n) {
        let spec_key = parent
            .and_then(|p| p.entry("spec"))
            .map(|e| e.key_span.clone());
        out.push(workload(
            o,
            n,
            parent.and_then(|p| p.get("metadata")),
            spec_key,
        ));
        return;
    }
    match &n.value {
        super::yaml::Value::Map(entries) => {
            for e in entries {
                // Metadata, status and data never hold the workload's pod spec.
                if depth == 0 && matches!(e.key.as_str(), "metadata" | "status" | "data") {
                    continue;
                }
                let parent = if e.key == "spec" { Some(n) } else { None };
                find_pod_specs(o, &e.value, parent, out, depth + 1);
            }
        }
        super::yaml::Value::Seq(items) => {
            for i in items {
                find_pod_specs(o, i, None, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn is_pod_spec(n: &Node) -> bool {
    let Some(containers) = n.get("containers") else {
        return false;
    };
    let items = containers.items();
    !items.is_empty()
        && items
            .iter()
            .all(|c| matches!(c.value, super::yaml::Value::Map(_)))
        && items
            .iter()
            .any(|c| c.get("name").is_some() || c.get("image").is_some())
}

fn workload<'a>(
    o: &Object<'a>,
    pod_spec: &'a Node,
    pod_meta: Option<&'a Node>,
    spec_key: Option<Range<usize>>,
) -> Workload<'a> {
    let mut containers = Vec::new();
    for (key, ck) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Container),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ] {
        for node in pod_spec.get(key).map(Node::items).unwrap_or_default() {
            let name = node
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>")
                .to_string();
            containers.push(Container {
                kind: ck,
                name,
                node,
            });
        }
    }
    Workload {
        kind: o.kind.clone(),
        name: o.name.clone(),
        namespace: o.namespace.clone(),
        object: o.node,
        pod_spec,
        pod_meta,
        spec_key,
        containers,
    }
}
