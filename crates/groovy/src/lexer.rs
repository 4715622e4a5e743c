//! Tokenizer for the Groovy that pipelines use. Strings are lexed into parts (literal text and
//! `${…}` / `$name.prop` interpolations, the latter lexed recursively) so that the parser can
//! tell a Groovy-interpolated shell argument from a plain one. Comments are kept aside.

use std::ops::Range;

/// How a string literal was written; decides whether `$` interpolates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// `'…'`
    Single,
    /// `"…"`
    Double,
    /// `'''…'''`
    TripleSingle,
    /// `"""…"""`
    TripleDouble,
    /// `/…/`
    Slashy,
    /// `$/…/$`
    DollarSlashy,
}

impl Quote {
    /// Whether `$` starts an interpolation in this kind of literal.
    pub fn interpolates(self) -> bool {
        !matches!(self, Quote::Single | Quote::TripleSingle)
    }
}

/// A piece of a string literal, as lexed.
#[derive(Clone, Debug, PartialEq)]
pub enum RawPart {
    /// Text with escapes resolved; `map` gives, for each run, (offset in `text`, source offset).
    Lit {
        text: String,
        span: Range<usize>,
        map: Vec<(usize, usize)>,
    },
    /// `${ … }` (tokens of the inside) or `$a.b` (synthesised identifier/dot tokens).
    Interp {
        tokens: Vec<Token>,
        span: Range<usize>,
        braced: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Number(String),
    Str {
        quote: Quote,
        parts: Vec<RawPart>,
    },
    /// Operators and punctuation, longest match (`?.`, `==~`, `->`, `{`, …).
    Op(&'static str),
    Eof,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
    /// A newline (or the start of input) separates this token from the previous one.
    pub nl_before: bool,
}

/// Text the lexer could not tokenize properly; it recovered after `end` (an unterminated string
/// ends at the end of its line, an unterminated comment at the end of the input, a stray
/// character is skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub at: usize,
    /// End of the text the error affects.
    pub end: usize,
    pub message: String,
}

/// Tokens, the spans of comments, and what could not be tokenized (empty for valid input).
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Range<usize>>,
    pub errors: Vec<LexError>,
}

const OPS: &[&str] = &[
    "..<", "<=>", ".&", "===", "!==", "==~", ">>>", "**=", "<<=", ">>=", "?.", "*.", ".@", "..",
    "->", "==", "!=", "<=", ">=", "&&", "||", "=~", "?:", "++", "--", "+=", "-=", "*=", "/=", "%=",
    "<<", "**", "::", "&=", "|=", "^=", "{", "}", "(", ")", "[", "]", ",", ";", ":", ".", "?", "=",
    "<", ">", "+", "-", "*", "/", "%", "!", "~", "&", "|", "^", "@",
];

/// Deepest `${}` nesting accepted; deeper input is rejected rather than recursing without bound.
const MAX_DEPTH: usize = 16;

/// Tokenize `src`; never fails: what cannot be tokenized is recorded in [`Lexed::errors`] and
/// skipped, so that the parser can analyse the rest.
pub fn lex(src: &str) -> Lexed {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        comments: Vec::new(),
        depth: 0,
        errors: Vec::new(),
    };
    // A shebang line is a comment.
    if src.starts_with("#!") {
        let end = src.find('\n').unwrap_or(src.len());
        lx.comments.push(0..end);
        lx.pos = end;
    }
    let tokens = lx.tokens(false);
    Lexed {
        tokens,
        comments: lx.comments,
        errors: lx.errors,
    }
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    comments: Vec<Range<usize>>,
    depth: usize,
    errors: Vec<LexError>,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphanumeric()
}

impl Lexer<'_> {
    fn err(&mut self, at: usize, end: usize, message: impl Into<String>) {
        self.errors.push(LexError {
            at,
            end,
            message: message.into(),
        });
    }

    /// End of the line at `self.pos` (before the newline).
    fn line_end(&self) -> usize {
        self.src[self.pos..]
            .find('\n')
            .map_or(self.src.len(), |i| self.pos + i)
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn starts(&self, s: &str) -> bool {
        self.src[self.pos..].starts_with(s)
    }

    /// Tokens until end of input, or (when `until_brace`) until the `}` closing a `${`.
    fn tokens(&mut self, until_brace: bool) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::new();
        let mut nl = true;
        let mut braces = 0usize;
        loop {
            nl |= self.skip_trivia();
            let start = self.pos;
            let Some(c) = self.peek_char() else {
                if until_brace {
                    self.err(start, start, "unterminated `${` interpolation");
                }
                out.push(Token {
                    tok: Tok::Eof,
                    span: start..start,
                    nl_before: true,
                });
                return out;
            };
            let tok = if c == '\'' || c == '"' {
                self.string()
            } else if c == '$' && self.starts("$/") {
                self.pos += 2;
                self.string_body(Quote::DollarSlashy, start)
            } else if c == '/' && slashy_allowed(out.last()) {
                self.pos += 1;
                self.string_body(Quote::Slashy, start)
            } else if is_ident_start(c) {
                let len = self.src[self.pos..]
                    .find(|ch: char| !is_ident_char(ch))
                    .unwrap_or(self.src.len() - self.pos);
                self.pos += len;
                Tok::Ident(self.src[start..self.pos].to_string())
            } else if c.is_ascii_digit() {
                self.number()
            } else {
                let Some(op) = OPS.iter().find(|o| self.starts(o)) else {
                    // A character Groovy has no token for (a backquote, `#` outside a shebang):
                    // skip it and go on.
                    self.pos += c.len_utf8();
                    self.err(start, self.pos, format!("unexpected character `{c}`"));
                    continue;
                };
                if until_brace && *op == "{" {
                    braces += 1;
                } else if until_brace && *op == "}" {
                    if braces == 0 {
                        self.pos += 1;
                        out.push(Token {
                            tok: Tok::Eof,
                            span: start..start,
                            nl_before: true,
                        });
                        return out;
                    }
                    braces -= 1;
                }
                self.pos += op.len();
                Tok::Op(op)
            };
            out.push(Token {
                tok,
                span: start..self.pos,
                nl_before: nl,
            });
            nl = false;
        }
    }

    /// Skip spaces, comments and line continuations; true when a newline was crossed.
    fn skip_trivia(&mut self) -> bool {
        let mut nl = false;
        loop {
            match self.b.get(self.pos) {
                Some(b'\n') => {
                    nl = true;
                    self.pos += 1;
                }
                Some(b' ' | b'\t' | b'\r' | b'\x0c') => self.pos += 1,
                Some(b'\\') if matches!(self.b.get(self.pos + 1), Some(b'\n' | b'\r')) => {
                    self.pos += 1;
                    while matches!(self.b.get(self.pos), Some(b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'/') => {
                    let end = self.src[self.pos..]
                        .find('\n')
                        .map_or(self.src.len(), |i| self.pos + i);
                    self.comments.push(self.pos..end);
                    self.pos = end;
                }
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'*') => {
                    let end = match self.src[self.pos + 2..].find("*/") {
                        Some(i) => self.pos + 2 + i + 2,
                        None => {
                            self.err(self.pos, self.src.len(), "unterminated `/*` comment");
                            self.src.len()
                        }
                    };
                    if self.src[self.pos..end].contains('\n') {
                        nl = true;
                    }
                    self.comments.push(self.pos..end);
                    self.pos = end;
                }
                Some(&c) if c >= 0x80 => {
                    // Unicode whitespace (NBSP, BOM…) is trivia too.
                    match self.peek_char() {
                        Some(ch) if ch.is_whitespace() || ch == '\u{feff}' => {
                            self.pos += ch.len_utf8();
                        }
                        _ => return nl,
                    }
                }
                _ => return nl,
            }
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        while let Some(&c) = self.b.get(self.pos) {
            let exp_sign =
                matches!(c, b'+' | b'-') && matches!(self.b.get(self.pos - 1), Some(b'e' | b'E'));
            let fraction = c == b'.' && self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
            if c.is_ascii_alphanumeric() || c == b'_' || fraction || exp_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        Tok::Number(self.src[start..self.pos].to_string())
    }

    fn string(&mut self) -> Tok {
        let start = self.pos;
        let quote = if self.starts("'''") {
            self.pos += 3;
            Quote::TripleSingle
        } else if self.starts("\"\"\"") {
            self.pos += 3;
            Quote::TripleDouble
        } else if self.starts("'") {
            self.pos += 1;
            Quote::Single
        } else {
            self.pos += 1;
            Quote::Double
        };
        self.string_body(quote, start)
    }

    /// The rest of a string literal after its opening delimiter.
    /// The rest of a string literal after its opening delimiter. An unterminated literal is an
    /// error; it ends at the end of its line (single-line quotes) or of the input.
    fn string_body(&mut self, quote: Quote, start: usize) -> Tok {
        let close = match quote {
            Quote::Single => "'",
            Quote::Double => "\"",
            Quote::TripleSingle => "'''",
            Quote::TripleDouble => "\"\"\"",
            Quote::Slashy => "/",
            Quote::DollarSlashy => "/$",
        };
        let multiline = !matches!(quote, Quote::Single | Quote::Double);
        let mut parts = Vec::new();
        let mut lit = LitBuf::new(self.pos);
        loop {
            let Some(c) = self.peek_char() else {
                self.err(start, self.pos, "unterminated string literal");
                lit.flush(&mut parts, self.pos);
                return Tok::Str { quote, parts };
            };
            if self.starts(close) {
                lit.flush(&mut parts, self.pos);
                self.pos += close.len();
                return Tok::Str { quote, parts };
            }
            if c == '\n' && !multiline {
                let end = if self.pos > 0 && self.b[self.pos - 1] == b'\r' {
                    self.pos - 1
                } else {
                    self.pos
                };
                self.err(
                    start,
                    end,
                    "unterminated string literal (newline in a quoted string)",
                );
                lit.flush(&mut parts, self.pos);
                return Tok::Str { quote, parts };
            }
            if quote == Quote::DollarSlashy && (self.starts("$$") || self.starts("$/")) {
                lit.push(&self.src[self.pos + 1..self.pos + 2], self.pos);
                self.pos += 2;
                continue;
            }
            if c == '\\' && quote != Quote::DollarSlashy {
                let at = self.pos;
                let next = self.src[self.pos + 1..].chars().next();
                if quote == Quote::Slashy {
                    // Only `\/` is an escape in slashy strings; other backslashes stay.
                    if next == Some('/') {
                        lit.push("/", at);
                        self.pos += 2;
                    } else {
                        lit.push("\\", at);
                        self.pos += 1;
                    }
                    continue;
                }
                let Some(n) = next else {
                    self.pos += 1;
                    self.err(start, self.pos, "unterminated string literal");
                    lit.flush(&mut parts, self.pos);
                    return Tok::Str { quote, parts };
                };
                self.pos += 1 + n.len_utf8();
                match n {
                    'n' => lit.push("\n", at),
                    't' => lit.push("\t", at),
                    'r' => lit.push("\r", at),
                    'b' => lit.push("\u{8}", at),
                    'f' => lit.push("\u{c}", at),
                    '0' => lit.push("\0", at),
                    '\n' => {} // line continuation inside the literal
                    'u' => {
                        let hex = self.src.get(self.pos..self.pos + 4).unwrap_or_default();
                        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                            Some(ch) if hex.len() == 4 => {
                                self.pos += 4;
                                lit.push(ch.encode_utf8(&mut [0; 4]), at);
                            }
                            _ => lit.push("u", at),
                        }
                    }
                    other => lit.push(other.encode_utf8(&mut [0; 4]), at),
                }
                continue;
            }
            if c == '$'
                && quote.interpolates()
                && let Some(part) = self.interpolation()
            {
                lit.flush(&mut parts, self.pos);
                parts.push(part);
                lit = LitBuf::new(self.pos);
                continue;
            }
            lit.push(&self.src[self.pos..self.pos + c.len_utf8()], self.pos);
            self.pos += c.len_utf8();
        }
    }

    /// `${…}` or `$name(.name)*` at `self.pos`; `None` when the `$` is literal.
    fn interpolation(&mut self) -> Option<RawPart> {
        let start = self.pos;
        if self.starts("${") {
            if self.depth >= MAX_DEPTH {
                // Too deep to follow: the rest of the line is skipped.
                let end = self.line_end();
                self.err(start, end, "interpolations nested too deeply");
                self.pos = end;
                return Some(RawPart::Interp {
                    tokens: vec![Token {
                        tok: Tok::Eof,
                        span: end..end,
                        nl_before: true,
                    }],
                    span: start..end,
                    braced: true,
                });
            }
            self.pos += 2;
            self.depth += 1;
            let tokens = self.tokens(true);
            self.depth -= 1;
            return Some(RawPart::Interp {
                tokens,
                span: start..self.pos,
                braced: true,
            });
        }
        let rest = &self.src[start + 1..];
        if !rest
            .chars()
            .next()
            .is_some_and(|c| c != '$' && is_ident_start(c))
        {
            return None;
        }
        // `$a.b.c`: a property path; a dot not followed by an identifier ends it.
        let mut tokens = Vec::new();
        let mut p = start + 1;
        loop {
            let len = self.src[p..]
                .find(|c: char| !(c == '_' || c.is_alphanumeric()))
                .unwrap_or(self.src.len() - p);
            if len == 0 {
                break;
            }
            tokens.push(Token {
                tok: Tok::Ident(self.src[p..p + len].to_string()),
                span: p..p + len,
                nl_before: false,
            });
            p += len;
            // `"$a.$b"`: the dot is text when no identifier follows it.
            let after_dot = self.src[p..].strip_prefix('.');
            if after_dot.is_some_and(|r| {
                r.chars()
                    .next()
                    .is_some_and(|c| c != '$' && is_ident_start(c))
            }) {
                tokens.push(Token {
                    tok: Tok::Op("."),
                    span: p..p + 1,
                    nl_before: false,
                });
                p += 1;
            } else {
                break;
            }
        }
        tokens.push(Token {
            tok: Tok::Eof,
            span: p..p,
            nl_before: true,
        });
        self.pos = p;
        Some(RawPart::Interp {
            tokens,
            span: start..p,
            braced: false,
        })
    }
}

/// Literal text being accumulated, with its source mapping.
struct LitBuf {
    text: String,
    start: usize,
    map: Vec<(usize, usize)>,
    /// Source offset just after the last pushed piece (to detect non-contiguous runs).
    next_src: usize,
}

impl LitBuf {
    fn new(start: usize) -> Self {
        LitBuf {
            text: String::new(),
            start,
            map: Vec::new(),
            next_src: usize::MAX,
        }
    }

    fn push(&mut self, s: &str, src: usize) {
        if src != self.next_src {
            self.map.push((self.text.len(), src));
        }
        self.text.push_str(s);
        self.next_src = src + s.len();
    }

    fn flush(&mut self, parts: &mut Vec<RawPart>, end: usize) {
        if self.text.is_empty() {
            return;
        }
        parts.push(RawPart::Lit {
            text: std::mem::take(&mut self.text),
            span: self.start..end,
            map: std::mem::take(&mut self.map),
        });
    }
}

/// A `/` starts a slashy string where a value is expected, not after an operand.
fn slashy_allowed(prev: Option<&Token>) -> bool {
    match prev.map(|t| &t.tok) {
        None => true,
        Some(Tok::Ident(k)) => matches!(
            k.as_str(),
            "return" | "in" | "case" | "assert" | "throw" | "else"
        ),
        Some(Tok::Number(_) | Tok::Str { .. } | Tok::Eof) => false,
        Some(Tok::Op(o)) => !matches!(*o, ")" | "]" | "}" | "++" | "--"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_and_interpolation() {
        let t = toks(r#"sh "echo ${env.X} $Y.z \$HOME" "#);
        let Tok::Str { quote, parts } = &t[1] else {
            panic!("{t:?}")
        };
        assert_eq!(*quote, Quote::Double);
        assert_eq!(parts.len(), 5);
        assert!(matches!(&parts[4], RawPart::Lit { text, .. } if text == " $HOME"));
        let t = toks("sh 'echo ${X}'");
        assert!(matches!(&t[1], Tok::Str { parts, .. } if parts.len() == 1));
    }

    #[test]
    fn slashy_vs_division_and_comments() {
        let t = toks("a = b / c // x\nd = /re$x/ /* y */");
        assert!(t.contains(&Tok::Op("/")));
        assert!(t.iter().any(|x| matches!(
            x,
            Tok::Str {
                quote: Quote::Slashy,
                ..
            }
        )));
        assert_eq!(lex("x // c\n/* d */").comments.len(), 2);
    }

    #[test]
    fn nested_strings_in_interpolation() {
        let t = toks(r#""a ${m["k"]} b""#);
        let Tok::Str { parts, .. } = &t[0] else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn errors_are_recovered() {
        let l = lex("'abc");
        assert_eq!(l.errors.len(), 1);
        assert!(matches!(l.tokens[0].tok, Tok::Str { .. }));
        assert!(!lex("\"a ${b\"").errors.is_empty());
        assert_eq!(lex("/* x").errors[0].end, 4);
        // An unterminated quote ends at its line: the next line is lexed as code.
        let l = lex("sh 'make\nfoo()");
        assert_eq!(l.errors[0].at, 3);
        assert_eq!(l.errors[0].end, 8);
        assert!(l.tokens.iter().any(|t| t.tok == Tok::Ident("foo".into())));
        let l = lex("a ` b");
        assert_eq!(l.errors.len(), 1);
        assert_eq!(l.tokens.len(), 3);
    }

    #[test]
    fn dollar_dot_dollar() {
        let t = toks(r#""$v.$w""#);
        let Tok::Str { parts, .. } = &t[0] else {
            panic!()
        };
        assert_eq!(parts.len(), 3);
        assert!(matches!(&parts[1], RawPart::Lit { text, .. } if text == "."));
    }

    #[test]
    fn literal_map_tracks_escapes() {
        let l = lex(r"'a\nb'");
        let Tok::Str { parts, .. } = &l.tokens[0].tok else {
            panic!()
        };
        let RawPart::Lit { text, map, .. } = &parts[0] else {
            panic!()
        };
        assert_eq!(text, "a\nb");
        assert_eq!(map, &vec![(0, 1), (2, 4)]);
    }
}
