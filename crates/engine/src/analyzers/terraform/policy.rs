//! IAM-style policy documents in their three Terraform spellings: `jsonencode({...})`, JSON in
//! a heredoc or string, and `data "aws_iam_policy_document"` statement blocks. All become
//! [`Statement`]s with the span to point at.

use std::ops::Range;

use super::model::{Block, Expr, Module, V};

#[derive(Debug, Default)]
pub struct Statement {
    pub span: Range<usize>,
    pub allow: bool,
    pub actions: Vec<String>,
    /// `NotAction`: everything except the listed actions.
    pub not_action: bool,
    pub resources: Vec<String>,
    /// Principal `*` / `{"AWS": "*"}` / identifiers `["*"]`.
    pub public_principal: bool,
    pub has_principal: bool,
    pub has_condition: bool,
}

impl Statement {
    /// Allows anyone (principal `*`) with no condition to narrow it: a public grant.
    pub fn is_public(&self) -> bool {
        self.allow && self.public_principal && !self.has_condition
    }
}

/// A policy attached to `block` (at `span` of `file`), or a policy document data block.
pub struct Policy<'m> {
    pub block: &'m Block,
    pub span: Range<usize>,
    pub statements: Vec<Statement>,
}

fn principal_public(p: &Expr) -> bool {
    match &p.v {
        V::Str(s) => s == "*",
        V::Map(entries) => entries.iter().any(|(_, v)| v.strings().contains(&"*")),
        V::List(_) => p.strings().contains(&"*"),
        _ => false,
    }
}

/// Statements of a JSON-shaped policy value (`jsonencode` argument or parsed JSON).
pub fn from_value(doc: &Expr) -> Vec<Statement> {
    let stmts: Vec<&Expr> = match doc.get("Statement") {
        Some(s) => match &s.v {
            V::List(items) => items.iter().collect(),
            V::Map(_) => vec![s],
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    stmts
        .into_iter()
        .map(|s| {
            let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
                (Some(a), _) => (a.strings(), false),
                (None, Some(a)) => (a.strings(), true),
                _ => (Vec::new(), false),
            };
            let principal = s.get("Principal");
            Statement {
                span: s.span.clone(),
                allow: s
                    .get("Effect")
                    .and_then(Expr::text)
                    .is_none_or(|e| e.eq_ignore_ascii_case("allow")),
                actions: actions.into_iter().map(str::to_string).collect(),
                not_action,
                resources: s
                    .get("Resource")
                    .map(|r| r.strings().into_iter().map(str::to_string).collect())
                    .unwrap_or_default(),
                public_principal: principal.is_some_and(principal_public),
                has_principal: principal.is_some(),
                has_condition: s.get("Condition").is_some_and(|c| !matches!(c.v, V::Null)),
            }
        })
        .collect()
}

/// JSON text (heredoc or string) into an [`Expr`] tree where every node has `span`.
fn json_to_expr(v: &serde_json::Value, span: &Range<usize>) -> Expr {
    let v = match v {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(V::Unknown, V::Num),
        serde_json::Value::String(s) => V::Str(s.clone()),
        serde_json::Value::Array(a) => V::List(a.iter().map(|x| json_to_expr(x, span)).collect()),
        serde_json::Value::Object(o) => V::Map(
            o.iter()
                .map(|(k, x)| (k.clone(), json_to_expr(x, span)))
                .collect(),
        ),
    };
    Expr {
        span: span.clone(),
        v,
    }
}

/// Statements of a `data "aws_iam_policy_document"` block.
pub fn from_document(b: &Block) -> Vec<Statement> {
    b.blocks("statement")
        .map(|s| {
            let (actions, not_action) = match (s.value("actions"), s.value("not_actions")) {
                (Some(a), _) => (a.strings(), false),
                (None, Some(a)) => (a.strings(), true),
                _ => (Vec::new(), false),
            };
            let principals: Vec<&Block> = s.blocks("principals").collect();
            Statement {
                span: s.span.clone(),
                allow: s
                    .value("effect")
                    .and_then(Expr::text)
                    .is_none_or(|e| e.eq_ignore_ascii_case("allow")),
                actions: actions.into_iter().map(str::to_string).collect(),
                not_action,
                resources: s
                    .value("resources")
                    .map(|r| r.strings().into_iter().map(str::to_string).collect())
                    .unwrap_or_default(),
                public_principal: principals.iter().any(|p| {
                    p.value("type")
                        .and_then(Expr::text)
                        .is_some_and(|t| t == "*" || t == "AWS")
                        && p.value("identifiers")
                            .is_some_and(|i| i.strings().contains(&"*"))
                }),
                has_principal: !principals.is_empty(),
                has_condition: s.block("condition").is_some(),
            }
        })
        .collect()
}

/// The statements an attribute's value stands for: `jsonencode(...)`, JSON text, or a
/// (references to policy document data blocks are judged at the data block).
pub fn statements_of(value: &Expr) -> Option<Vec<Statement>> {
    match &value.v {
        V::Call(name, args) if name == "jsonencode" => args.first().map(from_value),
        V::Str(text) | V::Template(text) => {
            let json: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
            Some(from_value(&json_to_expr(&json, &value.span)))
        }
        // Referenced documents are judged at their own statements.
        _ => None,
    }
}

/// Every inline policy (`policy` attribute or `inline_policy { policy }`) of resources of the
/// given kinds.
pub fn inline_policies<'m>(m: &'m Module, kinds: &[&'static str]) -> Vec<Policy<'m>> {
    let mut out = Vec::new();
    for kind in kinds {
        for b in m.resources(kind) {
            let mut attrs: Vec<&super::model::Attr> = b.attr("policy").into_iter().collect();
            attrs.extend(b.blocks("inline_policy").filter_map(|ip| ip.attr("policy")));
            for a in attrs {
                if let Some(mut statements) = statements_of(&a.value) {
                    locate_in_json_text(&m.file(b).text, &a.value, &mut statements);
                    out.push(Policy {
                        block: b,
                        span: a.span(),
                        statements,
                    });
                }
            }
        }
    }
    out
}

/// The statements of attribute `attr` of `b` (inline JSON or `jsonencode`), located in the
/// source like [`inline_policies`] does.
pub fn attr_statements(
    m: &Module,
    b: &Block,
    attr: &str,
) -> Option<(Range<usize>, Vec<Statement>)> {
    let a = b.attr(attr)?;
    let mut statements = statements_of(&a.value)?;
    locate_in_json_text(&m.file(b).text, &a.value, &mut statements);
    Some((a.span(), statements))
}

/// Policy document data blocks referenced from an attribute of one of `kinds` (so that a
/// bucket policy's document is judged as a bucket policy).
pub fn referenced_documents<'m>(
    m: &'m Module,
    kinds: &[&'static str],
) -> Vec<(&'m Block, &'m Block)> {
    let mut out = Vec::new();
    for kind in kinds {
        for b in m.resources(kind) {
            let Some(v) = b.value("policy") else { continue };
            if let Some(doc) = v.ref_address().and_then(|a| m.by_address(&a))
                && doc.kind() == "aws_iam_policy_document"
            {
                out.push((b, doc));
            }
        }
    }
    out
}

/// JSON text has no spans of its own: point each statement at its own `"Effect"` (or, failing
/// that, `"Action"`) key in the source, found by order of appearance.
fn locate_in_json_text(src: &str, value: &Expr, statements: &mut [Statement]) {
    if !matches!(value.v, V::Str(_) | V::Template(_)) {
        return;
    }
    let Some(text) = src.get(value.span.clone()) else {
        return;
    };
    for key in ["\"Effect\"", "\"Action\""] {
        let hits: Vec<usize> = text.match_indices(key).map(|(i, _)| i).collect();
        if hits.len() == statements.len() {
            for (s, at) in statements.iter_mut().zip(hits) {
                let start = value.span.start + at;
                s.span = start..start + key.len();
            }
            return;
        }
    }
}
