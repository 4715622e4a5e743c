//! `ARG` and `ENV` definitions with spans: `KEY=value …` pairs (values quoted or not, line
//! continuations allowed) and the legacy `ENV KEY value` form.

use std::ops::Range;

/// One variable defined by an `ARG` or `ENV` instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    pub name_span: Range<usize>,
    /// Value with quotes and escapes removed; `None` for `ARG NAME` without a default.
    pub value: Option<String>,
    /// Span of the value as written (empty at the end of the name when there is none).
    pub value_span: Range<usize>,
}

/// Parse the arguments of an `ARG` (`is_env == false`) or `ENV` instruction. `raw` is the source
/// text of the arguments, starting at byte `base` of the file; `escape` is the escape character.
pub fn parse(raw: &str, base: usize, escape: char, is_env: bool) -> Vec<Var> {
    let tokens = tokens(raw, escape);
    let mut out = Vec::new();
    let Some(first) = tokens.first() else {
        return out;
    };
    // Legacy `ENV KEY some value`: the first token has no `=`, the rest of the line is the value.
    if is_env && !raw[first.clone()].contains('=') {
        let name = raw[first.clone()].to_string();
        let value_span = tokens
            .get(1)
            .map_or(first.end..first.end, |t| t.start..raw.trim_end().len());
        let value = unquote(&raw[value_span.clone()], escape);
        out.push(Var {
            name,
            name_span: base + first.start..base + first.end,
            value: Some(value),
            value_span: base + value_span.start..base + value_span.end,
        });
        return out;
    }
    for t in tokens {
        let text = &raw[t.clone()];
        match text.find('=') {
            Some(eq) => out.push(Var {
                name: text[..eq].to_string(),
                name_span: base + t.start..base + t.start + eq,
                value: Some(unquote(&text[eq + 1..], escape)),
                value_span: base + t.start + eq + 1..base + t.end,
            }),
            None => out.push(Var {
                name: text.to_string(),
                name_span: base + t.start..base + t.end,
                value: None,
                value_span: base + t.end..base + t.end,
            }),
        }
    }
    out
}

/// Whitespace-separated tokens; quotes group, the escape character escapes, and an escape at
/// the end of a line (a continuation) is whitespace.
fn tokens(raw: &str, escape: char) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == escape && q == '"' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == escape {
            let continuation = raw[i + c.len_utf8()..]
                .chars()
                .take_while(|&n| n != '\n')
                .all(char::is_whitespace);
            if continuation {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
                // Skip to the end of the line.
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
                continue;
            }
            start.get_or_insert(i);
            chars.next();
            continue;
        }
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            continue;
        }
        start.get_or_insert(i);
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
    }
    if let Some(s) = start {
        out.push(s..raw.len());
    }
    out
}

/// Remove quotes and escapes the way the Dockerfile frontend does for ARG/ENV values.
pub fn unquote(s: &str, escape: char) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(q) if c == escape && q == '"' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == escape => match chars.next() {
                Some('\n') | None => {}
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                }
                Some(n) => out.push(n),
            },
            Some(_) | None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &str, env: bool) -> Vec<(String, Option<String>, String)> {
        parse(raw, 0, '\\', env)
            .into_iter()
            .map(|v| {
                let span = raw[v.value_span.clone()].to_string();
                (v.name, v.value, span)
            })
            .collect()
    }

    #[test]
    fn key_value_pairs() {
        assert_eq!(
            pairs("A=1 B=\"two words\" \\\n    C='x y'", true),
            [
                ("A".into(), Some("1".into()), "1".into()),
                ("B".into(), Some("two words".into()), "\"two words\"".into()),
                ("C".into(), Some("x y".into()), "'x y'".into()),
            ]
        );
        assert_eq!(
            pairs("TOKEN", false),
            [("TOKEN".into(), None, String::new())]
        );
        assert_eq!(
            pairs("A=a\\ b", false),
            [("A".into(), Some("a b".into()), "a\\ b".into())]
        );
    }

    #[test]
    fn legacy_env() {
        assert_eq!(
            pairs("PASSWORD hunter2 and more", true),
            [(
                "PASSWORD".into(),
                Some("hunter2 and more".into()),
                "hunter2 and more".into()
            )]
        );
        let v = parse("X=1", 10, '`', true);
        assert_eq!(v[0].name_span, 10..11);
        assert_eq!(v[0].value_span, 12..13);
    }
}
