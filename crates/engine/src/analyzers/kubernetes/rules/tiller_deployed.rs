//! `kubernetes/tiller-deployed`: Tiller, the in-cluster server of Helm v2 (end of life since
//! 2020), is deployed: it runs with cluster-wide rights and its gRPC port 44134 accepts
//! unauthenticated requests from any pod unless `--listen` binds it to localhost; its Service
//! (`tiller-deploy`) publishes that port. Helm 3 has no server side.

use super::{key, who};
use crate::analyzers::common::image::ImageRef;
use crate::analyzers::kubernetes::model::{Model, Workload};
use crate::analyzers::kubernetes::yaml::{Entry, Node};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesTillerDeployed, check);

fn labelled_tiller(labels: Option<&Node>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::as_str);
    get("app") == Some("helm") && get("name") == Some("tiller")
}

fn is_tiller(w: &Workload<'_>, image: &str) -> bool {
    let repo = ImageRef::split(image)
        .map(|r| r.repository)
        .unwrap_or_default();
    repo.rsplit('/')
        .next()
        .is_some_and(|l| l.contains("tiller"))
        || labelled_tiller(w.pod_meta.and_then(|m| m.get("labels")))
}

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for w in &m.workloads {
        for c in &w.containers {
            let Some(img) = c.node.get("image") else {
                continue;
            };
            let image = img.as_str().unwrap_or_default();
            if !is_tiller(w, image) {
                continue;
            }
            let local = c.invocation().is_some_and(|i| {
                i.flag("listen")
                    .and_then(|f| f.value.as_deref())
                    .is_some_and(|v| v.starts_with("localhost:") || v.starts_with("127.0.0.1:"))
            });
            let why = if local {
                "Tiller (Helm v2, end of life) is deployed".to_string()
            } else {
                "Tiller (Helm v2, end of life) is deployed and its gRPC port listens beyond localhost (no `--listen=localhost:44134`): any pod can use its cluster-wide rights".to_string()
            };
            let at = c.node.entry("args").map_or_else(
                || c.anchor(),
                |a| a.key_span.start..img.span.end.max(a.span().end),
            );
            out.push(
                RawFinding::new(ID, m.file, at, format!("{}: {why}", who(w, c))).content(key(
                    w,
                    Some(c),
                    "tiller",
                )),
            );
        }
    }
    for o in m.objects_of(&["Service"]) {
        let sel = o.path(&["spec", "selector"]);
        if !(labelled_tiller(sel) || o.name.starts_with("tiller")) {
            continue;
        }
        let at = sel
            .and_then(|s| s.entry("name"))
            .map(Entry::span)
            .or_else(|| {
                o.path(&["metadata"])
                    .and_then(|md| md.entry("name"))
                    .map(Entry::span)
            })
            .unwrap_or_else(|| o.anchor());
        out.push(
            RawFinding::new(
                ID,
                m.file,
                at,
                format!(
                    "{} publishes Tiller's gRPC port (Helm v2, end of life)",
                    o.describe()
                ),
            )
            .content(format!("{} {} tiller service", o.kind, o.name)),
        );
    }
}
