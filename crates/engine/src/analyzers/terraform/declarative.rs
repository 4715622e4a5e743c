//! Declarative Terraform rules: "resource X must set Y (to Z)". Each is a catalogue file
//! (`rules/terraform/<name>.yaml`, its own id, docs and fixtures) with a `check:` section that
//! names the resource types, an attribute path through nested blocks / object values, and the
//! values that fail. One evaluator runs them all over the module; a finding points at the
//! attribute when it is set, else at the closest enclosing block that exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::model::{Block, Expr, Module, V};
use crate::analyzers::{Output, ScanContext};
use crate::finding::{Confidence, Persona, RawFinding};
use crate::rules::RuleId;

/// The `check:` section of a declarative rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Resource types it applies to (`data.aws_ami` for a data source).
    pub resources: Vec<String>,
    /// Registry modules that take the same settings as inputs (`terraform-aws-modules/s3-bucket`
    /// matches `source = "terraform-aws-modules/s3-bucket/aws"`).
    #[serde(default)]
    pub modules: Vec<String>,
    /// `a.b.c`: nested blocks (or object attributes), the last one an attribute or a block
    /// (`.` is the resource itself);
    /// or a list of such paths, each checked on its own; a trailing `?` makes that path's
    /// absence no failure (`access_logs` must exist, `access_logs.enabled?` must not be false).
    pub path: Paths,
    /// With `missing`: a leaf is missing only when its enclosing block is written (an absent
    /// `ebs_block_device` is no unencrypted device).
    #[serde(default)]
    pub ignore_missing_parent: bool,
    /// Fail when the path is absent (a block or attribute not written).
    #[serde(default)]
    pub missing: bool,
    /// Fail when the path is written at all (a `website` block).
    #[serde(default)]
    pub present: bool,
    /// Fail when the value, or an item of a list value, is one of these (case-insensitive for
    /// strings).
    #[serde(default)]
    pub bad: Vec<serde_json::Value>,
    /// Fail when the value is known and none of these.
    #[serde(default)]
    pub good: Vec<serde_json::Value>,
    /// Fail when the value starts with one of these (case-insensitive).
    #[serde(default)]
    pub bad_prefix: Vec<String>,
    /// Fail when a number is below this.
    pub below: Option<f64>,
    /// Fail when a number is above this.
    pub above: Option<f64>,
    /// Fail when the value is `""`, `[]` or `{}`.
    #[serde(default)]
    pub empty: bool,
    /// Fail when a known list lacks one of these (case-insensitive).
    #[serde(default)]
    pub must_contain: Vec<String>,
    /// The check applies only when these hold (`path` with `good`: known and one of them).
    #[serde(default)]
    pub only_if: Vec<Cond>,
    /// Skip a resource that a resource of this type attaches to (`aws_s3_bucket_logging.bucket`).
    #[serde(default)]
    pub unless_attached: Vec<Attached>,
    /// Skip every resource when the module has one of these resource types.
    #[serde(default)]
    pub unless_module_has: Vec<String>,
    /// `{address}` is replaced by the resource address.
    pub message: String,
    #[serde(default)]
    pub persona: Persona,
    #[serde(default)]
    pub confidence: Confidence,
    /// A module the check must not fire on (the `neg` fixture is generated from it).
    #[serde(default)]
    pub pass_example: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    fn all(&self) -> Vec<&str> {
        match self {
            Paths::One(p) => vec![p.as_str()],
            Paths::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    pub path: String,
    /// Holds when the value is one of these.
    #[serde(default)]
    pub good: Vec<serde_json::Value>,
    /// Holds when the value is known and none of these.
    #[serde(default)]
    pub not: Vec<serde_json::Value>,
    /// The condition holds when the path is absent.
    #[serde(default)]
    pub missing: bool,
    /// The condition holds when the path is written (any value).
    #[serde(default)]
    pub present: bool,
    /// The condition holds when no instance of the path has one of these values (`filter.name`
    /// over every `filter` block).
    #[serde(default)]
    pub none: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attached {
    pub resource: String,
    pub attr: String,
}

#[derive(Debug, Deserialize)]
struct RuleDoc {
    id: String,
    check: Option<Check>,
}

/// The declarative rules of the catalogue, with their parse errors (shown by a unit test; a
/// broken rule is left out at run time).
pub struct Loaded {
    pub rules: Vec<(RuleId, Check)>,
    pub errors: Vec<String>,
}

pub fn loaded() -> &'static Loaded {
    static RULES: OnceLock<Loaded> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (path, json) in crate::rules::catalogue_json() {
            if !path.starts_with("terraform/") || !json.contains("\"check\"") {
                continue;
            }
            match serde_json::from_str::<RuleDoc>(json) {
                Ok(RuleDoc {
                    id,
                    check: Some(check),
                }) => match RuleId::ALL.iter().find(|r| r.as_str() == id) {
                    Some(rid) => rules.push((*rid, check)),
                    None => errors.push(format!("{path}: no RuleId for {id}")),
                },
                Ok(_) => {}
                Err(e) => errors.push(format!("{path}: {e}")),
            }
        }
        rules.sort_by_key(|(id, _)| *id);
        Loaded { rules, errors }
    })
}

pub fn ids() -> impl Iterator<Item = &'static str> {
    loaded().rules.iter().map(|(id, _)| id.as_str())
}

/// A step of a path: a block, or an object value (`versioning = { enabled = true }`).
#[derive(Clone, Copy)]
enum Node<'a> {
    Block(&'a Block),
    Map(&'a Expr),
}

/// What a path leads to in one resource.
enum Found<'a> {
    /// Not written; the deepest enclosing node's location, and whether that node is the
    /// leaf's own parent.
    Missing(std::ops::Range<usize>, bool),
    /// A `dynamic` block or a computed object on the way: not judged.
    Unknown,
    Value(&'a Expr, std::ops::Range<usize>),
    Block(&'a Block),
}

const MAX_FOUND: usize = 64;

/// Every place the path leads to (each instance of a repeated nested block).
fn walk<'a>(b: &'a Block, path: &str) -> Vec<Found<'a>> {
    if path == "." {
        // The resource itself: `present` then flags every one (with `unless_attached`).
        return vec![Found::Block(b)];
    }
    let parts: Vec<&str> = path.split('.').collect();
    let mut frontier: Vec<Node<'a>> = vec![Node::Block(b)];
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for node in frontier {
            match node {
                Node::Block(blk) => {
                    if let Some(a) = blk.attr(part) {
                        match &a.value.v {
                            V::Null => out.push(Found::Missing(blk.head.clone(), last)),
                            _ if last => out.push(Found::Value(&a.value, a.span())),
                            V::Map(_) => next.push(Node::Map(&a.value)),
                            V::List(items) => {
                                for it in items {
                                    if matches!(it.v, V::Map(_)) {
                                        next.push(Node::Map(it));
                                    }
                                }
                                if items.is_empty() {
                                    out.push(Found::Missing(a.span(), false));
                                }
                            }
                            _ => out.push(Found::Unknown),
                        }
                        continue;
                    }
                    let inner: Vec<&'a Block> =
                        blk.blocks.iter().filter(|x| x.ident == *part).collect();
                    let dynamic = blk.blocks.iter().any(|d| {
                        d.ident == "dynamic" && d.labels.first().is_some_and(|l| l == part)
                    });
                    if dynamic {
                        out.push(Found::Unknown);
                    } else if inner.is_empty() {
                        out.push(Found::Missing(blk.head.clone(), last));
                    } else if last {
                        out.extend(inner.into_iter().map(Found::Block));
                    } else {
                        next.extend(inner.into_iter().map(Node::Block));
                    }
                }
                Node::Map(e) => match e.get(part) {
                    None => out.push(Found::Missing(e.span.clone(), last)),
                    Some(v) if matches!(v.v, V::Null) => {
                        out.push(Found::Missing(e.span.clone(), last));
                    }
                    Some(v) if last => out.push(Found::Value(v, v.span.clone())),
                    Some(v) if matches!(v.v, V::Map(_)) => next.push(Node::Map(v)),
                    Some(_) => out.push(Found::Unknown),
                },
            }
        }
        if out.len() > MAX_FOUND {
            break;
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    out
}

/// A literal as the lower-case text the lists are compared with.
fn norm(e: &Expr) -> Option<String> {
    match &e.v {
        V::Bool(b) => Some(b.to_string()),
        V::Num(n) => Some(n.to_string()),
        V::Str(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

fn norm_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.to_ascii_lowercase(),
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    }
}

fn in_list(e: &Expr, list: &[serde_json::Value]) -> Option<bool> {
    let s = norm(e)?;
    Some(list.iter().any(|v| norm_json(v) == s))
}

/// Whether a written value fails the check.
fn value_fails(c: &Check, e: &Expr) -> bool {
    if c.empty {
        let empty = match &e.v {
            V::Str(s) => s.trim().is_empty(),
            V::List(items) => items.is_empty(),
            V::Map(entries) => entries.is_empty(),
            _ => false,
        };
        if empty {
            return true;
        }
    }
    if !c.bad.is_empty() && in_list(e, &c.bad) == Some(true) {
        return true;
    }
    // A list fails when one of its items is bad (`allowed_origins = ["*"]`).
    if !c.bad.is_empty() && e.items().iter().any(|i| in_list(i, &c.bad) == Some(true)) {
        return true;
    }
    if !c.good.is_empty() && in_list(e, &c.good) == Some(false) {
        return true;
    }
    if !c.bad_prefix.is_empty()
        && let Some(s) = norm(e)
        && c.bad_prefix
            .iter()
            .any(|p| s.starts_with(&p.to_ascii_lowercase()))
    {
        return true;
    }
    if let Some(n) = e.as_num().filter(|_| !matches!(e.v, V::Bool(_)))
        && (c.below.is_some_and(|min| n < min) || c.above.is_some_and(|max| n > max))
    {
        return true;
    }
    if !c.must_contain.is_empty() && e.is_literal() && matches!(e.v, V::List(_)) {
        let have: Vec<String> = e.strings().iter().map(|s| s.to_ascii_lowercase()).collect();
        if c.must_contain
            .iter()
            .any(|m| !have.contains(&m.to_ascii_lowercase()))
        {
            return true;
        }
    }
    false
}

fn applies(b: &Block, conds: &[Cond]) -> bool {
    conds.iter().all(|cond| {
        let found = walk(b, &cond.path);
        if !cond.none.is_empty() {
            return !found
                .iter()
                .any(|f| matches!(f, Found::Value(e, _) if in_list(e, &cond.none) == Some(true)));
        }
        found.iter().any(|f| match f {
            Found::Missing(..) => cond.missing,
            Found::Value(..) | Found::Block(_) if cond.present => true,
            Found::Value(e, _) => {
                (!cond.good.is_empty() && in_list(e, &cond.good) == Some(true))
                    || (!cond.not.is_empty() && in_list(e, &cond.not) == Some(false))
            }
            Found::Block(_) | Found::Unknown => false,
        })
    })
}

pub fn run(m: &Module, cx: &ScanContext<'_>, out: &mut Output) {
    let loaded = loaded();
    if loaded.rules.is_empty() {
        return;
    }
    let mut by_kind: HashMap<String, Vec<&Block>> = HashMap::new();
    let mut modules: Vec<&Block> = Vec::new();
    for b in &m.blocks {
        if b.ident == "resource" {
            by_kind.entry(b.kind().to_string()).or_default().push(b);
        } else if b.ident == "data" {
            by_kind
                .entry(format!("data.{}", b.kind()))
                .or_default()
                .push(b);
        } else if b.ident == "module" {
            modules.push(b);
        }
    }
    for (id, c) in &loaded.rules {
        if crate::limits::budget_exceeded() {
            break;
        }
        if !cx.enabled(*id)
            || c.unless_module_has
                .iter()
                .any(|k| by_kind.contains_key(k.as_str()))
        {
            continue;
        }
        for kind in &c.resources {
            let Some(blocks) = by_kind.get(kind.as_str()) else {
                continue;
            };
            for b in blocks {
                check_one(m, *id, c, b, out);
            }
        }
        for b in &modules {
            if b.value("source")
                .and_then(Expr::as_str)
                .is_some_and(|src| c.modules.iter().any(|p| src.starts_with(p.as_str())))
            {
                check_one(m, *id, c, b, out);
            }
        }
    }
}

fn check_one(m: &Module, id: RuleId, c: &Check, b: &Block, out: &mut Output) {
    if !applies(b, &c.only_if) {
        return;
    }
    if c.unless_attached
        .iter()
        .any(|a| m.attached(&a.resource, &a.attr, b).next().is_some())
    {
        return;
    }
    let address = if b.ident == "module" {
        format!("module.{}", b.address())
    } else {
        b.address()
    };
    for spec in c.path.all() {
        let (path, optional) = match spec.strip_suffix('?') {
            Some(p) => (p, true),
            None => (spec, false),
        };
        let missing = c.missing && !optional;
        let at = walk(b, path).into_iter().find_map(|f| match f {
            Found::Missing(at, parent) if missing && (parent || !c.ignore_missing_parent) => {
                Some(at)
            }
            Found::Value(e, at) if c.present || value_fails(c, e) => Some(at),
            Found::Block(blk) if c.present => Some(blk.head.clone()),
            _ => None,
        });
        let Some(at) = at else { continue };
        let msg = c.message.replace("{address}", &address);
        let mut f = RawFinding::new(id, m.file(b), at, msg)
            .content(format!("{address} {} {path}", id.as_str()));
        if c.persona != Persona::Regular {
            f = f.persona(c.persona);
        }
        if c.confidence != Confidence::High {
            f = f.confidence(c.confidence);
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_declarative_rule_loads() {
        let l = super::loaded();
        assert!(l.errors.is_empty(), "{:#?}", l.errors);
    }
}
