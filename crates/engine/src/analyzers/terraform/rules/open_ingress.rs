//! `terraform/open-ingress`: ingress from the whole internet (0.0.0.0/0, ::/0) to an admin or
//! database port, or to every port — security group `ingress` blocks, `aws_security_group_rule`
//! (type ingress), `aws_vpc_security_group_ingress_rule`, GCP firewalls and Azure NSG rules.

use super::finding;
use crate::analyzers::terraform::model::{Attr, Block, Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::analyzers::rule::declare_rule;
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformOpenIngress, check);

/// SSH, telnet, RDP, WinRM, Docker, Kubernetes API/kubelet, etcd and common databases.
const ADMIN_PORTS: &[u32] = &[
    22, 23, 3389, 5985, 5986, 2375, 2376, 6443, 10250, 2379, 3306, 5432, 1433, 1521, 27017, 6379,
    9200, 5601, 11211,
];

fn world(cidr: &str) -> bool {
    matches!(
        cidr.trim(),
        "0.0.0.0/0" | "::/0" | "*" | "Internet" | "any" | "0.0.0.0"
    )
}

/// What an open port range exposes, if it matters: `all ports` or the admin ports inside.
fn exposed(from: Option<f64>, to: Option<f64>, protocol: Option<&str>) -> Option<String> {
    let proto = protocol.unwrap_or("tcp").to_ascii_lowercase();
    if matches!(proto.as_str(), "-1" | "all") {
        return Some("all ports".into());
    }
    if proto == "icmp" || proto == "icmpv6" || proto == "1" || proto == "58" {
        return None;
    }
    let (from, to) = (from? as u32, to? as u32);
    if from == 0 && (to == 0 || to >= 65535) {
        return Some("all ports".into());
    }
    let hit: Vec<String> = ADMIN_PORTS
        .iter()
        .filter(|p| (from..=to).contains(p))
        .map(u32::to_string)
        .collect();
    if hit.is_empty() {
        None
    } else if to - from > 1000 {
        Some(format!("ports {from}-{to}"))
    } else {
        Some(format!("port {}", hit.join(", ")))
    }
}

fn cidr_attr<'a>(b: &'a Block, keys: &[&str]) -> Option<&'a Attr> {
    keys.iter()
        .filter_map(|k| b.attr(k))
        .find(|a| a.value.strings().iter().any(|c| world(c)))
}

fn num(b: &Block, key: &str) -> Option<f64> {
    b.value(key).and_then(Expr::as_num)
}

fn report(m: &Module, owner: &Block, rule: &Block, out: &mut Output, what: &str, cidr: &Attr) {
    out.push(
        finding(
            m,
            owner,
            ID,
            cidr.span(),
            format!("`{}` opens {what} to the internet", owner.address()),
            &format!("ingress {what}"),
        )
        .related(m.file(owner), rule.head.clone(), "the ingress rule"),
    );
}

pub fn check(m: &Module, _cx: &ScanContext<'_>, out: &mut Output) {
    let aws_keys = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"];
    for sg in m.resources("aws_security_group") {
        for ing in sg.blocks("ingress") {
            if let Some(cidr) = cidr_attr(ing, &aws_keys)
                && let Some(what) = exposed(
                    num(ing, "from_port"),
                    num(ing, "to_port"),
                    ing.value("protocol").and_then(Expr::text),
                )
            {
                report(m, sg, ing, out, &what, cidr);
            }
        }
    }
    for r in m.resources("aws_security_group_rule") {
        if r.value("type").and_then(Expr::as_str) != Some("ingress") {
            continue;
        }
        if let Some(cidr) = cidr_attr(r, &aws_keys)
            && let Some(what) = exposed(
                num(r, "from_port"),
                num(r, "to_port"),
                r.value("protocol").and_then(Expr::text),
            )
        {
            report(m, r, r, out, &what, cidr);
        }
    }
    for r in m.resources("aws_vpc_security_group_ingress_rule") {
        if let Some(cidr) = cidr_attr(r, &aws_keys)
            && let Some(what) = exposed(
                num(r, "from_port").or(Some(0.0)),
                num(r, "to_port").or(Some(65535.0)),
                r.value("ip_protocol").and_then(Expr::text),
            )
        {
            report(m, r, r, out, &what, cidr);
        }
    }
    for fw in m.resources("google_compute_firewall") {
        let ingress = fw
            .value("direction")
            .and_then(Expr::as_str)
            .is_none_or(|d| d.eq_ignore_ascii_case("INGRESS"));
        let Some(cidr) = cidr_attr(fw, &["source_ranges"]).filter(|_| ingress) else {
            continue;
        };
        for allow in fw.blocks("allow") {
            let proto = allow.value("protocol").and_then(Expr::text);
            let ports = allow.value("ports").map(Expr::strings).unwrap_or_default();
            let what = if ports.is_empty() {
                exposed(Some(0.0), Some(65535.0), proto)
            } else {
                ports.iter().find_map(|p| {
                    let (a, b) = p.split_once('-').unwrap_or((p, p));
                    exposed(a.trim().parse().ok(), b.trim().parse().ok(), proto)
                })
            };
            if let Some(what) = what {
                report(m, fw, allow, out, &what, cidr);
                break;
            }
        }
    }
    // Standalone NSG rules own themselves; inline `security_rule` blocks belong to their group.
    let nsg_rules = m
        .resources("azurerm_network_security_rule")
        .map(|r| (r, r))
        .chain(
            m.resources("azurerm_network_security_group")
                .flat_map(|g| g.blocks("security_rule").map(move |r| (g, r))),
        );
    for (owner, r) in nsg_rules {
        let inbound = r.value("direction").and_then(Expr::as_str) == Some("Inbound");
        let allow = r.value("access").and_then(Expr::as_str) == Some("Allow");
        if !inbound || !allow {
            continue;
        }
        let Some(cidr) = cidr_attr(r, &["source_address_prefix", "source_address_prefixes"]) else {
            continue;
        };
        let ports = r
            .value("destination_port_range")
            .or_else(|| r.value("destination_port_ranges"))
            .map(Expr::strings)
            .unwrap_or_default();
        let what = ports.iter().find_map(|p| {
            if *p == "*" {
                return Some("all ports".to_string());
            }
            let (a, b) = p.split_once('-').unwrap_or((p, p));
            exposed(a.trim().parse().ok(), b.trim().parse().ok(), Some("tcp"))
        });
        if let Some(what) = what {
            report(m, owner, r, out, &what, cidr);
        }
    }
}
