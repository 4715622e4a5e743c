//! A small element tree over quick-xml events, with byte spans, and element text unescaped
//! together with a map back to file offsets (entities make the text shorter than the source, so
//! a script inside `<script>` needs the map for findings to point at the right columns).

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use pipeguard_groovy::OffsetMap;

#[derive(Debug, Default)]
pub struct Element {
    /// Element name as written (`hudson.tasks.Shell`).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// From `<` of the start tag to `>` of the end tag.
    pub span: Range<usize>,
    pub children: Vec<Element>,
    /// Direct text content, unescaped (entities, CDATA), concatenated.
    pub text: String,
    /// `text` offsets → file offsets.
    pub text_map: OffsetMap,
    /// File range of the text content (first to last text byte).
    pub text_span: Range<usize>,
}

impl Element {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The last dotted segment of the name (`hudson.tasks.Shell` → `Shell`).
    pub fn short_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// Every descendant (and self), depth first, with its parent's name.
    pub fn walk<'a>(&'a self, parent: &'a str, f: &mut impl FnMut(&'a Element, &'a str)) {
        f(self, parent);
        for c in &self.children {
            c.walk(&self.name, f);
        }
    }

    /// The trimmed text and its file range.
    pub fn trimmed(&self) -> (&str, Range<usize>) {
        let t = self.text.trim();
        if t.is_empty() {
            return ("", self.text_span.start..self.text_span.start);
        }
        let lead = self.text.len() - self.text.trim_start().len();
        let r = lead..lead + t.len();
        (t, self.text_map.map_range(&r))
    }
}

#[derive(Debug)]
pub struct XmlError {
    pub at: usize,
    pub message: String,
}

/// Deepest element nesting accepted (config.xml is untrusted input).
const MAX_DEPTH: usize = 256;

pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader.read_event().map_err(|e| XmlError {
            at: reader.error_position() as usize,
            message: e.to_string(),
        })?;
        let after = reader.buffer_position() as usize;
        match ev {
            Event::Start(s) => {
                if stack.len() > MAX_DEPTH {
                    return Err(XmlError {
                        at: before,
                        message: "elements nested too deeply".into(),
                    });
                }
                stack.push(element(&s, before..after));
            }
            Event::Empty(s) => {
                let el = element(&s, before..after);
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else { break };
                el.span.end = after;
                el.text_map.len = el.text.len();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => {
                        return Err(XmlError {
                            at: before,
                            message: "unbalanced end tag".into(),
                        });
                    }
                }
            }
            Event::Text(t) => {
                push_text(&mut stack, &t, before, true);
            }
            Event::CData(c) => {
                push_text(&mut stack, &c, before + "<![CDATA[".len(), true);
            }
            Event::GeneralRef(r) => {
                let name = r.to_string();
                let resolved = match name.as_str() {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                let Some(c) = resolved else {
                    return Err(XmlError {
                        at: before,
                        message: format!("unknown entity `&{name};`"),
                    });
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]), before, false);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(XmlError {
            at: text.len(),
            message: "unexpected end of file: unclosed element".into(),
        });
    }
    let doc = stack.pop().unwrap_or_default();
    doc.children.into_iter().next().ok_or(XmlError {
        at: 0,
        message: "no root element".into(),
    })
}

fn element(s: &BytesStart<'_>, span: Range<usize>) -> Element {
    let name = s.name().as_ref().to_string();
    let attrs = s
        .attributes()
        .flatten()
        .map(|a| (a.key.as_ref().to_string(), unescape_attr(&a.value)))
        .collect();
    Element {
        name,
        attrs,
        span,
        ..Element::default()
    }
}

fn unescape_attr(v: &str) -> String {
    v.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Append text at file offset `src` to the open element; `exact` runs map byte for byte.
fn push_text(stack: &mut [Element], s: &str, src: usize, exact: bool) {
    let Some(top) = stack.last_mut() else { return };
    if top.text.is_empty() {
        top.text_span = src..src;
    }
    top.text_map.runs.push((top.text.len(), src, exact));
    top.text.push_str(s);
    top.text_span.end = src + if exact { s.len() } else { 1 };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_maps_through_entities() {
        let src = "<a x=\"1\"><s>if (a &lt; b) { sh &quot;x&quot; }</s><e/></a>";
        let root = parse(src).unwrap();
        assert_eq!(root.attr("x"), Some("1"));
        let s = root.child("s").unwrap();
        assert_eq!(s.text, "if (a < b) { sh \"x\" }");
        let at = s.text.find("sh").unwrap();
        assert_eq!(&src[s.text_map.map(at)..s.text_map.map(at) + 2], "sh");
        let q = s.text.rfind('"').unwrap();
        assert_eq!(&src[s.text_map.map(q)..s.text_map.map(q) + 6], "&quot;");
        assert!(root.child("e").is_some());
    }

    #[test]
    fn cdata_and_errors() {
        let src = "<a><![CDATA[x < y]]></a>";
        let root = parse(src).unwrap();
        assert_eq!(root.text, "x < y");
        assert_eq!(&src[root.text_map.map(0)..root.text_map.map(0) + 1], "x");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
    }
}
