//! A tokenizer and parser for the Groovy that Jenkins pipelines are written in, with byte spans
//! on every node. Reusable outside the Jenkins rules (drift fingerprints per stage):
//!
//! ```
//! use pipeguard_groovy as groovy;
//! let src = "pipeline { stages { stage('Build') { steps { sh 'make' } } } }";
//! let script = groovy::parse(src).unwrap();
//! let stages = groovy::stages(&script);
//! assert_eq!(stages[0].name, "Build");
//! assert!(src[stages[0].span.clone()].starts_with("stage('Build')"));
//! ```
//!
//! Covered: single, double, triple-quoted, slashy and dollar-slashy strings with `${…}` and
//! `$a.b` interpolation; comments; closures with parameters (typed, with default values);
//! calls with named arguments, with and without parentheses, with trailing closures; command
//! chains (`a b c d` is `a(b).c(d)`); lists and maps (GString keys); operators, with ternary,
//! elvis, `&&` and `||` continued on the next line; `if`/`else`, `for`, `while`, `do`,
//! `switch`, `try`/`catch`/`finally`, `assert … : …`, labels; declarations (`def (a, b) =`),
//! multiple assignment (`(a, b) = …`), method definitions (abstract ones too); class,
//! interface and enum definitions (constants, members); annotations (recorded, see
//! [`Script::annotations`], e.g. `@Library`) and imports (skipped). Not covered: generics beyond
//! skipping, GString `${}` containing unbalanced braces in strings, and the Java-style syntax
//! Groovy accepts that pipelines do not use (anonymous classes, lambdas of Groovy 3).
//!
//! [`parse`] is strict; [`parse_recovering`] skips what it cannot read (a statement, up to the
//! next one) and records it in [`Script::skipped`], so that the rest of a file is analysed.
//! Nesting is bounded: input nested deeper than the parser allows is an error, never a stack
//! overflow, in the parser and in any walk over the tree it returns.

pub mod ast;
pub mod lexer;
pub mod parser;

use std::ops::Range;

pub use ast::{
    Annotation, Arg, Call, Closure, Expr, ExprKind, OffsetMap, Param, Quote, Script, Skipped, Stmt,
    StmtKind, StrLit, StrPart, Visitor, walk_expr, walk_stmts,
};
pub use parser::{ParseError, parse, parse_recovering};

/// A `stage('name') { … }` (declarative or scripted), possibly nested in `parallel` or other
/// stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageInfo {
    /// The stage name; `<dynamic>` when it is an interpolated string or an expression.
    pub name: String,
    /// Names of the enclosing stages, outermost first.
    pub parents: Vec<String>,
    /// Byte range of the whole `stage(…) { … }` call.
    pub span: Range<usize>,
    /// Byte range of the stage body closure (empty range when there is none).
    pub body: Range<usize>,
}

/// Every stage of a parsed script, in source order.
pub fn stages(script: &Script) -> Vec<StageInfo> {
    struct V {
        stack: Vec<(String, usize)>,
        out: Vec<StageInfo>,
    }
    impl V {
        fn stmts(&mut self, stmts: &[Stmt]) {
            for s in stmts {
                // Reuse the generic walk for everything but stage calls, which push a name.
                let mut inner = Inner(self);
                ast::walk_stmt(s, &mut inner);
            }
        }
    }
    struct Inner<'a>(&'a mut V);
    impl Visitor for Inner<'_> {
        fn expr(&mut self, e: &Expr) {
            let ExprKind::Call(c) = &e.kind else { return };
            if c.target.is_some() || c.name != "stage" {
                return;
            }
            let v = &mut *self.0;
            // Pop stages that ended before this one.
            while v.stack.last().is_some_and(|(_, end)| *end <= e.span.start) {
                v.stack.pop();
            }
            let name = stage_name(c);
            v.out.push(StageInfo {
                name: name.clone(),
                parents: v.stack.iter().map(|(n, _)| n.clone()).collect(),
                span: e.span.clone(),
                body: c.body().map_or(e.span.end..e.span.end, |b| b.span.clone()),
            });
            v.stack.push((name, e.span.end));
        }
    }
    let mut v = V {
        stack: Vec::new(),
        out: Vec::new(),
    };
    v.stmts(&script.body);
    v.out
}

/// `stage('x')`, `stage(name: 'x')`, `stage "x"`.
pub fn stage_name(c: &Call) -> String {
    c.positional(0)
        .or_else(|| c.named("name"))
        .and_then(Expr::literal_str)
        .unwrap_or_else(|| "<dynamic>".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_with_parents_and_spans() {
        let src = "pipeline { stages {\n stage('A') { parallel { stage('A1') { steps { sh 'x' } } } }\n stage(\"B\") { steps { echo 'b' } }\n} }\nnode { stage('C') { sh 'c' } }";
        let s = parse(src).unwrap();
        let st = stages(&s);
        let names: Vec<_> = st.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["A", "A1", "B", "C"]);
        assert_eq!(st[1].parents, ["A"]);
        assert!(st[2].parents.is_empty());
        assert!(src[st[2].span.clone()].starts_with("stage(\"B\")"));
        assert!(src[st[3].body.clone()].starts_with("{ sh 'c' }"));
    }
}
