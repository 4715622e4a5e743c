//! Multi-document YAML with byte spans, built on tree-sitter-yaml (already compiled for
//! yamlpath). serde's YAML values carry no positions; rules need the line of every key.
//!
//! Scalars are decoded (quotes, escapes, folding), anchors and aliases resolved (with a budget
//! against alias bombs), `<<` merge keys applied. Invalid YAML is an error at the first
//! position tree-sitter could not parse.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use tree_sitter::{Node as TsNode, Parser};

/// How a scalar was written: `true` unquoted is a boolean, `"true"` is a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Scalar(String, Style),
    Map(Vec<Entry>),
    Seq(Vec<Node>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Entry {
    /// `key: value` as one range (the value's span may be empty for `key:`).
    pub fn span(&self) -> Range<usize> {
        self.key_span.start..self.value.span.end.max(self.key_span.end)
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// A boolean; quoted `"true"` counts too, as the API server would reject it anyway and the
    /// author's intent is plain.
    pub fn as_bool(&self) -> Option<bool> {
        crate::analyzers::common::container::switch(self.as_str()?)
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_str()?.trim().parse().ok()
    }

    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::Scalar(s, Style::Plain) => matches!(s.as_str(), "" | "~" | "null" | "Null"),
            _ => false,
        }
    }
}

/// One `---`-separated document: its top node (None for an empty document).
#[derive(Debug)]
pub struct Document {
    pub span: Range<usize>,
    pub root: Option<Node>,
}

#[derive(Debug)]
pub struct Error {
    pub at: usize,
    pub message: String,
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;
/// Nodes materialised through aliases, per file (a "billion laughs" document stops here).
const ALIAS_BUDGET: usize = 200_000;

pub fn parse(text: &str) -> Result<Vec<Document>, Error> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_yaml::LANGUAGE.into())
        .map_err(|e| Error {
            at: 0,
            message: format!("YAML grammar unavailable: {e}"),
        })?;
    let tree = parser.parse(text, None).ok_or_else(|| Error {
        at: 0,
        message: "the YAML parser gave up".into(),
    })?;
    let root = tree.root_node();
    if root.has_error() {
        let at = first_error(root).unwrap_or(0);
        // libyaml's message is more helpful than "syntax error" when it also rejects the text.
        let message = serde_yaml::Deserializer::from_str(text)
            .find_map(|d| {
                serde_yaml::Value::deserialize(d)
                    .err()
                    .map(|e| e.to_string())
            })
            .unwrap_or_else(|| "invalid YAML syntax".to_string());
        return Err(Error { at, message });
    }
    let mut b = Builder {
        text,
        anchors: HashMap::new(),
        budget: ALIAS_BUDGET,
    };
    let mut docs = Vec::new();
    let mut cursor = root.walk();
    for doc in root.named_children(&mut cursor) {
        if doc.kind() != "document" {
            continue;
        }
        b.anchors.clear();
        let mut c2 = doc.walk();
        let top = doc
            .named_children(&mut c2)
            .find(|n| matches!(n.kind(), "block_node" | "flow_node"));
        let root = match top {
            Some(n) => Some(b.node(n, 0)?),
            None => None,
        };
        docs.push(Document {
            span: doc.byte_range(),
            root,
        });
    }
    Ok(docs)
}

fn first_error(node: TsNode<'_>) -> Option<usize> {
    if node.is_error() || node.is_missing() {
        return Some(node.start_byte());
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.has_error() {
            return first_error(child).or(Some(child.start_byte()));
        }
    }
    None
}

struct Builder<'t> {
    text: &'t str,
    anchors: HashMap<String, Node>,
    budget: usize,
}

fn too_deep(at: usize) -> Error {
    Error {
        at,
        message: format!("YAML nested more than {MAX_DEPTH} levels deep"),
    }
}

fn count(n: &Node) -> usize {
    match &n.value {
        Value::Map(es) => 1 + es.iter().map(|e| count(&e.value)).sum::<usize>(),
        Value::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        _ => 1,
    }
}

impl Builder<'_> {
    fn src(&self, n: TsNode<'_>) -> &str {
        self.text.get(n.byte_range()).unwrap_or_default()
    }

    /// A `block_node` / `flow_node` (or a bare content node).
    fn node(&mut self, n: TsNode<'_>, depth: usize) -> Result<Node, Error> {
        if depth > MAX_DEPTH {
            return Err(too_deep(n.start_byte()));
        }
        if !matches!(n.kind(), "block_node" | "flow_node") {
            return self.content(n, depth);
        }
        let mut anchor = None;
        let mut content = None;
        let mut cursor = n.walk();
        for child in n.named_children(&mut cursor) {
            match child.kind() {
                "anchor" => {
                    anchor = Some(self.src(child).trim_start_matches('&').to_string());
                }
                "tag" | "comment" => {}
                _ => content = Some(child),
            }
        }
        let node = match content {
            Some(c) => self.content(c, depth)?,
            None => Node {
                span: n.end_byte()..n.end_byte(),
                value: Value::Null,
            },
        };
        if let Some(name) = anchor {
            self.anchors.insert(name, node.clone());
        }
        Ok(node)
    }

    fn content(&mut self, n: TsNode<'_>, depth: usize) -> Result<Node, Error> {
        let span = n.byte_range();
        let value = match n.kind() {
            "plain_scalar" => Value::Scalar(fold_plain(self.src(n)), Style::Plain),
            "single_quote_scalar" => Value::Scalar(single_quoted(self.src(n)), Style::Quoted),
            "double_quote_scalar" => Value::Scalar(double_quoted(self.src(n)), Style::Quoted),
            "block_scalar" => Value::Scalar(block_scalar(self.src(n)), Style::Block),
            "alias" => {
                let name = self.src(n).trim_start_matches('*');
                match self.anchors.get(name) {
                    Some(target) => {
                        let size = count(target);
                        if size > self.budget {
                            return Err(Error {
                                at: span.start,
                                message: "too many alias expansions (alias bomb?)".into(),
                            });
                        }
                        self.budget -= size;
                        let mut node = target.clone();
                        node.span = span;
                        return Ok(node);
                    }
                    None => {
                        return Err(Error {
                            at: span.start,
                            message: format!("unknown alias `*{name}`"),
                        });
                    }
                }
            }
            "block_mapping" | "flow_mapping" => {
                let mut entries: Vec<Entry> = Vec::new();
                let mut merges: Vec<Node> = Vec::new();
                let mut cursor = n.walk();
                for pair in n.named_children(&mut cursor) {
                    let (key, value) = match pair.kind() {
                        "block_mapping_pair" | "flow_pair" => (
                            pair.child_by_field_name("key"),
                            pair.child_by_field_name("value"),
                        ),
                        "flow_node" => (Some(pair), None),
                        _ => continue,
                    };
                    let (key_text, key_span) = match key {
                        Some(k) => {
                            let kn = self.node(k, depth + 1)?;
                            (scalar_text(&kn), k.byte_range())
                        }
                        None => (String::new(), pair.start_byte()..pair.start_byte()),
                    };
                    let value = match value {
                        Some(v) => self.node(v, depth + 1)?,
                        None => Node {
                            span: pair.end_byte()..pair.end_byte(),
                            value: Value::Null,
                        },
                    };
                    if key_text == "<<" {
                        merges.push(value);
                        continue;
                    }
                    entries.push(Entry {
                        key: key_text,
                        key_span,
                        value,
                    });
                }
                // Merge keys: explicit keys win, earlier merged maps win over later ones.
                for m in merges {
                    let sources: Vec<&Node> = match &m.value {
                        Value::Seq(items) => items.iter().collect(),
                        _ => vec![&m],
                    };
                    for src in sources {
                        for e in src.entries() {
                            if !entries.iter().any(|x| x.key == e.key) {
                                entries.push(e.clone());
                            }
                        }
                    }
                }
                Value::Map(entries)
            }
            "block_sequence" | "flow_sequence" => {
                let mut items = Vec::new();
                let mut cursor = n.walk();
                for item in n.named_children(&mut cursor) {
                    match item.kind() {
                        "block_sequence_item" => {
                            let mut c2 = item.walk();
                            let inner = item
                                .named_children(&mut c2)
                                .find(|c| matches!(c.kind(), "block_node" | "flow_node"));
                            items.push(match inner {
                                Some(i) => self.node(i, depth + 1)?,
                                None => Node {
                                    span: item.end_byte()..item.end_byte(),
                                    value: Value::Null,
                                },
                            });
                        }
                        "flow_node" => items.push(self.node(item, depth + 1)?),
                        "flow_pair" => {
                            // `[a: b]` is a one-entry mapping.
                            let node = self.content_pair_as_map(item, depth + 1)?;
                            items.push(node);
                        }
                        _ => {}
                    }
                }
                Value::Seq(items)
            }
            _ => Value::Null,
        };
        Ok(Node { span, value })
    }

    fn content_pair_as_map(&mut self, pair: TsNode<'_>, depth: usize) -> Result<Node, Error> {
        let key = pair.child_by_field_name("key");
        let value = pair.child_by_field_name("value");
        let (key, key_span) = match key {
            Some(k) => (scalar_text(&self.node(k, depth)?), k.byte_range()),
            None => (String::new(), pair.start_byte()..pair.start_byte()),
        };
        let value = match value {
            Some(v) => self.node(v, depth)?,
            None => Node {
                span: pair.end_byte()..pair.end_byte(),
                value: Value::Null,
            },
        };
        Ok(Node {
            span: pair.byte_range(),
            value: Value::Map(vec![Entry {
                key,
                key_span,
                value,
            }]),
        })
    }
}

fn scalar_text(n: &Node) -> String {
    match &n.value {
        Value::Scalar(s, _) => s.clone(),
        _ => String::new(),
    }
}

/// Multi-line plain scalars fold: each line break becomes a space, blank lines newlines.
fn fold_plain(s: &str) -> String {
    if !s.contains('\n') {
        return s.trim().to_string();
    }
    fold_lines(s.lines().map(str::trim))
}

fn fold_lines<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    for line in lines {
        if line.is_empty() {
            out.push('\n');
            pending_space = false;
            continue;
        }
        if pending_space {
            out.push(' ');
        }
        out.push_str(line);
        pending_space = true;
    }
    out
}

fn strip_quotes(s: &str, q: char) -> &str {
    let s = s.strip_prefix(q).unwrap_or(s);
    s.strip_suffix(q).unwrap_or(s)
}

fn single_quoted(s: &str) -> String {
    let inner = strip_quotes(s, '\'').replace("''", "'");
    if inner.contains('\n') {
        fold_lines(inner.lines().map(str::trim))
    } else {
        inner
    }
}

fn double_quoted(s: &str) -> String {
    let inner = strip_quotes(s, '"');
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            // Line folding: trailing/leading whitespace around the break collapses to a space.
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            out.push(' ');
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let h: String = chars.by_ref().take(n).collect();
            u32::from_str_radix(&h, 16).ok().and_then(char::from_u32)
        };
        match e {
            'n' => out.push('\n'),
            't' | '\t' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'e' => out.push('\u{1b}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            ' ' => out.push(' '),
            'N' => out.push('\u{85}'),
            '_' => out.push('\u{a0}'),
            'L' => out.push('\u{2028}'),
            'P' => out.push('\u{2029}'),
            'x' => out.extend(hex(2, &mut chars)),
            'u' => out.extend(hex(4, &mut chars)),
            'U' => out.extend(hex(8, &mut chars)),
            '\n' => {
                while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                    chars.next();
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `|` / `>` block scalars: drop the header, strip the content's indentation; literal keeps
/// line breaks, folded joins lines with spaces. Trailing breaks are clipped to none (values are
/// compared, not re-emitted).
fn block_scalar(s: &str) -> String {
    let mut lines = s.lines();
    let header = lines.next().unwrap_or_default();
    let folded = header.trim_start().starts_with('>');
    let body: Vec<&str> = lines.collect();
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let stripped = body.iter().map(|l| l.get(indent..).unwrap_or_default());
    let text = if folded {
        fold_lines(stripped.map(str::trim_end))
    } else {
        stripped.collect::<Vec<_>>().join("\n")
    };
    text.trim_end_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse(text).unwrap().remove(0).root.unwrap()
    }

    #[test]
    fn multi_document_with_spans() {
        let text = "a: 1\n---\nkind: Pod\nspec:\n  x: [1, \"two\"]\n";
        let docs = parse(text).unwrap();
        assert_eq!(docs.len(), 2);
        let kind = docs[1].root.as_ref().unwrap().entry("kind").unwrap();
        assert_eq!(&text[kind.key_span.clone()], "kind");
        assert_eq!(kind.value.as_str(), Some("Pod"));
        let x = docs[1].root.as_ref().unwrap().path(&["spec", "x"]).unwrap();
        assert_eq!(x.items()[1].as_str(), Some("two"));
        assert_eq!(&text[x.items()[1].span.clone()], "\"two\"");
    }

    #[test]
    fn scalars_decode() {
        let n = one(
            "a: 'it''s'\nb: \"x\\ty\\u0041\"\nc: |\n  l1\n  l2\nd: >\n  f1\n  f2\ne: plain\n  folded\n",
        );
        assert_eq!(n.get("a").unwrap().as_str(), Some("it's"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("x\tyA"));
        assert_eq!(n.get("c").unwrap().as_str(), Some("l1\nl2"));
        assert_eq!(n.get("d").unwrap().as_str(), Some("f1 f2"));
        assert_eq!(n.get("e").unwrap().as_str(), Some("plain folded"));
    }

    #[test]
    fn anchors_aliases_and_merges() {
        let n = one("base: &b {x: 1, y: 2}\nuse: *b\nm:\n  <<: *b\n  y: 3\n");
        assert_eq!(n.path(&["use", "x"]).unwrap().as_str(), Some("1"));
        assert_eq!(n.path(&["m", "x"]).unwrap().as_str(), Some("1"));
        assert_eq!(n.path(&["m", "y"]).unwrap().as_str(), Some("3"));
    }

    #[test]
    fn errors_have_positions_and_bombs_stop() {
        assert!(parse("a: [1, 2\nb: {").is_err());
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='l' {
            bomb.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        assert!(parse(&bomb).is_err());
    }
}
