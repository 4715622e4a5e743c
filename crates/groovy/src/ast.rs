//! The syntax tree. Every node carries its byte span in the parsed text. Pipelines are mostly
//! method calls with closures (`stage('x') { steps { sh '…' } }`), so calls are first-class:
//! parenthesised and command-style (`sh 'x'`, `agent any`) calls both become [`Call`].

use std::ops::Range;

pub use super::lexer::Quote;

pub type Span = Range<usize>;

#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub body: Vec<Stmt>,
    /// Spans of `//`, `/* */` and shebang comments.
    pub comments: Vec<Span>,
    /// Every annotation, in source order (`@Library('lib@v1') _`, `@Field`, `@NonCPS`).
    pub annotations: Vec<Annotation>,
    /// What the parser could not read and skipped (empty for a file it reads fully), in
    /// source order; see [`crate::parse_recovering`].
    pub skipped: Vec<Skipped>,
}

/// Source the parser skipped: where it stopped, why, and the range it skipped to recover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub at: usize,
    pub message: String,
    /// The source skipped (from the start of the unreadable statement to where parsing
    /// resumed); empty when nothing was skipped (a missing `}` at the end of input).
    pub span: Span,
}

/// `@Name` or `@Name(args)`; `@Library('a@1', 'b') _` has the library references as arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// As written, possibly qualified (`groovy.transform.Field`).
    pub name: String,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// A closure or method parameter, with its default value (`b = null`).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Expr(Expr),
    /// `def x = …`, `String x = …`, `final x`, `def (a, b) = …`.
    Decl {
        names: Vec<(String, Span)>,
        value: Option<Expr>,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    /// `for`, `while`, `do`, `try`/`catch`/`finally`, `switch`, `synchronized`, `class`,
    /// `static`/bare blocks: a keyword, the expressions of its head, and its bodies in order.
    Compound {
        keyword: String,
        head: Vec<Expr>,
        bodies: Vec<Vec<Stmt>>,
    },
    /// `def name(params) { … }` (also with a return type); an abstract or interface method
    /// has no body (`abstract String tag()`).
    Method {
        name: String,
        name_span: Span,
        params: Vec<Param>,
        body: Vec<Stmt>,
    },
    Return(Option<Expr>),
    Throw(Expr),
    /// `assert cond`, `assert cond : message`.
    Assert {
        cond: Expr,
        message: Option<Expr>,
    },
    /// `outer: for (…) { … }`, `Build: { … }`: a statement with a label.
    Labeled {
        label: String,
        label_span: Span,
        body: Box<Stmt>,
    },
    /// `import …`, `package …`, `break`, `continue`, annotations without a target.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Str(StrLit),
    Number(String),
    Bool(bool),
    Null,
    Ident(String),
    /// `target.name`, `target?.name`, `target*.name`.
    Property {
        target: Box<Expr>,
        name: String,
        name_span: Span,
        safe: bool,
    },
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    Call(Call),
    Closure(Closure),
    List(Vec<Expr>),
    Map(Vec<Arg>),
    Unary {
        op: String,
        operand: Box<Expr>,
    },
    Binary {
        op: String,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `a = b`, `a += b`.
    Assign {
        op: String,
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `new Type(args)`.
    New {
        type_name: String,
        args: Vec<Arg>,
    },
}

/// A method call: `name(args) { closure }`, `target.name args`, `name { … }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub target: Option<Box<Expr>>,
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    /// Trailing closure(s) after the argument list.
    pub closures: Vec<Closure>,
    /// Written without parentheses (`sh 'x'`).
    pub command: bool,
}

impl Call {
    /// A named argument's value (`credentialsId: 'x'`), also inside a single map argument.
    pub fn named(&self, key: &str) -> Option<&Expr> {
        self.args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|(n, _)| n == key))
            .map(|a| &a.value)
            .or_else(|| match self.positional(0).map(|e| &e.kind) {
                Some(ExprKind::Map(entries)) => entries
                    .iter()
                    .find(|a| a.name.as_ref().is_some_and(|(n, _)| n == key))
                    .map(|a| &a.value),
                _ => None,
            })
    }

    /// The n-th positional (unnamed) argument.
    pub fn positional(&self, n: usize) -> Option<&Expr> {
        self.args
            .iter()
            .filter(|a| a.name.is_none())
            .nth(n)
            .map(|a| &a.value)
    }

    /// The body of the (first) trailing closure, or of a closure passed as the last argument.
    pub fn body(&self) -> Option<&Closure> {
        self.closures.first().or_else(|| {
            self.args.iter().rev().find_map(|a| match &a.value.kind {
                ExprKind::Closure(c) if a.name.is_none() => Some(c),
                _ => None,
            })
        })
    }

    /// `target.name` as dotted text when the target is a plain identifier path (`docker.build`).
    pub fn qualified_name(&self) -> String {
        match self.target.as_deref().and_then(Expr::dotted) {
            Some(t) => format!("{t}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// An argument: positional, or named (`key: value`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<(String, Span)>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Closure {
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// A string literal: its parts in order.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    pub quote: Quote,
    pub parts: Vec<StrPart>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text (escapes resolved); `map` pairs offsets in `text` with source offsets at
    /// every discontinuity (escapes), see [`StrLit::source_offset`].
    Lit {
        text: String,
        span: Span,
        map: Vec<(usize, usize)>,
    },
    /// `${expr}` or `$name.path`; `expr` is `None` for an empty `${}`.
    Interp { expr: Option<Expr>, span: Span },
}

impl StrLit {
    /// Groovy interpolates something into this string at run time.
    pub fn is_interpolated(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, StrPart::Interp { .. }))
    }

    /// The literal value when nothing is interpolated.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                StrPart::Lit { text, .. } => s.push_str(text),
                StrPart::Interp { .. } => return None,
            }
        }
        Some(s)
    }

    /// The run-time text with every interpolation replaced by `placeholder`, and a map from
    /// offsets in that text to source offsets (for spans of shell commands inside the string).
    pub fn text_with_placeholders(&self, placeholder: &str) -> (String, OffsetMap) {
        let mut s = String::new();
        let mut map = OffsetMap::default();
        for p in &self.parts {
            match p {
                StrPart::Lit { text, map: m, .. } => {
                    let base = s.len();
                    for &(t, src) in m {
                        map.runs.push((base + t, src, true));
                    }
                    s.push_str(text);
                }
                StrPart::Interp { span, .. } => {
                    map.runs.push((s.len(), span.start, false));
                    s.push_str(placeholder);
                }
            }
        }
        map.len = s.len();
        (s, map)
    }
}

/// Offsets in a derived text (unescaped string, XML text) → offsets in the source it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// (derived offset, source offset, whether the run maps byte for byte).
    pub runs: Vec<(usize, usize, bool)>,
    pub len: usize,
}

impl OffsetMap {
    pub fn map(&self, off: usize) -> usize {
        let i = self.runs.partition_point(|r| r.0 <= off);
        match i.checked_sub(1).and_then(|i| self.runs.get(i)) {
            Some(&(d, s, true)) => s + (off - d),
            Some(&(_, s, false)) => s,
            None => off,
        }
    }

    pub fn map_range(&self, r: &Span) -> Span {
        let start = self.map(r.start);
        // Map the last byte, not the end, so a range ending at a run boundary stays in its run.
        let end = if r.end > r.start {
            self.map(r.end - 1) + 1
        } else {
            start
        };
        start..end.max(start)
    }
}

impl Expr {
    /// `a.b.c` as text when the expression is an identifier path.
    pub fn dotted(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Ident(n) => Some(n.clone()),
            ExprKind::Property { target, name, .. } => Some(format!("{}.{name}", target.dotted()?)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&StrLit> {
        match &self.kind {
            ExprKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a non-interpolated string literal.
    pub fn literal_str(&self) -> Option<String> {
        self.as_str().and_then(StrLit::literal)
    }

    pub fn as_call(&self) -> Option<&Call> {
        match &self.kind {
            ExprKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// Every identifier path this expression reads (`env.X`, `PASS`, `params.Y`), with spans;
    /// closures inside are not entered.
    pub fn references(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        collect_refs(self, &mut out);
        out
    }
}

fn collect_refs(e: &Expr, out: &mut Vec<(String, Span)>) {
    if let Some(d) = e.dotted() {
        out.push((d, e.span.clone()));
        return;
    }
    match &e.kind {
        ExprKind::Str(s) => {
            for p in &s.parts {
                if let StrPart::Interp { expr: Some(x), .. } = p {
                    collect_refs(x, out);
                }
            }
        }
        ExprKind::Property { target, .. } => collect_refs(target, out),
        ExprKind::Index { target, index } => {
            // `env['X']` reads env.X.
            if let (Some(t), Some(k)) = (target.dotted(), index.literal_str()) {
                out.push((format!("{t}.{k}"), e.span.clone()));
            } else {
                collect_refs(target, out);
                collect_refs(index, out);
            }
        }
        ExprKind::Call(c) => {
            if let Some(t) = &c.target {
                collect_refs(t, out);
            }
            for a in &c.args {
                collect_refs(&a.value, out);
            }
        }
        ExprKind::List(items) => {
            for x in items {
                collect_refs(x, out);
            }
        }
        ExprKind::Map(args) | ExprKind::New { args, .. } => {
            for a in args {
                collect_refs(&a.value, out);
            }
        }
        ExprKind::Unary { operand, .. } => collect_refs(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_refs(lhs, out);
            collect_refs(rhs, out);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            collect_refs(cond, out);
            collect_refs(then, out);
            collect_refs(otherwise, out);
        }
        ExprKind::Assign { target, value, .. } => {
            collect_refs(target, out);
            collect_refs(value, out);
        }
        ExprKind::Number(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Ident(_)
        | ExprKind::Closure(_) => {}
    }
}

/// Visit every statement and expression, depth first, in source order.
pub trait Visitor {
    fn stmt(&mut self, _s: &Stmt) {}
    fn expr(&mut self, _e: &Expr) {}
}

pub fn walk_stmts(stmts: &[Stmt], v: &mut impl Visitor) {
    for s in stmts {
        walk_stmt(s, v);
    }
}

pub fn walk_stmt(s: &Stmt, v: &mut impl Visitor) {
    v.stmt(s);
    match &s.kind {
        StmtKind::Expr(e) | StmtKind::Return(Some(e)) | StmtKind::Throw(e) => walk_expr(e, v),
        StmtKind::Assert { cond, message } => {
            walk_expr(cond, v);
            if let Some(m) = message {
                walk_expr(m, v);
            }
        }
        StmtKind::Labeled { body, .. } => walk_stmt(body, v),
        StmtKind::Decl { value, .. } => {
            if let Some(e) = value {
                walk_expr(e, v);
            }
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            walk_expr(cond, v);
            walk_stmts(then, v);
            walk_stmts(otherwise, v);
        }
        StmtKind::Compound { head, bodies, .. } => {
            for e in head {
                walk_expr(e, v);
            }
            for b in bodies {
                walk_stmts(b, v);
            }
        }
        StmtKind::Method { params, body, .. } => {
            walk_params(params, v);
            walk_stmts(body, v);
        }
        StmtKind::Return(None) | StmtKind::Other => {}
    }
}

fn walk_params(params: &[Param], v: &mut impl Visitor) {
    for p in params {
        if let Some(d) = &p.default {
            walk_expr(d, v);
        }
    }
}

pub fn walk_expr(e: &Expr, v: &mut impl Visitor) {
    v.expr(e);
    match &e.kind {
        ExprKind::Str(s) => {
            for p in &s.parts {
                if let StrPart::Interp { expr: Some(x), .. } = p {
                    walk_expr(x, v);
                }
            }
        }
        ExprKind::Property { target, .. } => walk_expr(target, v),
        ExprKind::Index { target, index } => {
            walk_expr(target, v);
            walk_expr(index, v);
        }
        ExprKind::Call(c) => {
            if let Some(t) = &c.target {
                walk_expr(t, v);
            }
            for a in &c.args {
                walk_expr(&a.value, v);
            }
            for cl in &c.closures {
                walk_params(&cl.params, v);
                walk_stmts(&cl.body, v);
            }
        }
        ExprKind::Closure(c) => {
            walk_params(&c.params, v);
            walk_stmts(&c.body, v);
        }
        ExprKind::List(items) => {
            for x in items {
                walk_expr(x, v);
            }
        }
        ExprKind::Map(args) | ExprKind::New { args, .. } => {
            for a in args {
                walk_expr(&a.value, v);
            }
        }
        ExprKind::Unary { operand, .. } => walk_expr(operand, v),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, v);
            walk_expr(rhs, v);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            walk_expr(cond, v);
            walk_expr(then, v);
            walk_expr(otherwise, v);
        }
        ExprKind::Assign { target, value, .. } => {
            walk_expr(target, v);
            walk_expr(value, v);
        }
        ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Null | ExprKind::Ident(_) => {}
    }
}
