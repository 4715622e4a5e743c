//! Recursive-descent parser for the Groovy subset of pipelines: statements with newline
//! separation, `if`/`for`/`while`/`try`/`switch`, declarations and method definitions, and
//! expressions by precedence climbing, including command-style calls (`sh 'x'`, `agent any`,
//! `sh script: 'x', returnStdout: true`) and trailing closures (`stage('a') { … }`).

use crate::ast::{
    Annotation, Arg, Call, Closure, Expr, ExprKind, Param, Script, Skipped, Span, Stmt, StmtKind,
    StrLit, StrPart,
};
use crate::lexer::{self, RawPart, Tok, Token};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset where parsing stopped.
    pub at: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parse Groovy source into a [`Script`]; spans are byte offsets into `src`. Strict: the first
/// thing the parser cannot read is an error (see [`parse_recovering`] for the rest of the file).
pub fn parse(src: &str) -> Result<Script, ParseError> {
    let script = parse_recovering(src);
    match script.skipped.first() {
        Some(s) => Err(ParseError {
            at: s.at,
            message: s.message.clone(),
        }),
        None => Ok(script),
    }
}

/// Parse Groovy source, recovering from what the parser cannot read: a statement that does
/// not parse is skipped up to the next statement (the next line at its depth, or the end of
/// its block), unbalanced braces are closed at the end of input, stray `}` are dropped, and
/// each skip is recorded in [`Script::skipped`]. The rest of the file is in the tree.
pub fn parse_recovering(src: &str) -> Script {
    let lexed = lexer::lex(src);
    let mut p = Parser::new(src, lexed.tokens);
    p.recover = true;
    for e in lexed.errors {
        p.skipped.push(Skipped {
            at: e.at,
            span: e.at..e.end,
            message: e.message,
        });
    }
    let mut body = Vec::new();
    loop {
        // Recovery never fails a block: errors are recorded and skipped.
        match p.block_body(false) {
            Ok(b) => body.extend(b),
            Err(e) => {
                let at = e.at;
                p.record(e, at..src.len());
                break;
            }
        }
        if p.at_eof() {
            break;
        }
        // A `}` closing nothing.
        let t = p.bump();
        p.record(
            ParseError {
                at: t.span.start,
                message: "unexpected `}` (unbalanced braces)".into(),
            },
            t.span,
        );
    }
    p.skipped.sort_by_key(|s| (s.at, s.span.end));
    Script {
        body,
        comments: lexed.comments,
        annotations: p.annotations,
        skipped: p.skipped,
    }
}

/// Nesting (expressions and blocks) deeper than this is rejected instead of overflowing the
/// stack. Depth is counted in units: a recursive step of the parser (an expression, a block)
/// costs [`REC`], a link of an iterative chain (`a.b.c`, `a + b + c`, `a b c d`) costs 1, since
/// it deepens the tree (which walkers, `Clone` and `Drop` recurse over) but not the parser.
/// 64 recursive steps keep a debug build under 2 MiB of stack (rayon's worker threads) and
/// allow 30 nested closures, far beyond real pipelines; a chain may have 512 links.
const MAX_DEPTH: usize = 64 * REC;
const REC: usize = 8;

const MODIFIERS: &[&str] = &[
    "def",
    "final",
    "static",
    "private",
    "public",
    "protected",
    "abstract",
    "void",
    "transient",
    "volatile",
];
const PRIMITIVES: &[&str] = &[
    "int", "long", "boolean", "double", "float", "char", "byte", "short",
];

type PResult<T> = Result<T, ParseError>;

/// Words that end a command chain instead of continuing it (`if (a) sh 'x' else sh 'y'`).
const CHAIN_STOP: &[&str] = &[
    "in",
    "instanceof",
    "as",
    "else",
    "catch",
    "finally",
    "while",
    "case",
    "default",
];

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    i: usize,
    /// End of the last consumed token.
    prev_end: usize,
    /// Inside parentheses/brackets newlines do not end expressions.
    nl_ok: bool,
    depth: usize,
    /// Skip unparseable statements instead of failing (see [`parse_recovering`]).
    recover: bool,
    skipped: Vec<Skipped>,
    annotations: Vec<Annotation>,
}

fn binary_prec(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" | "<=>" | "=~" | "==~" | "===" | "!==" => 6,
        "<" | ">" | "<=" | ">=" | "in" | "instanceof" | "as" => 7,
        "<<" | ">>" | ">>>" | ".." | "..<" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        "**" => 11,
        _ => return None,
    })
}

const ASSIGN_OPS: &[&str] = &[
    "=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "|=", "^=",
];

impl<'s> Parser<'s> {
    fn new(src: &'s str, toks: Vec<Token>) -> Self {
        Parser {
            src,
            toks,
            i: 0,
            prev_end: 0,
            nl_ok: false,
            depth: 0,
            recover: false,
            skipped: Vec::new(),
            annotations: Vec::new(),
        }
    }

    /// Record a recovered error (once per position).
    fn record(&mut self, e: ParseError, span: Span) {
        if self.skipped.iter().any(|s| s.at == e.at) {
            return;
        }
        self.skipped.push(Skipped {
            at: e.at,
            span,
            message: e.message,
        });
    }

    /// Column of the token at `j` (bytes from the start of its line).
    fn column(&self, j: usize) -> usize {
        let at = self.toks[j.min(self.toks.len() - 1)].span.start;
        let line_start = self.src[..at.min(self.src.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        at - line_start
    }

    /// After statement `i0` failed with `e`: move to where the next statement starts and record
    /// what was skipped. The skip follows brackets; where they do not balance (a missing `)`),
    /// a line indented no deeper than the failed statement ends it (a `}` at the statement's
    /// own indentation is its closing brace and is skipped too). A `}` closing the enclosing
    /// block is left for the block.
    fn resync(&mut self, i0: usize, e: ParseError) {
        let c0 = self.column(i0);
        let mut stack: Vec<&'static str> = Vec::new();
        let mut j = i0;
        let last = self.toks.len() - 1;
        loop {
            let t = &self.toks[j];
            if j > i0 {
                if matches!(t.tok, Tok::Eof) {
                    break;
                }
                let line_start = t.nl_before || matches!(self.toks[j - 1].tok, Tok::Op(";"));
                if stack.is_empty() && (line_start || matches!(t.tok, Tok::Op("}"))) {
                    break;
                }
                if t.nl_before && !stack.is_empty() && self.column(j) <= c0 {
                    if matches!(t.tok, Tok::Op("}")) && self.column(j) == c0 {
                        j += 1;
                    }
                    break;
                }
            }
            match t.tok {
                Tok::Op(o @ ("(" | "[" | "{")) => stack.push(o),
                Tok::Op(c @ (")" | "]" | "}")) => {
                    let open = match c {
                        ")" => "(",
                        "]" => "[",
                        _ => "{",
                    };
                    if let Some(k) = stack.iter().rposition(|o| *o == open) {
                        stack.truncate(k);
                    }
                }
                Tok::Eof => break,
                _ => {}
            }
            j += 1;
            if j > last {
                j = last;
                break;
            }
        }
        let j = j.max(i0 + 1).min(last);
        let start = self.toks[i0].span.start;
        let end = self.toks[j - 1].span.end.max(start);
        self.i = j;
        self.prev_end = end;
        self.record(e, start..end);
    }

    fn cur(&self) -> &Token {
        // The lexer always ends the stream with Eof; never index past it.
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek(&self, n: usize) -> &Tok {
        &self.toks[(self.i + n).min(self.toks.len() - 1)].tok
    }

    fn at_eof(&self) -> bool {
        matches!(self.cur().tok, Tok::Eof)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.cur().tok, Tok::Op(o) if o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.cur().tok, Tok::Ident(n) if n == kw)
    }

    fn bump(&mut self) -> Token {
        let t = self.cur().clone();
        if !matches!(t.tok, Tok::Eof) {
            self.i += 1;
            self.prev_end = t.span.end;
        }
        t
    }

    fn fail<T>(&self, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            at: self.cur().span.start,
            message: message.into(),
        })
    }

    fn expect(&mut self, op: &str) -> PResult<Token> {
        if self.is_op(op) {
            Ok(self.bump())
        } else {
            let found = describe(&self.cur().tok);
            self.fail(format!("expected `{op}`, found {found}"))
        }
    }

    /// The current token ends the expression because a newline precedes it.
    fn nl_stop(&self) -> bool {
        self.cur().nl_before && !self.nl_ok
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += REC;
        if self.depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= REC;
    }

    /// One more link of an iterative chain.
    fn link(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        Ok(())
    }

    fn ident(&mut self) -> PResult<(String, Span)> {
        match &self.cur().tok {
            Tok::Ident(n) => {
                let n = n.clone();
                let t = self.bump();
                Ok((n, t.span))
            }
            other => {
                let found = describe(other);
                self.fail(format!("expected a name, found {found}"))
            }
        }
    }

    /// Statements until `}` (when `braced`, which is consumed) or end of input.
    fn block_body(&mut self, braced: bool) -> PResult<Vec<Stmt>> {
        self.enter()?;
        let saved = std::mem::replace(&mut self.nl_ok, false);
        let mut out = Vec::new();
        loop {
            while self.is_op(";") {
                self.bump();
            }
            if self.is_op("}") {
                if braced {
                    self.bump();
                    break;
                }
                break;
            }
            if self.at_eof() {
                if braced {
                    self.nl_ok = saved;
                    if !self.recover {
                        return self.fail("unexpected end of file: missing `}`");
                    }
                    // Close the block here: what it holds is still analysed.
                    let at = self.cur().span.start;
                    self.record(
                        ParseError {
                            at,
                            message: "unexpected end of file: missing `}`".into(),
                        },
                        at..at,
                    );
                }
                break;
            }
            let (i0, depth0) = (self.i, self.depth);
            match self.stmt() {
                Ok(s) => out.push(s),
                Err(e) if self.recover => {
                    self.depth = depth0;
                    self.nl_ok = false;
                    self.resync(i0, e);
                }
                Err(e) => {
                    self.nl_ok = saved;
                    return Err(e);
                }
            }
        }
        self.nl_ok = saved;
        self.leave();
        Ok(out)
    }

    /// `{ stmts }` or a single statement (bodies of `if`, `for`, …).
    fn body(&mut self) -> PResult<Vec<Stmt>> {
        if self.is_op("{") {
            self.bump();
            self.block_body(true)
        } else {
            self.enter()?;
            let s = self.stmt()?;
            self.leave();
            Ok(vec![s])
        }
    }

    fn stmt(&mut self) -> PResult<Stmt> {
        let start = self.cur().span.start;
        let kind = self.stmt_kind()?;
        Ok(Stmt {
            kind,
            span: start..self.prev_end.max(start),
        })
    }

    fn stmt_kind(&mut self) -> PResult<StmtKind> {
        while self.is_op("@") {
            self.annotation()?;
            if self.at_eof() || self.is_op("}") {
                return Ok(StmtKind::Other);
            }
        }
        // `abstract class`, `public static enum`: modifiers of a type declaration.
        let mut j = self.i;
        while matches!(self.tok_at(j), Tok::Ident(n) if MODIFIERS.contains(&n.as_str())) {
            j += 1;
        }
        if j > self.i
            && matches!(self.tok_at(j), Tok::Ident(n) if matches!(n.as_str(), "class" | "interface" | "enum" | "trait"))
        {
            while self.i < j {
                self.bump();
            }
        }
        let kw = match &self.cur().tok {
            Tok::Ident(n) => n.clone(),
            _ => String::new(),
        };
        match kw.as_str() {
            "import" | "package" => {
                self.bump();
                while !self.at_eof() && !self.cur().nl_before && !self.is_op(";") {
                    self.bump();
                }
                return Ok(StmtKind::Other);
            }
            "break" | "continue" => {
                self.bump();
                if matches!(self.cur().tok, Tok::Ident(_)) && !self.cur().nl_before {
                    self.bump();
                }
                return Ok(StmtKind::Other);
            }
            "return" => {
                self.bump();
                if self.cur().nl_before || self.is_op(";") || self.is_op("}") || self.at_eof() {
                    return Ok(StmtKind::Return(None));
                }
                return Ok(StmtKind::Return(Some(self.command_or_expr()?)));
            }
            "throw" => {
                self.bump();
                return Ok(StmtKind::Throw(self.expr()?));
            }
            "assert" if !matches!(self.peek(1), Tok::Op("." | "=" | ":")) => {
                self.bump();
                let cond = self.expr()?;
                let message = if (self.is_op(":") || self.is_op(",")) && !self.nl_stop() {
                    self.bump();
                    Some(self.expr()?)
                } else {
                    None
                };
                return Ok(StmtKind::Assert { cond, message });
            }
            "if" => return self.if_stmt(),
            "for" | "while" | "switch" | "synchronized" => {
                self.bump();
                let head = self.paren_head()?;
                let bodies = if kw == "switch" {
                    vec![self.switch_body()?]
                } else {
                    vec![self.body()?]
                };
                return Ok(StmtKind::Compound {
                    keyword: kw,
                    head,
                    bodies,
                });
            }
            "do" => {
                self.bump();
                let body = self.body()?;
                let mut head = Vec::new();
                if self.is_kw("while") {
                    self.bump();
                    head = self.paren_head()?;
                }
                return Ok(StmtKind::Compound {
                    keyword: kw,
                    head,
                    bodies: vec![body],
                });
            }
            "try" => return self.try_stmt(),
            "class" | "interface" | "enum" | "trait" if matches!(self.peek(1), Tok::Ident(_)) => {
                self.bump();
                // The type's name; `extends`/`implements` clauses and generics are skipped.
                let name = self.cur().clone();
                let mut head = Vec::new();
                if let Tok::Ident(n) = &name.tok {
                    head.push(Expr {
                        kind: ExprKind::Ident(n.clone()),
                        span: name.span.clone(),
                    });
                }
                while !self.at_eof() && !self.is_op("{") {
                    self.bump();
                }
                self.expect("{")?;
                let mut body = Vec::new();
                if kw == "enum" {
                    body = self.enum_constants()?;
                }
                body.extend(self.block_body(true)?);
                return Ok(StmtKind::Compound {
                    keyword: kw,
                    head,
                    bodies: vec![body],
                });
            }
            _ => {}
        }
        // `label: statement` (`outer: for (…)`, `Build: { … }`).
        if let (Tok::Ident(label), Tok::Op(":")) = (&self.cur().tok, self.peek(1))
            && !matches!(label.as_str(), "case" | "default")
        {
            let label = label.clone();
            let label_span = self.bump().span;
            self.bump();
            self.enter()?;
            let body = self.stmt()?;
            self.leave();
            return Ok(StmtKind::Labeled {
                label,
                label_span,
                body: Box::new(body),
            });
        }
        if let Some(decl) = self.declaration()? {
            return Ok(decl);
        }
        if self.is_op("{") && !matches!(self.peek(1), Tok::Op("}")) && !self.closure_params_ahead()
        {
            // A bare block statement.
            self.bump();
            let body = self.block_body(true)?;
            return Ok(StmtKind::Compound {
                keyword: "block".into(),
                head: Vec::new(),
                bodies: vec![body],
            });
        }
        Ok(StmtKind::Expr(self.command_or_expr()?))
    }

    /// The constants at the start of an enum body (`A, B('x'), C { … };`), as expression
    /// statements; the members after them are parsed by the caller.
    fn enum_constants(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = Vec::new();
        // `enum E { }` or members only.
        loop {
            while self.is_op("@") {
                self.annotation()?;
            }
            let Tok::Ident(_) = &self.cur().tok else {
                break;
            };
            // A member declaration (`String x`, `def f()`) rather than a constant.
            if !matches!(self.peek(1), Tok::Op("," | ";" | "}" | "(" | "{"))
                && !self.toks.get(self.i + 1).is_some_and(|t| t.nl_before)
            {
                break;
            }
            let start = self.cur().span.start;
            let (name, name_span) = self.ident()?;
            let mut args = Vec::new();
            if self.is_op("(") {
                args = self.call_args()?;
            }
            let mut closures = Vec::new();
            if self.is_op("{") {
                closures.push(self.closure()?);
            }
            let e = Expr {
                span: start..self.prev_end,
                kind: ExprKind::Call(Call {
                    target: None,
                    name,
                    name_span,
                    args,
                    closures,
                    command: false,
                }),
            };
            out.push(Stmt {
                span: e.span.clone(),
                kind: StmtKind::Expr(e),
            });
            if self.is_op(",") {
                self.bump();
                continue;
            }
            if self.is_op(";") {
                self.bump();
            }
            break;
        }
        Ok(out)
    }

    /// `@Name`, `@a.b.Name(…)`: recorded in [`Script::annotations`].
    fn annotation(&mut self) -> PResult<()> {
        let start = self.expect("@")?.span.start;
        let (mut name, _) = self.ident()?;
        while self.is_op(".") {
            self.bump();
            name.push('.');
            name.push_str(&self.ident()?.0);
        }
        let mut args = Vec::new();
        if self.is_op("(") && !self.cur().nl_before {
            args = self.call_args()?;
        }
        self.annotations.push(Annotation {
            name,
            args,
            span: start..self.prev_end,
        });
        Ok(())
    }

    /// Skip a balanced `( … )`, `[ … ]` or `{ … }` group.
    fn skip_group(&mut self) -> PResult<()> {
        let mut depth = 0usize;
        loop {
            match self.cur().tok {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")" | "]" | "}") => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return Ok(());
                    }
                }
                Tok::Eof => return self.fail("unexpected end of file: unbalanced brackets"),
                _ => {}
            }
            self.bump();
        }
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        self.enter()?;
        let r = self.if_stmt_inner();
        self.leave();
        r
    }

    fn if_stmt_inner(&mut self) -> PResult<StmtKind> {
        self.bump();
        self.expect("(")?;
        let saved = std::mem::replace(&mut self.nl_ok, true);
        let cond = self.expr()?;
        self.nl_ok = saved;
        self.expect(")")?;
        let then = self.body()?;
        let mut otherwise = Vec::new();
        // `else` may sit on the next line.
        let save = self.i;
        while self.is_op(";") {
            self.bump();
        }
        if self.is_kw("else") {
            self.bump();
            otherwise = if self.is_kw("if") {
                let start = self.cur().span.start;
                let kind = self.if_stmt()?;
                vec![Stmt {
                    kind,
                    span: start..self.prev_end,
                }]
            } else {
                self.body()?
            };
        } else {
            self.i = save;
        }
        Ok(StmtKind::If {
            cond,
            then,
            otherwise,
        })
    }

    fn try_stmt(&mut self) -> PResult<StmtKind> {
        self.bump();
        // try-with-resources
        let head = if self.is_op("(") {
            self.paren_head()?
        } else {
            Vec::new()
        };
        let mut bodies = vec![self.body()?];
        loop {
            if self.is_kw("catch") {
                self.bump();
                if self.is_op("(") {
                    self.skip_group()?;
                }
                bodies.push(self.body()?);
            } else if self.is_kw("finally") {
                self.bump();
                bodies.push(self.body()?);
            } else {
                break;
            }
        }
        Ok(StmtKind::Compound {
            keyword: "try".into(),
            head,
            bodies,
        })
    }

    /// `( expr ; expr ; expr )` or `( x in y )` / `( T x : y )`: the expressions in it.
    fn paren_head(&mut self) -> PResult<Vec<Expr>> {
        self.expect("(")?;
        let saved = std::mem::replace(&mut self.nl_ok, true);
        let mut out = Vec::new();
        while !self.is_op(")") {
            if self.at_eof() {
                self.nl_ok = saved;
                return self.fail("unexpected end of file: missing `)`");
            }
            if self.is_op(";") || self.is_op(":") || self.is_op(",") {
                self.bump();
                continue;
            }
            // A typed loop variable (`String x : list`, `int i = 0`).
            if let (Tok::Ident(_), Tok::Ident(n)) = (&self.cur().tok, self.peek(1))
                && n != "in"
                && n != "instanceof"
                && n != "as"
            {
                self.bump();
            }
            out.push(self.expr()?);
        }
        self.nl_ok = saved;
        self.bump();
        Ok(out)
    }

    /// `{ case x: … default: … }`: every statement of every case, flattened.
    fn switch_body(&mut self) -> PResult<Vec<Stmt>> {
        self.expect("{")?;
        let saved = std::mem::replace(&mut self.nl_ok, false);
        let mut out = Vec::new();
        loop {
            while self.is_op(";") {
                self.bump();
            }
            if self.is_op("}") {
                self.bump();
                break;
            }
            if self.at_eof() {
                return self.fail("unexpected end of file: missing `}`");
            }
            if self.is_kw("case") {
                self.bump();
                let saved_nl = std::mem::replace(&mut self.nl_ok, true);
                self.ternary()?;
                self.nl_ok = saved_nl;
                self.expect(":")?;
                continue;
            }
            if self.is_kw("default") && matches!(self.peek(1), Tok::Op(":")) {
                self.bump();
                self.bump();
                continue;
            }
            out.push(self.stmt()?);
        }
        self.nl_ok = saved;
        Ok(out)
    }

    /// Declarations and method definitions; `None` (nothing consumed) when it is neither.
    fn declaration(&mut self) -> PResult<Option<StmtKind>> {
        let start = self.i;
        let mut modifiers = false;
        while let Tok::Ident(n) = &self.cur().tok {
            if MODIFIERS.contains(&n.as_str()) {
                modifiers = true;
                self.bump();
            } else {
                break;
            }
        }
        // `def (a, b) = …`
        if modifiers && self.is_op("(") {
            self.bump();
            let mut names = Vec::new();
            // `def (String a, int b)`: the name is the last identifier of each item.
            let mut last = None;
            while !self.is_op(")") {
                if self.at_eof() {
                    return self.fail("unexpected end of file: missing `)`");
                }
                match &self.cur().tok {
                    Tok::Ident(n) => last = Some((n.clone(), self.cur().span.clone())),
                    Tok::Op(",") => names.extend(last.take()),
                    _ => {}
                }
                self.bump();
            }
            names.extend(last);
            self.bump();
            let value = if self.is_op("=") {
                self.bump();
                Some(self.command_or_expr()?)
            } else {
                None
            };
            return Ok(Some(StmtKind::Decl { names, value }));
        }
        // Optional type: `String x`, `Map<String, X> m`, `int[] a`, `def String x`.
        let typed = self.type_then_name();
        if !modifiers && !typed && self.constructor_ahead() {
            let (name, name_span) = self.ident()?;
            let params = self.params()?;
            self.expect("{")?;
            let body = self.block_body(true)?;
            return Ok(Some(StmtKind::Method {
                name,
                name_span,
                params,
                body,
            }));
        }
        if !modifiers && !typed {
            self.i = start;
            return Ok(None);
        }
        if typed {
            self.skip_type();
        }
        let Tok::Ident(_) = &self.cur().tok else {
            if modifiers {
                // `def` alone before something odd: let the expression parser report it.
                self.i = start;
            }
            return Ok(None);
        };
        let (name, name_span) = self.ident()?;
        if self.is_op("(") && !self.cur().nl_before {
            let params = self.params()?;
            if self.is_kw("throws") {
                while !self.at_eof() && !self.is_op("{") && !self.is_op(";") && !self.is_op("}") {
                    self.bump();
                }
            }
            // An abstract or interface method ends without a body.
            let body = if !self.is_op("{")
                && (self.cur().nl_before || self.is_op(";") || self.is_op("}") || self.at_eof())
            {
                Vec::new()
            } else {
                self.expect("{")?;
                self.block_body(true)?
            };
            return Ok(Some(StmtKind::Method {
                name,
                name_span,
                params,
                body,
            }));
        }
        let mut names = vec![(name, name_span)];
        let mut value = None;
        loop {
            if self.is_op("=") {
                self.bump();
                value = Some(self.command_or_expr()?);
            }
            // `def a = 1, b = 2`
            if self.is_op(",") && !self.cur().nl_before {
                self.bump();
                names.push(self.ident()?);
                continue;
            }
            break;
        }
        Ok(Some(StmtKind::Decl { names, value }))
    }

    /// At `Name(Type a, …) {`: a constructor (typed parameters never occur in a call).
    fn constructor_ahead(&self) -> bool {
        if !matches!(self.cur().tok, Tok::Ident(_)) || !matches!(self.peek(1), Tok::Op("(")) {
            return false;
        }
        let close = self.matching(self.i + 1);
        let mut typed = false;
        for j in self.i + 2..close {
            if let (Tok::Ident(_), Tok::Ident(_)) = (self.tok_at(j), self.tok_at(j + 1))
                && j + 1 < close
            {
                typed = true;
            }
        }
        typed && matches!(self.tok_at(close + 1), Tok::Op("{"))
    }

    /// At `Type name` (capitalised or primitive type, optional generics/array brackets).
    fn type_then_name(&self) -> bool {
        let Tok::Ident(t) = &self.cur().tok else {
            return false;
        };
        let is_type =
            t.chars().next().is_some_and(char::is_uppercase) || PRIMITIVES.contains(&t.as_str());
        if !is_type {
            return false;
        }
        let mut j = self.i + 1;
        // Qualified type names `java.util.List`.
        while matches!(self.tok_at(j), Tok::Op(".")) && matches!(self.tok_at(j + 1), Tok::Ident(_))
        {
            j += 2;
        }
        if matches!(self.tok_at(j), Tok::Op("<")) {
            let mut depth = 0i32;
            loop {
                match self.tok_at(j) {
                    Tok::Op("<") => depth += 1,
                    Tok::Op(">") => depth -= 1,
                    Tok::Op(">>") => depth -= 2,
                    Tok::Ident(_) | Tok::Op("," | "." | "?" | "[" | "]") => {}
                    _ => return false,
                }
                j += 1;
                if depth <= 0 {
                    break;
                }
            }
        }
        while matches!(self.tok_at(j), Tok::Op("[")) && matches!(self.tok_at(j + 1), Tok::Op("]")) {
            j += 2;
        }
        let Some(name_tok) = self.toks.get(j) else {
            return false;
        };
        if name_tok.nl_before || !matches!(name_tok.tok, Tok::Ident(_)) {
            return false;
        }
        matches!(
            self.tok_at(j + 1),
            Tok::Op("=" | ";" | "}" | "(" | ",") | Tok::Eof
        ) || self.toks.get(j + 1).is_some_and(|t| t.nl_before)
    }

    /// Index of the bracket closing the one at `j` (or the last token).
    fn matching(&self, j: usize) -> usize {
        let mut depth = 0usize;
        for (k, t) in self.toks.iter().enumerate().skip(j) {
            match t.tok {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")" | "]" | "}") => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return k;
                    }
                }
                _ => {}
            }
        }
        self.toks.len() - 1
    }

    fn tok_at(&self, j: usize) -> &Tok {
        &self.toks[j.min(self.toks.len() - 1)].tok
    }

    fn skip_type(&mut self) {
        self.bump();
        while self.is_op(".") && matches!(self.peek(1), Tok::Ident(_)) {
            self.bump();
            self.bump();
        }
        if self.is_op("<") {
            let mut depth = 0i32;
            loop {
                match self.cur().tok {
                    Tok::Op("<") => depth += 1,
                    Tok::Op(">") => depth -= 1,
                    Tok::Op(">>") => depth -= 2,
                    Tok::Eof => return,
                    _ => {}
                }
                self.bump();
                if depth <= 0 {
                    break;
                }
            }
        }
        while self.is_op("[") && matches!(self.peek(1), Tok::Op("]")) {
            self.bump();
            self.bump();
        }
    }

    /// `(a, String b, c = 1)` → parameters (default values are skipped).
    fn params(&mut self) -> PResult<Vec<Param>> {
        Ok(self
            .param_names()?
            .into_iter()
            .map(|name| Param {
                name,
                default: None,
            })
            .collect())
    }

    fn param_names(&mut self) -> PResult<Vec<String>> {
        self.expect("(")?;
        let mut out = Vec::new();
        let mut last: Option<String> = None;
        let mut depth = 0usize;
        let mut in_default = false;
        loop {
            match &self.cur().tok {
                Tok::Eof => return self.fail("unexpected end of file: missing `)`"),
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(")") if depth == 0 => {
                    out.extend(last.take());
                    self.bump();
                    return Ok(out);
                }
                Tok::Op(")" | "]" | "}") => depth = depth.saturating_sub(1),
                Tok::Op(",") if depth == 0 => {
                    out.extend(last.take());
                    in_default = false;
                }
                Tok::Op("=") if depth == 0 => in_default = true,
                Tok::Ident(n) if depth == 0 && !in_default => last = Some(n.clone()),
                _ => {}
            }
            self.bump();
        }
    }

    /// An expression, or a command-style call (`sh 'x'`, `x = sh script: 'y'`).
    fn command_or_expr(&mut self) -> PResult<Expr> {
        let e = self.expr()?;
        if let ExprKind::Assign { op, target, value } = e.kind {
            let value = self.maybe_command(*value)?;
            let span = e.span.start..self.prev_end.max(value.span.end);
            return Ok(Expr {
                kind: ExprKind::Assign {
                    op,
                    target,
                    value: Box::new(value),
                },
                span,
            });
        }
        self.maybe_command(e)
    }

    fn starts_command_arg(&self) -> bool {
        if self.nl_stop() || self.cur().nl_before {
            return false;
        }
        match &self.cur().tok {
            Tok::Ident(n) => !matches!(n.as_str(), "in" | "instanceof" | "as"),
            Tok::Str { .. } | Tok::Number(_) => true,
            Tok::Op(o) => matches!(*o, "[" | "!" | "-" | "~" | "*"),
            Tok::Eof => false,
        }
    }

    fn maybe_command(&mut self, e: Expr) -> PResult<Expr> {
        let (target, name, name_span) = match &e.kind {
            ExprKind::Ident(n) => (None, n.clone(), e.span.clone()),
            ExprKind::Property {
                target,
                name,
                name_span,
                ..
            } => (Some(target.clone()), name.clone(), name_span.clone()),
            _ => return Ok(e),
        };
        if !self.starts_command_arg() {
            return Ok(e);
        }
        let start = e.span.start;
        let (args, closures) = self.command_args()?;
        let mut call = Expr {
            kind: ExprKind::Call(Call {
                target,
                name,
                name_span,
                args,
                closures,
                command: true,
            }),
            span: start..self.prev_end,
        };
        // A command chain: `a b c d` is `a(b).c(d)`, `a b c` is `a(b).c`. Each link nests
        // the tree one level deeper, so it counts against the nesting limit.
        let depth0 = self.depth;
        while let Tok::Ident(n) = &self.cur().tok {
            if self.cur().nl_before || CHAIN_STOP.contains(&n.as_str()) {
                break;
            }
            let name = n.clone();
            self.link()?;
            let name_span = self.bump().span;
            if self.starts_command_arg() {
                let (args, closures) = self.command_args()?;
                call = Expr {
                    span: start..self.prev_end,
                    kind: ExprKind::Call(Call {
                        target: Some(Box::new(call)),
                        name,
                        name_span,
                        args,
                        closures,
                        command: true,
                    }),
                };
            } else {
                call = Expr {
                    span: start..name_span.end,
                    kind: ExprKind::Property {
                        target: Box::new(call),
                        name,
                        name_span,
                        safe: false,
                    },
                };
            }
        }
        self.depth = depth0;
        Ok(call)
    }

    /// The arguments of a command-style call (`a, b: c`, same line) and a closure after them.
    fn command_args(&mut self) -> PResult<(Vec<Arg>, Vec<Closure>)> {
        let mut args = Vec::new();
        loop {
            args.push(self.arg()?);
            if self.is_op(",") && !self.cur().nl_before {
                self.bump();
                continue;
            }
            break;
        }
        let mut closures = Vec::new();
        if self.is_op("{") && !self.cur().nl_before {
            closures.push(self.closure()?);
        }
        Ok((args, closures))
    }

    /// `name: value` or a positional value.
    fn arg(&mut self) -> PResult<Arg> {
        let key = match (&self.cur().tok, self.peek(1)) {
            (Tok::Ident(n) | Tok::Number(n), Tok::Op(":")) => Some(n.clone()),
            (Tok::Str { parts, .. }, Tok::Op(":")) => Some(
                parts
                    .iter()
                    .map(|p| match p {
                        RawPart::Lit { text, .. } => text.as_str(),
                        RawPart::Interp { .. } => "",
                    })
                    .collect(),
            ),
            _ => None,
        };
        // `(expr): value` — a computed map key.
        if key.is_none()
            && self.is_op("(")
            && matches!(self.tok_at(self.matching(self.i) + 1), Tok::Op(":"))
        {
            let start = self.cur().span.start;
            let k = self.primary()?;
            self.expect(":")?;
            let value = self.expr()?;
            let name = k.dotted().unwrap_or_else(|| "(expr)".into());
            return Ok(Arg {
                name: Some((name, start..k.span.end)),
                value,
            });
        }
        let name = if let Some(k) = key {
            let t = self.bump();
            self.bump();
            Some((k, t.span))
        } else {
            None
        };
        let value = self.expr()?;
        Ok(Arg { name, value })
    }

    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let lhs = self.ternary()?;
        let r = match &self.cur().tok {
            Tok::Op(op) if ASSIGN_OPS.contains(op) && !self.nl_stop() => {
                let op = (*op).to_string();
                self.bump();
                let value = self.expr()?;
                let span = lhs.span.start..value.span.end;
                Expr {
                    kind: ExprKind::Assign {
                        op,
                        target: Box::new(lhs),
                        value: Box::new(value),
                    },
                    span,
                }
            }
            _ => lhs,
        };
        self.leave();
        Ok(r)
    }

    fn ternary(&mut self) -> PResult<Expr> {
        let cond = self.binary(0)?;
        // No statement starts with `?` or `?:`: on the next line they continue the expression.
        if self.is_op("?") {
            self.bump();
            let then = self.expr()?;
            self.expect(":")?;
            let otherwise = self.expr()?;
            let span = cond.span.start..otherwise.span.end;
            return Ok(Expr {
                kind: ExprKind::Ternary {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
                span,
            });
        }
        if self.is_op("?:") {
            self.bump();
            let rhs = self.expr()?;
            let span = cond.span.start..rhs.span.end;
            return Ok(Expr {
                kind: ExprKind::Binary {
                    op: "?:".into(),
                    lhs: Box::new(cond),
                    rhs: Box::new(rhs),
                },
                span,
            });
        }
        Ok(cond)
    }

    fn binary(&mut self, min: u8) -> PResult<Expr> {
        let depth0 = self.depth;
        let r = self.binary_chain(min);
        self.depth = depth0;
        r
    }

    fn binary_chain(&mut self, min: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        loop {
            // `&&` and `||` cannot start a statement: a line starting with one continues.
            if self.nl_stop() && !self.is_op("&&") && !self.is_op("||") {
                break;
            }
            let op = match &self.cur().tok {
                Tok::Op(o) => (*o).to_string(),
                Tok::Ident(n) if matches!(n.as_str(), "in" | "instanceof" | "as") => n.clone(),
                _ => break,
            };
            let Some(prec) = binary_prec(&op) else { break };
            if prec < min {
                break;
            }
            self.link()?;
            self.bump();
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Expr> {
        if let Tok::Op(op @ ("!" | "-" | "+" | "~" | "++" | "--" | "*")) = self.cur().tok {
            let start = self.bump().span.start;
            self.enter()?;
            let operand = self.unary()?;
            self.leave();
            let span = start..operand.span.end;
            return Ok(Expr {
                kind: ExprKind::Unary {
                    op: op.to_string(),
                    operand: Box::new(operand),
                },
                span,
            });
        }
        let p = self.primary()?;
        self.postfix(p)
    }

    fn postfix(&mut self, e: Expr) -> PResult<Expr> {
        let depth0 = self.depth;
        let r = self.postfix_chain(e);
        self.depth = depth0;
        r
    }

    fn postfix_chain(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            self.link()?;
            let t = self.cur().clone();
            match t.tok {
                // Method chains may continue on the next line (`.with { }`).
                Tok::Op(op @ ("." | "?." | "*." | ".@" | ".&")) => {
                    self.bump();
                    let (name, name_span) = match &self.cur().tok {
                        Tok::Ident(n) => (n.clone(), self.bump().span),
                        Tok::Str { parts, .. } => {
                            let n = parts
                                .iter()
                                .map(|p| match p {
                                    RawPart::Lit { text, .. } => text.as_str(),
                                    RawPart::Interp { .. } => "?",
                                })
                                .collect::<String>();
                            (n, self.bump().span)
                        }
                        other => {
                            let found = describe(other);
                            return self
                                .fail(format!("expected a name after `{op}`, found {found}"));
                        }
                    };
                    if self.is_op("(") && !self.cur().nl_before {
                        let args = self.call_args()?;
                        let closures = self.trailing_closures(false)?;
                        e = Expr {
                            span: e.span.start..self.prev_end,
                            kind: ExprKind::Call(Call {
                                target: Some(Box::new(e)),
                                name,
                                name_span,
                                args,
                                closures,
                                command: false,
                            }),
                        };
                    } else if self.is_op("{") && !self.cur().nl_before {
                        let closures = self.trailing_closures(false)?;
                        e = Expr {
                            span: e.span.start..self.prev_end,
                            kind: ExprKind::Call(Call {
                                target: Some(Box::new(e)),
                                name,
                                name_span,
                                args: Vec::new(),
                                closures,
                                command: false,
                            }),
                        };
                    } else {
                        e = Expr {
                            span: e.span.start..name_span.end,
                            kind: ExprKind::Property {
                                target: Box::new(e),
                                name,
                                name_span,
                                safe: op == "?.",
                            },
                        };
                    }
                }
                Tok::Op("(") if !t.nl_before => {
                    let args = self.call_args()?;
                    let closures = self.trailing_closures(true)?;
                    let (target, name, name_span) = match e.kind {
                        ExprKind::Ident(ref n) => (None, n.clone(), e.span.clone()),
                        _ => (
                            Some(Box::new(e.clone())),
                            "call".to_string(),
                            e.span.clone(),
                        ),
                    };
                    e = Expr {
                        span: e.span.start..self.prev_end,
                        kind: ExprKind::Call(Call {
                            target,
                            name,
                            name_span,
                            args,
                            closures,
                            command: false,
                        }),
                    };
                }
                // `node { }`, `pipeline\n{` (Allman style): a call with only a closure.
                Tok::Op("{")
                    if matches!(e.kind, ExprKind::Ident(_)) && (!t.nl_before || !self.nl_ok) =>
                {
                    let ExprKind::Ident(name) = &e.kind else {
                        break;
                    };
                    if matches!(
                        name.as_str(),
                        "true" | "false" | "null" | "this" | "super" | "it"
                    ) {
                        break;
                    }
                    let name = name.clone();
                    let closures = self.trailing_closures(true)?;
                    e = Expr {
                        span: e.span.start..self.prev_end,
                        kind: ExprKind::Call(Call {
                            target: None,
                            name,
                            name_span: e.span.clone(),
                            args: Vec::new(),
                            closures,
                            command: false,
                        }),
                    };
                }
                // `String[]` (a type in `as String[]`, `new X[]`): nothing to index.
                Tok::Op("[") if !t.nl_before && matches!(self.peek(1), Tok::Op("]")) => {
                    self.bump();
                    self.bump();
                }
                Tok::Op("[") if !t.nl_before => {
                    self.bump();
                    let saved = std::mem::replace(&mut self.nl_ok, true);
                    let index = self.expr()?;
                    while self.is_op(",") {
                        self.bump();
                        self.expr()?;
                    }
                    self.nl_ok = saved;
                    self.expect("]")?;
                    e = Expr {
                        span: e.span.start..self.prev_end,
                        kind: ExprKind::Index {
                            target: Box::new(e),
                            index: Box::new(index),
                        },
                    };
                }
                Tok::Op(op @ ("++" | "--")) if !t.nl_before => {
                    self.bump();
                    e = Expr {
                        span: e.span.start..self.prev_end,
                        kind: ExprKind::Unary {
                            op: format!("{op}(post)"),
                            operand: Box::new(e),
                        },
                    };
                }
                _ => break,
            }
        }
        Ok(e)
    }

    /// `( args )` including named arguments; newlines inside are insignificant.
    fn call_args(&mut self) -> PResult<Vec<Arg>> {
        self.expect("(")?;
        let saved = std::mem::replace(&mut self.nl_ok, true);
        let mut args = Vec::new();
        while !self.is_op(")") {
            if self.at_eof() {
                self.nl_ok = saved;
                return self.fail("unexpected end of file: missing `)`");
            }
            // `f(a, , b)`: Groovy ignores an empty argument.
            if self.is_op(",") && !args.is_empty() {
                self.bump();
                continue;
            }
            args.push(self.arg()?);
            if self.is_op(",") {
                self.bump();
            } else if !self.is_op(")") {
                let found = describe(&self.cur().tok);
                self.nl_ok = saved;
                return self.fail(format!("expected `,` or `)` in arguments, found {found}"));
            }
        }
        self.bump();
        self.nl_ok = saved;
        Ok(args)
    }

    /// Closures after a call; the first may sit on the next line when `allow_nl`.
    fn trailing_closures(&mut self, allow_nl: bool) -> PResult<Vec<Closure>> {
        let mut out = Vec::new();
        while self.is_op("{") && (!self.cur().nl_before || (allow_nl && out.is_empty())) {
            if self.nl_ok && self.cur().nl_before {
                break;
            }
            out.push(self.closure()?);
        }
        Ok(out)
    }

    /// At `{`: a parameter list (`a, b ->`, `String s, Map m = [:] ->`, `->`) comes first.
    fn closure_params_ahead(&self) -> bool {
        self.params_arrow_from(self.i + 1)
    }

    /// Whether the tokens from `j` are closure parameters up to `->`: names and types, commas,
    /// and default values after `=`. Bounded: the list ends on its line (or the next, after a
    /// comma), and within a few hundred tokens.
    fn params_arrow_from(&self, mut j: usize) -> bool {
        let first = j;
        let mut depth = 0usize;
        let mut in_default = false;
        let limit = j + 512;
        while j < limit {
            let t = &self.toks[j.min(self.toks.len() - 1)];
            if t.nl_before && depth == 0 && j > first && !matches!(self.tok_at(j - 1), Tok::Op(","))
            {
                return false;
            }
            match &t.tok {
                Tok::Op("->") if depth == 0 => return true,
                Tok::Op("(" | "[" | "{") if in_default => depth += 1,
                Tok::Op(")" | "]" | "}") if depth > 0 => depth -= 1,
                Tok::Op("}" | ";") | Tok::Eof => return false,
                Tok::Op(",") if depth == 0 => in_default = false,
                Tok::Op("=") if depth == 0 => in_default = true,
                _ if in_default => {}
                Tok::Ident(_) | Tok::Op("." | "<" | ">" | ">>" | "?" | "[" | "]") => {}
                _ => return false,
            }
            j += 1;
        }
        false
    }

    fn closure(&mut self) -> PResult<Closure> {
        let start = self.expect("{")?.span.start;
        let mut params = Vec::new();
        if self.params_arrow_from(self.i) {
            self.enter()?;
            let saved = std::mem::replace(&mut self.nl_ok, true);
            while !self.is_op("->") {
                // `Type name = default`: the name is the identifier before `=`, `,` or `->`.
                let mut name = None;
                let mut angle = 0i32;
                loop {
                    match &self.cur().tok {
                        Tok::Ident(n) => name = Some(n.clone()),
                        Tok::Op("<") => angle += 1,
                        Tok::Op(">") => angle -= 1,
                        Tok::Op(">>") => angle -= 2,
                        Tok::Op(",") if angle > 0 => {}
                        Tok::Op("." | "?" | "[" | "]") => {}
                        _ => break,
                    }
                    self.bump();
                }
                let default = if self.is_op("=") {
                    self.bump();
                    Some(self.expr()?)
                } else {
                    None
                };
                if let Some(name) = name {
                    params.push(Param { name, default });
                }
                if self.is_op(",") {
                    self.bump();
                } else if !self.is_op("->") {
                    let found = describe(&self.cur().tok);
                    self.nl_ok = saved;
                    return self.fail(format!(
                        "expected `,` or `->` in closure parameters, found {found}"
                    ));
                }
            }
            self.nl_ok = saved;
            self.leave();
            self.bump();
        }
        let body = self.block_body(true)?;
        Ok(Closure {
            params,
            body,
            span: start..self.prev_end,
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.cur().clone();
        match t.tok {
            Tok::Ident(ref n) => {
                self.bump();
                let kind = match n.as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    "new" => return self.new_expr(t.span.start),
                    _ => ExprKind::Ident(n.clone()),
                };
                Ok(Expr { kind, span: t.span })
            }
            Tok::Number(ref n) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::Number(n.clone()),
                    span: t.span,
                })
            }
            Tok::Str { quote, ref parts } => {
                self.bump();
                let mut out = Vec::with_capacity(parts.len());
                for p in parts {
                    out.push(match p {
                        RawPart::Lit { text, span, map } => StrPart::Lit {
                            text: text.clone(),
                            span: span.clone(),
                            map: map.clone(),
                        },
                        RawPart::Interp { tokens, span, .. } => StrPart::Interp {
                            expr: self.interpolated(tokens.clone())?,
                            span: span.clone(),
                        },
                    });
                }
                Ok(Expr {
                    kind: ExprKind::Str(StrLit { quote, parts: out }),
                    span: t.span,
                })
            }
            Tok::Op("(") => {
                self.bump();
                let saved = std::mem::replace(&mut self.nl_ok, true);
                let mut inner = self.expr()?;
                // `(a, b) = pair()`: a tuple, the target of a multiple assignment.
                if self.is_op(",") {
                    let start = inner.span.start;
                    let mut items = vec![inner];
                    while self.is_op(",") {
                        self.bump();
                        items.push(self.expr()?);
                    }
                    inner = Expr {
                        span: start..self.prev_end,
                        kind: ExprKind::List(items),
                    };
                }
                self.nl_ok = saved;
                self.expect(")")?;
                // A cast `(Type) expr`: keep the operand.
                if let ExprKind::Ident(n) = &inner.kind
                    && n.chars().next().is_some_and(char::is_uppercase)
                    && !self.cur().nl_before
                    && matches!(self.cur().tok, Tok::Ident(_) | Tok::Str { .. })
                {
                    return self.unary();
                }
                Ok(Expr {
                    kind: inner.kind,
                    span: t.span.start..self.prev_end,
                })
            }
            Tok::Op("[") => self.list_or_map(),
            Tok::Op("{") => {
                let c = self.closure()?;
                Ok(Expr {
                    span: c.span.clone(),
                    kind: ExprKind::Closure(c),
                })
            }
            ref other => {
                let found = describe(other);
                self.fail(format!("unexpected {found}"))
            }
        }
    }

    fn interpolated(&mut self, tokens: Vec<Token>) -> PResult<Option<Expr>> {
        if tokens.len() <= 1 {
            return Ok(None);
        }
        let mut sub = Parser::new(self.src, tokens);
        sub.depth = self.depth;
        // `${ -> x }` lazy interpolation, or statements: take the last expression.
        let stmts = sub.block_body(false)?;
        if !sub.at_eof() {
            return sub.fail("unexpected `}` in interpolation");
        }
        Ok(stmts.into_iter().last().and_then(|s| match s.kind {
            StmtKind::Expr(e) => Some(e),
            _ => None,
        }))
    }

    fn new_expr(&mut self, start: usize) -> PResult<Expr> {
        let (mut type_name, _) = self.ident()?;
        while self.is_op(".") {
            self.bump();
            type_name.push('.');
            type_name.push_str(&self.ident()?.0);
        }
        if self.is_op("<") {
            self.skip_generics();
        }
        let mut args = Vec::new();
        if self.is_op("(") {
            args = self.call_args()?;
        }
        while self.is_op("[") {
            self.skip_group()?;
        }
        if self.is_op("{") && !self.cur().nl_before {
            self.skip_group()?;
        }
        Ok(Expr {
            kind: ExprKind::New { type_name, args },
            span: start..self.prev_end,
        })
    }

    fn skip_generics(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.cur().tok {
                Tok::Op("<") => depth += 1,
                Tok::Op(">") => depth -= 1,
                Tok::Op(">>") => depth -= 2,
                Tok::Eof => return,
                _ => {}
            }
            self.bump();
            if depth <= 0 {
                return;
            }
        }
    }

    fn list_or_map(&mut self) -> PResult<Expr> {
        let start = self.expect("[")?.span.start;
        let saved = std::mem::replace(&mut self.nl_ok, true);
        if self.is_op(":") && matches!(self.peek(1), Tok::Op("]")) {
            self.bump();
            self.bump();
            self.nl_ok = saved;
            return Ok(Expr {
                kind: ExprKind::Map(Vec::new()),
                span: start..self.prev_end,
            });
        }
        let mut items = Vec::new();
        while !self.is_op("]") {
            if self.at_eof() {
                self.nl_ok = saved;
                return self.fail("unexpected end of file: missing `]`");
            }
            items.push(self.arg()?);
            if self.is_op(",") {
                self.bump();
            } else if !self.is_op("]") {
                let found = describe(&self.cur().tok);
                self.nl_ok = saved;
                return self.fail(format!("expected `,` or `]`, found {found}"));
            }
        }
        self.bump();
        self.nl_ok = saved;
        let span = start..self.prev_end;
        let kind = if items.iter().any(|a| a.name.is_some()) {
            ExprKind::Map(items)
        } else {
            ExprKind::List(items.into_iter().map(|a| a.value).collect())
        };
        Ok(Expr { kind, span })
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(n) => format!("`{n}`"),
        Tok::Number(n) => format!("number `{n}`"),
        Tok::Str { .. } => "a string".into(),
        Tok::Op(o) => format!("`{o}`"),
        Tok::Eof => "end of file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(src: &str) -> Vec<String> {
        struct V(Vec<String>);
        impl crate::ast::Visitor for V {
            fn expr(&mut self, e: &Expr) {
                if let ExprKind::Call(c) = &e.kind {
                    self.0.push(c.qualified_name());
                }
            }
        }
        let s = parse(src).unwrap_or_else(|e| panic!("{e:?} at {}", &src[e.at..]));
        let mut v = V(Vec::new());
        crate::ast::walk_stmts(&s.body, &mut v);
        v.0
    }

    #[test]
    fn declarative_pipeline() {
        let src = r#"
pipeline {
    agent any
    environment { TOKEN = credentials('tok') }
    stages {
        stage('Build') {
            when { changeRequest() }
            steps {
                sh 'make'
                sh script: "echo ${TOKEN}", returnStdout: true
                withCredentials([string(credentialsId: 'x', variable: 'X')]) { sh 'echo $X' }
            }
        }
    }
    post { always { junit 'a.xml' } }
}
"#;
        let c = calls(src);
        for want in [
            "pipeline",
            "agent",
            "credentials",
            "stage",
            "changeRequest",
            "sh",
            "withCredentials",
            "string",
            "junit",
        ] {
            assert!(c.iter().any(|x| x == want), "{want} missing in {c:?}");
        }
    }

    #[test]
    fn scripted_pipeline() {
        let src = r#"
@Library('shared@v1') _
import groovy.json.JsonOutput
def img
node('linux') {
    checkout scm
    if (env.CHANGE_ID) {
        echo "PR ${env.CHANGE_ID}"
    } else {
        img = docker.build("app:${env.BUILD_ID}")
        docker.withRegistry('https://r.example', 'reg-cred') {
            img.push()
        }
    }
    try {
        def out = sh(script: 'ls', returnStdout: true).trim()
        for (f in out.split('\n')) { println f }
    } catch (Exception e) {
        currentBuild.result = 'FAILURE'
    } finally {
        deleteDir()
    }
}
def helper(String a, b = 2) { return a + b }
String name = "x"
list.each { item -> echo item }
"#;
        let c = calls(src);
        for want in [
            "node",
            "checkout",
            "echo",
            "docker.build",
            "docker.withRegistry",
            "img.push",
            "sh",
            "trim",
            "deleteDir",
            "list.each",
            "println",
        ] {
            assert!(c.iter().any(|x| x == want), "{want} missing in {c:?}");
        }
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse("node {\n sh 'x'\n").unwrap_err();
        assert!(e.message.contains("missing `}`"), "{e:?}");
        let e = parse("foo(a, b").unwrap_err();
        assert_eq!(e.at, 8);
        assert!(parse("x = )").is_err());
        assert!(parse("}").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = "[".repeat(5000);
        assert!(parse(&src).is_err());
        let src = "\"${".repeat(2000);
        assert!(parse(&src).is_err());
        for unit in [
            "{",
            "(",
            "!",
            "if (a) ",
            "for (;;) ",
            "a ? b : ",
            "x = ",
            "@A ",
        ] {
            let src = unit.repeat(3000);
            // Must return (error or not) without overflowing a 2 MiB thread stack.
            let r = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || parse(&src).is_err())
                .unwrap()
                .join();
            assert!(r.is_ok(), "{unit}");
        }
    }

    /// The constructs of the corpus fix list (docs/jenkins-corpus.md) parse, into the tree
    /// they mean.
    #[test]
    #[allow(clippy::many_single_char_names)]
    fn fix_list_constructs() {
        let ok = |src: &str| parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        // 1. ternary / elvis continued with the operator first
        let s = ok("def v = cond\n  ? 'a'\n  : 'b'\ndef w = x\n  ?: 'y'\nfoo()");
        assert_eq!(s.body.len(), 3);
        let StmtKind::Decl { value: Some(v), .. } = &s.body[0].kind else {
            panic!()
        };
        assert!(matches!(v.kind, ExprKind::Ternary { .. }));
        let StmtKind::Decl { value: Some(v), .. } = &s.body[1].kind else {
            panic!()
        };
        assert!(matches!(&v.kind, ExprKind::Binary { op, .. } if op == "?:"));
        let s = ok("if (a\n && b\n || c) { x() }");
        assert_eq!(s.body.len(), 1);
        // 2. assert with a message
        for src in [
            "assert list.contains('x') : 'x missing'",
            "assert a == b : 'differ'",
            "assert params.\"${k}\" : 'no such parameter'",
            "assert x, 'comma form'",
            "assert(ok)",
        ] {
            let s = ok(src);
            assert!(matches!(s.body[0].kind, StmtKind::Assert { .. }), "{src}");
        }
        let s = ok("assert a == b : \"got ${a}\"");
        let StmtKind::Assert {
            cond,
            message: Some(m),
        } = &s.body[0].kind
        else {
            panic!()
        };
        assert!(matches!(&cond.kind, ExprKind::Binary { op, .. } if op == "=="));
        assert!(m.as_str().is_some());
        // 3. multiple assignment, with and without def
        let s = ok("(first, second) = pair()\ndef (String a, int b) = two()");
        let StmtKind::Expr(Expr {
            kind: ExprKind::Assign { target, .. },
            ..
        }) = &s.body[0].kind
        else {
            panic!("{:?}", s.body[0])
        };
        assert!(matches!(&target.kind, ExprKind::List(items) if items.len() == 2));
        let StmtKind::Decl { names, .. } = &s.body[1].kind else {
            panic!()
        };
        assert_eq!(
            names.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        // 4. closure parameters with defaults (typed or not)
        let s = ok(
            "def f = { a, b = null -> a }\ndef g = { Map m = [:], Closure c -> c() }\ndef h = { Map<String, List<X>> m, x -> }",
        );
        let names = |i: usize| {
            let StmtKind::Decl {
                value:
                    Some(Expr {
                        kind: ExprKind::Closure(c),
                        ..
                    }),
                ..
            } = &s.body[i].kind
            else {
                panic!()
            };
            c.params
                .iter()
                .map(|p| (p.name.clone(), p.default.is_some()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(0), [("a".into(), false), ("b".into(), true)]);
        assert_eq!(names(1), [("m".into(), true), ("c".into(), false)]);
        assert_eq!(names(2), [("m".into(), false), ("x".into(), false)]);
        // 5, 6. enum constants, abstract methods
        let s = ok(
            "enum Mode { FAST, SLOW('s') { int x() { 1 } }; Mode() {} \n String tag() { 'x' } }",
        );
        let StmtKind::Compound {
            keyword,
            head,
            bodies,
        } = &s.body[0].kind
        else {
            panic!()
        };
        assert_eq!(keyword, "enum");
        assert_eq!(head[0].dotted().as_deref(), Some("Mode"));
        assert!(bodies[0].len() >= 3, "{:?}", bodies[0]);
        let s = ok(
            "abstract class Base {\n  abstract String tag()\n  boolean d() { true }\n}\ninterface I { void f(); int g() }",
        );
        let StmtKind::Compound { bodies, .. } = &s.body[0].kind else {
            panic!()
        };
        assert!(
            matches!(&bodies[0][0].kind, StmtKind::Method { name, body, .. } if name == "tag" && body.is_empty())
        );
        assert!(matches!(&bodies[0][1].kind, StmtKind::Method { name, .. } if name == "d"));
        // 7. labels
        let s = ok("Build: { echo 'x' }\nouter: for (x in xs) { break outer }");
        assert!(matches!(&s.body[0].kind, StmtKind::Labeled { label, .. } if label == "Build"));
        assert!(
            matches!(&s.body[1].kind, StmtKind::Labeled { label, body, .. }
            if label == "outer" && matches!(&body.kind, StmtKind::Compound { keyword, .. } if keyword == "for"))
        );
        assert_eq!(calls("Build: { echo 'x' }"), ["echo"]);
        // 8. `"$v.$w"`
        let s = ok("echo \"$v.$w\"");
        let refs = s.body[0].kind.clone();
        let StmtKind::Expr(e) = refs else { panic!() };
        let r: Vec<String> = e.references().into_iter().map(|r| r.0).collect();
        assert_eq!(r, ["v", "w"]);
        // 9. an empty argument
        assert_eq!(calls("sh(script: 'pwd', , returnStdout: true)"), ["sh"]);
    }

    #[test]
    fn command_chains_are_nested_calls() {
        // `a b c d` is `a(b).c(d)`; `a b c` is `a(b).c`.
        let s = parse("take 2.pills of chloroquine after 6.hours").unwrap();
        assert_eq!(s.body.len(), 1);
        let StmtKind::Expr(e) = &s.body[0].kind else {
            panic!()
        };
        let c = e.as_call().unwrap();
        assert_eq!(c.name, "after");
        let of = c.target.as_deref().and_then(Expr::as_call).unwrap();
        assert_eq!(of.name, "of");
        assert_eq!(
            of.positional(0).and_then(Expr::dotted).as_deref(),
            Some("chloroquine")
        );
        let take = of.target.as_deref().and_then(Expr::as_call).unwrap();
        assert_eq!(take.name, "take");
        let s = parse("foo a b").unwrap();
        let StmtKind::Expr(e) = &s.body[0].kind else {
            panic!()
        };
        assert!(matches!(&e.kind, ExprKind::Property { name, .. } if name == "b"));
        // Keywords end a chain.
        let s = parse("if (x) echo 'a' else echo 'b'").unwrap();
        assert!(matches!(&s.body[0].kind, StmtKind::If { otherwise, .. } if otherwise.len() == 1));
    }

    #[test]
    fn annotations_are_recorded() {
        let s = parse("@Library(['shared@v1', 'other']) _\n@groovy.transform.Field\ndef x = 1\n@NonCPS\ndef f() { }").unwrap();
        let names: Vec<_> = s.annotations.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Library", "groovy.transform.Field", "NonCPS"]);
        let lib = &s.annotations[0];
        assert!(matches!(&lib.args[0].value.kind, ExprKind::List(l) if l.len() == 2));
        assert!(
            matches!(&s.body.last().unwrap().kind, StmtKind::Method { name, .. } if name == "f")
        );
    }

    #[test]
    fn recovery_skips_a_statement_and_keeps_the_rest() {
        // A statement the parser cannot read is skipped up to the next line.
        let src = "node {\n  sh 'a'\n  x = = 2\n  sh 'b'\n}\nsh 'c'";
        assert!(parse(src).is_err());
        let s = parse_recovering(src);
        assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
        assert_eq!(&src[s.skipped[0].span.clone()], "x = = 2");
        assert_eq!(calls_of(&s), ["node", "sh", "sh", "sh"]);
        // A missing `)` (invalid Groovy): the lines indented deeper belong to the bad
        // statement; the `}` at its own indentation closes it.
        let src = "node {\n  for (v in list(a) {\n    sh 'x'\n  }\n  sh 'after'\n}\n";
        let s = parse_recovering(src);
        assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
        assert!(src[s.skipped[0].span.clone()].starts_with("for (v in"));
        assert!(src[s.skipped[0].span.clone()].ends_with("  }"));
        assert_eq!(calls_of(&s), ["node", "sh"]);
        // A stray `}` at the top level, and an unterminated string.
        let s = parse_recovering(
            "stage('a') { sh 'x' }\n}\nstage('b') { sh 'y\n}\nstage('c') { echo 'z' }",
        );
        assert_eq!(s.skipped.len(), 2, "{:?}", s.skipped);
        assert!(s.skipped[0].message.contains("unbalanced"));
        assert!(s.skipped[1].message.contains("newline in a quoted string"));
        let names: Vec<_> = crate::stages(&s).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        // A missing `}` at the end: the block is closed there.
        let s = parse_recovering("node {\n stage('x') {\n  sh 'make'\n");
        assert_eq!(calls_of(&s), ["node", "stage", "sh"]);
        assert_eq!(s.skipped.len(), 1);
    }

    fn calls_of(s: &Script) -> Vec<String> {
        struct V(Vec<String>);
        impl crate::ast::Visitor for V {
            fn expr(&mut self, e: &Expr) {
                if let ExprKind::Call(c) = &e.kind {
                    self.0.push(c.qualified_name());
                }
            }
        }
        let mut v = V(Vec::new());
        crate::ast::walk_stmts(&s.body, &mut v);
        v.0
    }

    #[test]
    fn hundred_thousand_levels_fail_fast() {
        for unit in [
            "{", "(", "[", "!", "a.", "a + ", "f a ", "if (a) ", "x = ", "\"${", "a: ", "{ a = ",
        ] {
            let src = unit.repeat(100_000);
            let t = std::time::Instant::now();
            // Must return without overflowing a 2 MiB thread stack, with a parse error.
            let r = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    struct C<'a>(&'a mut usize);
                    impl crate::ast::Visitor for C<'_> {
                        fn expr(&mut self, _e: &Expr) {
                            *self.0 += 1;
                        }
                    }
                    let s = parse_recovering(&src);
                    // Walking and dropping the tree must not overflow either.
                    let mut n = 0;
                    crate::ast::walk_stmts(&s.body, &mut C(&mut n));
                    !s.skipped.is_empty()
                })
                .unwrap()
                .join();
            assert!(matches!(r, Ok(true)), "{unit}: {r:?}");
            assert!(t.elapsed().as_secs() < 5, "{unit}: {:?}", t.elapsed());
        }
    }

    #[test]
    fn misc_syntax() {
        let src = r#"
def m = [a: 1, 'b': [1, 2], (c): 3]
def e = [:]
x = a ? b : c ?: d
y = list*.name.findAll { it =~ /re/ }
z = !(a && b) || c instanceof String
switch (v) {
  case 'a': sh 'a'; break
  default: sh 'b'
}
while (i < 3) { i++ }
String s = """multi
line ${x}"""
def r = $/dollar ${y} slashy/$
stage ('Spaced') {
    try { sh 'x' } catch(Exception) { echo 'no variable' }
    while(true) { retryCount++; label += '-x'; break }
    def (platform, jdk) = it
    builds.failFast = failFast
    parallel builds
    emailext (
        subject: "FAIL ${env.JOB_NAME}",
        recipientProviders: [[$class: 'DevelopersRecipientProvider']]
    )
}
"#;
        let c = calls(src);
        assert!(c.iter().filter(|x| *x == "sh").count() == 3, "{c:?}");
        for want in ["stage", "emailext", "parallel", "echo"] {
            assert!(c.iter().any(|x| x == want), "{want} missing in {c:?}");
        }
    }
}
