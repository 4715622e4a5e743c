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
}

pub struct Workload<'a> {
    pub kind: String,
    pub name: String,
    /// The object's top mapping (`apiVersion`, `kind`, `metadata`, …).
    pub object: &'a Node,
    pub pod_spec: &'a Node,
    /// The pod template's metadata (or the Pod's own).
    pub pod_meta: Option<&'a Node>,
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

pub struct Model<'a> {
    pub file: &'a SourceFile,
    pub workloads: Vec<Workload<'a>>,
}

impl<'a> Model<'a> {
    pub fn new(file: &'a SourceFile, docs: &'a [Document]) -> Self {
        let mut workloads = Vec::new();
        for doc in docs {
            if let Some(root) = &doc.root {
                collect(root, &mut workloads, 0);
            }
        }
        Model { file, workloads }
    }
}

/// Path from the object to its pod template, per kind.
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

fn collect<'a>(obj: &'a Node, out: &mut Vec<Workload<'a>>, depth: usize) {
    let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
        return;
    };
    // `kubectl get -o yaml` output: a List of objects.
    if kind == "List" || kind.ends_with("List") {
        if depth < 4 {
            for item in obj.get("items").map(Node::items).unwrap_or_default() {
                collect(item, out, depth + 1);
            }
        }
        return;
    }
    let Some(path) = template_path(kind) else {
        return;
    };
    let (pod_spec, pod_meta) = if path.is_empty() {
        (obj.get("spec"), obj.get("metadata"))
    } else {
        let template = obj.path(path);
        (
            template.and_then(|t| t.get("spec")),
            template.and_then(|t| t.get("metadata")),
        )
    };
    let Some(pod_spec) = pod_spec else { return };
    let name = obj
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
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
    out.push(Workload {
        kind: kind.to_string(),
        name,
        object: obj,
        pod_spec,
        pod_meta,
        containers,
    });
}
