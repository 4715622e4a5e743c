//! `kubernetes/service-exposed`: a Service reachable from outside the cluster: `type:
//! NodePort` (a port on every node), or `type: LoadBalancer` without the cloud's internal
//! annotation or `loadBalancerSourceRanges` (a public address); or an Ingress routing to a
//! Service of the same file. What is exposed deserves a look: authentication, TLS, a WAF.

use crate::analyzers::kubernetes::model::Model;
use crate::analyzers::kubernetes::yaml::{Entry, Node};
use crate::analyzers::rule::declare_rule;
use crate::analyzers::{Output, ScanContext};
use crate::finding::RawFinding;
use crate::rules::RuleId;

declare_rule!(RuleId::KubernetesServiceExposed, check, persona = Pedantic);

/// Annotations that make a LoadBalancer internal, with the value that does.
const INTERNAL: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        "true",
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        "private",
    ),
];

pub fn check(m: &Model<'_>, _cx: &ScanContext<'_>, out: &mut Output) {
    for o in m.objects_of(&["Service"]) {
        let Some(t) = o.path(&["spec"]).and_then(|s| s.entry("type")) else {
            continue;
        };
        match t.value.as_str() {
            Some("NodePort") => out.push(
                RawFinding::new(
                    ID,
                    m.file,
                    t.span(),
                    format!(
                        "{} is a NodePort service: it opens a port on every node",
                        o.describe()
                    ),
                )
                .content(format!("{} {} NodePort", o.kind, o.name)),
            ),
            Some("LoadBalancer") => {
                let internal = INTERNAL.iter().any(|(k, v)| {
                    o.annotation(k)
                        .and_then(|e| e.value.as_str())
                        .is_some_and(|x| {
                            x.eq_ignore_ascii_case(v) || (*v == "true" && x == "0.0.0.0/0")
                        })
                });
                let ranges = o
                    .path(&["spec", "loadBalancerSourceRanges"])
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::as_str)
                    .any(|r| r != "0.0.0.0/0" && r != "::/0");
                if internal || ranges {
                    continue;
                }
                let md = o.path(&["metadata"]);
                let at = md
                    .and_then(|m| m.entry("annotations"))
                    .map(|e| e.key_span.clone())
                    .or_else(|| md.and_then(|m| m.entry("name")).map(Entry::span))
                    .unwrap_or_else(|| o.anchor());
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        at,
                        format!("{} is an external load balancer: a public address (no internal annotation or source ranges)", o.describe()),
                    )
                    .content(format!("{} {} LoadBalancer", o.kind, o.name))
                    .related(m.file, t.span(), "the service type"),
                );
            }
            _ => {}
        }
    }
    let services: Vec<&str> = m
        .objects_of(&["Service"])
        .map(|o| o.name.as_str())
        .collect();
    for o in m.objects_of(&["Ingress"]) {
        for rule in o
            .path(&["spec", "rules"])
            .map(Node::items)
            .unwrap_or_default()
        {
            for p in rule
                .path(&["http", "paths"])
                .map(Node::items)
                .unwrap_or_default()
            {
                let Some(b) = p.entry("backend") else {
                    continue;
                };
                let name = b
                    .value
                    .get("serviceName")
                    .or_else(|| b.value.path(&["service", "name"]))
                    .and_then(Node::as_str);
                let Some(name) = name.filter(|n| services.contains(n)) else {
                    continue;
                };
                out.push(
                    RawFinding::new(
                        ID,
                        m.file,
                        b.span(),
                        format!(
                            "{} exposes Service `{name}` through the ingress controller",
                            o.describe()
                        ),
                    )
                    .content(format!("{} {} backend {name}", o.kind, o.name)),
                );
            }
        }
    }
}
