//! `terraform/open-ingress`: ingress from the whole internet (0.0.0.0/0, ::/0; Azure's `*`,
//! `Internet`, `Any` and any `/0`) to an admin, file-sharing or database port, or to every
//! port — security group `ingress` blocks (`aws_security_group`, `aws_default_security_group`),
//! `aws_security_group_rule` (type ingress), `aws_vpc_security_group_ingress_rule`, GCP
//! firewalls and Azure NSG rules. The protocol counts: ICMP opens no port, UDP only the UDP
//! services listed.

use super::finding;
use crate::analyzers::rule::declare_rule;
use crate::analyzers::terraform::model::{Attr, Block, Expr, Module};
use crate::analyzers::{Output, ScanContext};
use crate::rules::RuleId;

declare_rule!(RuleId::TerraformOpenIngress, check);

/// SSH, telnet, RDP, WinRM, VNC, Docker, Kubernetes API/kubelet, etcd, FTP, MS RPC,
/// NetBIOS/SMB, LDAP and common databases, SQL Server Analysis Services (TCP).
const ADMIN_PORTS: &[u32] = &[
    20, 21, 22, 23, 135, 139, 389, 445, 3389, 5900, 5985, 5986, 2375, 2376, 6443, 10250, 2379,
    3306, 5432, 1433, 1521, 2383, 27017, 6379, 9200, 5601, 11211, 9042,
];

/// NetBIOS name/datagram, SNMP, Memcached (UDP).
const UDP_PORTS: &[u32] = &[137, 138, 161, 11211];

fn world(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// Azure's address prefixes: the service tags `*`, `Internet`, `Any`, and any `/0` (Azure
/// takes `a.b.c.d/0`, every address; the AWS provider refuses a `/0` with host bits set, so
/// only the canonical forms count there).
fn azure_world(prefix: &str) -> bool {
    let p = prefix.trim();
    world(p)
        // (a bare `0.0.0.0` is one address, not a prefix)
        || p == "*"
        || p.eq_ignore_ascii_case("internet")
        || p.eq_ignore_ascii_case("any")
        || p.ends_with("/0")
}

/// What an open port range exposes, if it matters: `all ports` or the admin ports inside.
fn exposed(from: Option<f64>, to: Option<f64>, protocol: Option<&str>) -> Option<String> {
    let proto = protocol.unwrap_or("tcp").to_ascii_lowercase();
    if matches!(proto.as_str(), "-1" | "all" | "*") {
        return Some("all ports".into());
    }
    let ports = match proto.as_str() {
        "tcp" | "6" => ADMIN_PORTS,
        "udp" | "17" => UDP_PORTS,
        // ICMP (1, 58) opens no port; other protocols (ESP, GRE…) neither
        _ => return None,
    };
    let (from, to) = (from? as u32, to? as u32);
    if from == 0 && (to == 0 || to >= 65535) {
        return Some("all ports".into());
    }
    let hit: Vec<String> = ports
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

/// Several exposures of one rule (Azure port lists) as one phrase: `all ports` if any, else
/// `port 21, 22` / `ports 1000-3000, port 22`.
fn join_exposures(list: &[String]) -> Option<String> {
    if list.iter().any(|e| e == "all ports") {
        return Some("all ports".into());
    }
    let singles: Vec<&str> = list
        .iter()
        .filter_map(|e| e.strip_prefix("port "))
        .collect();
    let mut parts: Vec<String> = list
        .iter()
        .filter(|e| e.starts_with("ports "))
        .cloned()
        .collect();
    if !singles.is_empty() {
        parts.push(format!("port {}", singles.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn cidr_attr<'a>(b: &'a Block, keys: &[&str], open: fn(&str) -> bool) -> Option<&'a Attr> {
    keys.iter()
        .filter_map(|k| b.attr(k))
        .find(|a| a.value.strings().iter().any(|c| open(c)))
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
    let groups = m
        .resources("aws_security_group")
        .chain(m.resources("aws_default_security_group"));
    for sg in groups {
        for ing in sg.blocks("ingress") {
            if let Some(cidr) = cidr_attr(ing, &aws_keys, world)
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
        if let Some(cidr) = cidr_attr(r, &aws_keys, world)
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
        if let Some(cidr) = cidr_attr(r, &aws_keys, world)
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
        let Some(cidr) = cidr_attr(fw, &["source_ranges"], world).filter(|_| ingress) else {
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
        let Some(cidr) = cidr_attr(
            r,
            &["source_address_prefix", "source_address_prefixes"],
            azure_world,
        ) else {
            continue;
        };
        let ports = r
            .value("destination_port_range")
            .or_else(|| r.value("destination_port_ranges"))
            .map(Expr::strings)
            .unwrap_or_default();
        // Azure writes `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`; with `*` the port range still
        // applies (and TCP's list covers what matters).
        let proto = match r.value("protocol").and_then(Expr::text) {
            None | Some("*") => "tcp",
            Some(p) => p,
        };
        // A range may be a comma-separated list (`"22, 80-90"`).
        let exposures: Vec<String> = ports
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (a, b) = if p == "*" {
                    ("0", "65535")
                } else {
                    p.split_once('-').unwrap_or((p, p))
                };
                exposed(a.trim().parse().ok(), b.trim().parse().ok(), Some(proto))
            })
            .collect();
        let what = join_exposures(&exposures);
        if let Some(what) = what {
            report(m, owner, r, out, &what, cidr);
        }
    }
}
