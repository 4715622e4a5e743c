//! A Terraform module (the `.tf` files of one directory) as blocks, attributes and expressions
//! with byte spans, converted from hcl-edit's syntax tree. Variables with literal defaults and
//! literal locals are substituted where they are used ("evaluated where trivial"); everything
//! else stays a reference (`aws_s3_bucket.logs.id`) or an unknown value.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block as HBlock, Structure};
use hcl_edit::template::{Element, Template};

use crate::source::SourceFile;

#[derive(Clone, Debug)]
pub enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    /// A reference such as `aws_s3_bucket.b.id` or `var.x` (unresolved).
    Ref(String),
    Call(String, Vec<Expr>),
    /// A string with interpolations that could not all be resolved: the literal parts, with
    /// `${…}` standing for the unknown pieces.
    Template(String),
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub span: Range<usize>,
    pub v: V,
}

impl Expr {
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string, including a template's literal rendering (`${…}` for unknown parts).
    pub fn text(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) | V::Template(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.v {
            V::Bool(b) => Some(*b),
            V::Str(s) => match s.as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match &self.v {
            V::Num(n) => Some(*n),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Expr] {
        match &self.v {
            V::List(items) => items,
            _ => &[],
        }
    }

    pub fn get(&self, key: &str) -> Option<&Expr> {
        match &self.v {
            V::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A known value (not a reference, call or template with unknowns).
    pub fn is_literal(&self) -> bool {
        match &self.v {
            V::Null | V::Bool(_) | V::Num(_) | V::Str(_) => true,
            V::List(items) => items.iter().all(Expr::is_literal),
            V::Map(entries) => entries.iter().all(|(_, v)| v.is_literal()),
            _ => false,
        }
    }

    /// The string, or every string of a list (IAM `Action: "x"` vs `Action: ["x", "y"]`).
    pub fn strings(&self) -> Vec<&str> {
        match &self.v {
            V::Str(s) | V::Template(s) => vec![s.as_str()],
            V::List(items) => items.iter().filter_map(Expr::text).collect(),
            _ => Vec::new(),
        }
    }

    /// The resource address a reference points into (`aws_s3_bucket.b.id` → `aws_s3_bucket.b`).
    pub fn ref_address(&self) -> Option<String> {
        let V::Ref(r) = &self.v else { return None };
        // `aws_s3_bucket.b[0].id` (count/for_each) still points at `aws_s3_bucket.b`.
        let strip = |p: &'_ str| p.split_once('[').map_or(p, |(n, _)| n).to_string();
        let mut parts = r.split('.');
        let first = parts.next()?;
        let second = strip(parts.next()?);
        if first == "data" {
            let third = strip(parts.next()?);
            return Some(format!("data.{second}.{third}"));
        }
        Some(format!("{first}.{second}"))
    }
}

#[derive(Clone, Debug)]
pub struct Attr {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Expr,
}

impl Attr {
    pub fn span(&self) -> Range<usize> {
        self.key_span.start..self.value.span.end.max(self.key_span.end)
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    /// Index into `Module::files`.
    pub file: usize,
    pub ident: String,
    pub labels: Vec<String>,
    pub span: Range<usize>,
    /// `resource "type" "name"` — where whole-block findings point.
    pub head: Range<usize>,
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

impl Block {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.key == key)
    }

    pub fn value(&self, key: &str) -> Option<&Expr> {
        self.attr(key).map(|a| &a.value)
    }

    pub fn block(&self, ident: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.ident == ident)
    }

    pub fn blocks<'a>(&'a self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.ident == ident)
    }

    /// `type` of a resource/data block.
    pub fn kind(&self) -> &str {
        self.labels.first().map_or("", String::as_str)
    }

    /// `aws_s3_bucket.logs`, `data.aws_iam_policy_document.x`.
    pub fn address(&self) -> String {
        let base = self.labels.join(".");
        if self.ident == "data" {
            format!("data.{base}")
        } else {
            base
        }
    }
}

pub struct Module {
    pub dir: String,
    pub files: Vec<Arc<SourceFile>>,
    pub blocks: Vec<Block>,
}

impl Module {
    pub fn resources<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks
            .iter()
            .filter(move |b| b.ident == "resource" && b.kind() == kind)
    }

    pub fn data<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks
            .iter()
            .filter(move |b| b.ident == "data" && b.kind() == kind)
    }

    pub fn by_address(&self, address: &str) -> Option<&Block> {
        self.blocks
            .iter()
            .filter(|b| b.ident == "resource" || b.ident == "data")
            .find(|b| b.address() == address)
    }

    pub fn file(&self, b: &Block) -> &SourceFile {
        &self.files[b.file]
    }

    /// Resources of `kind` whose attribute `attr` points at `target` (by reference, or by the
    /// target's literal `bucket`/`name` value).
    pub fn attached<'a>(
        &'a self,
        kind: &'a str,
        attr: &'a str,
        target: &'a Block,
    ) -> impl Iterator<Item = &'a Block> + 'a {
        let address = target.address();
        let literal_name = target
            .value("bucket")
            .or_else(|| target.value("name"))
            .and_then(Expr::as_str)
            .map(str::to_string);
        self.resources(kind).filter(move |b| {
            let Some(v) = b.value(attr) else { return false };
            v.ref_address().as_deref() == Some(address.as_str())
                || (literal_name.is_some() && v.as_str() == literal_name.as_deref())
        })
    }
}

/// Parse errors: (file index, byte offset, message).
pub type ParseError = (usize, usize, String);

/// Build the module from its files; files that do not parse are returned as errors and left out.
pub fn build(dir: &str, files: Vec<Arc<SourceFile>>) -> (Module, Vec<ParseError>) {
    let mut bodies = Vec::new();
    let mut errors = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match hcl_edit::parser::parse_body(&f.text) {
            Ok(body) => bodies.push((i, body)),
            Err(e) => {
                let loc = e.location();
                let at = f
                    .offset_of(loc.line() as u32, loc.column() as u32)
                    .unwrap_or_else(|| loc.offset().min(f.text.len()));
                errors.push((i, at, e.message().to_string()));
            }
        }
    }
    // Variables with literal defaults, then literal locals (which may use them).
    let mut env = Env::default();
    for (_, body) in &bodies {
        for b in body.blocks() {
            if b.ident.as_str() == "variable"
                && let (Some(name), Some(default)) =
                    (b.labels.first(), b.body.get_attribute("default"))
            {
                let v = convert(&default.value, &env, 0);
                if v.is_literal() {
                    env.vars.insert(name.as_str().to_string(), v);
                }
            }
        }
    }
    for (_, body) in &bodies {
        for b in body.blocks() {
            if b.ident.as_str() == "locals" {
                for a in b.body.attributes() {
                    let v = convert(&a.value, &env, 0);
                    if v.is_literal() {
                        env.locals.insert(a.key.as_str().to_string(), v);
                    }
                }
            }
        }
    }
    let mut blocks = Vec::new();
    for (i, body) in &bodies {
        for b in body.blocks() {
            blocks.push(block(*i, b, &env, 0));
        }
    }
    (
        Module {
            dir: dir.to_string(),
            files,
            blocks,
        },
        errors,
    )
}

#[derive(Default)]
struct Env {
    vars: HashMap<String, Expr>,
    locals: HashMap<String, Expr>,
}

const MAX_DEPTH: usize = 64;

fn span_of(x: &impl Span) -> Range<usize> {
    x.span().unwrap_or(0..0)
}

fn block(file: usize, b: &HBlock, env: &Env, depth: usize) -> Block {
    let span = span_of(b);
    let ident_span = span_of(&b.ident);
    let head_end = b
        .labels
        .last()
        .map_or(ident_span.end, |l| span_of(l).end.max(ident_span.end));
    let mut attrs = Vec::new();
    let mut blocks = Vec::new();
    for s in &b.body {
        match s {
            Structure::Attribute(a) => attrs.push(Attr {
                key: a.key.as_str().to_string(),
                key_span: span_of(&a.key),
                value: convert(&a.value, env, depth + 1),
            }),
            Structure::Block(inner) if depth < MAX_DEPTH => {
                blocks.push(block(file, inner, env, depth + 1));
            }
            Structure::Block(_) => {}
        }
    }
    Block {
        file,
        ident: b.ident.as_str().to_string(),
        labels: b.labels.iter().map(|l| l.as_str().to_string()).collect(),
        span,
        head: ident_span.start..head_end,
        attrs,
        blocks,
    }
}

fn traversal_path(t: &hcl_edit::expr::Traversal) -> Option<String> {
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let mut s = root.as_str().to_string();
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(id) => {
                s.push('.');
                s.push_str(id.as_str());
            }
            TraversalOperator::LegacyIndex(i) => s.push_str(&format!("[{}]", i.value())),
            TraversalOperator::Index(_) => s.push_str("[_]"),
            TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => s.push_str("[*]"),
        }
    }
    Some(s)
}

/// `var.x` / `local.x` with a known literal value.
fn lookup(path: &str, env: &Env) -> Option<Expr> {
    if let Some(name) = path.strip_prefix("var.") {
        return env.vars.get(name).cloned();
    }
    if let Some(name) = path.strip_prefix("local.") {
        return env.locals.get(name).cloned();
    }
    None
}

fn convert(e: &Expression, env: &Env, depth: usize) -> Expr {
    let span = span_of(e);
    if depth > MAX_DEPTH {
        return Expr {
            span,
            v: V::Unknown,
        };
    }
    let v = match e {
        Expression::Null(_) => V::Null,
        Expression::Bool(b) => V::Bool(*b.value()),
        Expression::Number(n) => n.value().as_f64().map_or(V::Unknown, V::Num),
        Expression::String(s) => V::Str(s.value().clone()),
        Expression::Array(a) => V::List(a.iter().map(|x| convert(x, env, depth + 1)).collect()),
        Expression::Object(o) => V::Map(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(id) => id.as_str().to_string(),
                        ObjectKey::Expression(x) => {
                            let c = convert(x, env, depth + 1);
                            c.text().map(str::to_string).unwrap_or_default()
                        }
                    };
                    (key, convert(v.expr(), env, depth + 1))
                })
                .collect(),
        ),
        Expression::StringTemplate(t) => template(t.iter(), env, depth),
        Expression::HeredocTemplate(h) => {
            let mut t: Template = h.template.clone();
            if h.indent().is_some() {
                // `<<-EOT`: hcl-edit keeps the indentation; strip it like Terraform does.
                let mut h2 = (**h).clone();
                h2.dedent();
                t = h2.template;
            }
            template(t.iter(), env, depth)
        }
        Expression::Parenthesis(p) => return convert(p.inner(), env, depth + 1).with_span(span),
        Expression::Variable(v) => V::Ref(v.as_str().to_string()),
        Expression::Traversal(t) => match traversal_path(t) {
            Some(path) => match lookup(&path, env) {
                Some(found) => return found.with_span(span),
                None => V::Ref(path),
            },
            None => V::Unknown,
        },
        Expression::FuncCall(c) => V::Call(
            c.name.name.as_str().to_string(),
            c.args.iter().map(|x| convert(x, env, depth + 1)).collect(),
        ),
        Expression::Conditional(_)
        | Expression::UnaryOp(_)
        | Expression::BinaryOp(_)
        | Expression::ForExpr(_) => V::Unknown,
    };
    Expr { span, v }
}

impl Expr {
    fn with_span(mut self, span: Range<usize>) -> Expr {
        self.span = span;
        self
    }
}

/// Render a template: literal parts as they are, known interpolations substituted, unknown
/// ones as `${…}` (the result is then a `Template`, not a `Str`).
fn template<'a>(elements: impl Iterator<Item = &'a Element>, env: &Env, depth: usize) -> V {
    let mut out = String::new();
    let mut known = true;
    for el in elements {
        match el {
            Element::Literal(s) => out.push_str(s.value()),
            Element::Interpolation(i) => {
                let c = convert(&i.expr, env, depth + 1);
                match &c.v {
                    V::Str(s) => out.push_str(s),
                    V::Num(n) => out.push_str(&n.to_string()),
                    V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    V::Ref(r) => {
                        known = false;
                        out.push_str(&format!("${{{r}}}"));
                    }
                    _ => {
                        known = false;
                        out.push_str("${…}");
                    }
                }
            }
            Element::Directive(_) => known = false,
        }
    }
    if known { V::Str(out) } else { V::Template(out) }
}
