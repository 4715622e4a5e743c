//! A fast locator for block-style YAML: routes (keys and indices) to byte ranges by walking lines
//! and indentation, without building a syntax tree. Workflows are almost always block style; for
//! anything this does not understand (flow collections on the path, anchors, aliases, tags,
//! complex keys) it returns `None` and the caller falls back to the full tree-sitter-yaml
//! document (`yamlpath`). Tests check it against `yamlpath` on the fixtures.

use std::ops::Range;

/// A path from the document root: mapping keys and sequence indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A located node: its key (for mapping entries) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Lines of a node's content: the first line may start mid-line (after `- `).
#[derive(Clone, Copy, Debug)]
struct Region {
    first: usize,
    first_col: usize,
    end: usize,
}

pub struct Locator<'t> {
    text: &'t str,
    /// Byte offset of each line start.
    starts: Vec<usize>,
    /// Indentation of each line from column 0 (`None`: blank or comment; `usize::MAX`: tab).
    indents: Vec<Option<usize>>,
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        let mut l = Locator {
            text,
            starts,
            indents: Vec::new(),
        };
        l.indents = (0..l.starts.len()).map(|i| l.indent_from(i, 0)).collect();
        l
    }

    fn line(&self, i: usize) -> &'t str {
        let s = self.starts[i];
        let e = self.starts.get(i + 1).map_or(self.text.len(), |&n| n - 1);
        let l = self.text.get(s..e.max(s)).unwrap_or_default();
        l.strip_suffix('\r').unwrap_or(l)
    }

    /// Column where content starts on line `i` within `r`, None for blank and comment lines.
    fn indent(&self, i: usize, r: &Region) -> Option<usize> {
        if i == r.first && r.first_col > 0 {
            return self.indent_from(i, r.first_col);
        }
        self.indents.get(i).copied().flatten()
    }

    fn indent_from(&self, i: usize, from: usize) -> Option<usize> {
        let l = self.line(i);
        let rest = l.get(from..)?;
        let trimmed = rest.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('\t') {
            return if trimmed.starts_with('\t') {
                Some(usize::MAX)
            } else {
                None
            };
        }
        Some(from + rest.len() - trimmed.len())
    }

    /// Last line of `r` that has content (not blank, not a comment).
    fn last_content(&self, r: &Region) -> Option<usize> {
        (r.first..r.end)
            .rev()
            .find(|&i| self.indent(i, r).is_some())
    }

    pub fn locate(&self, route: &[Seg]) -> Option<Loc> {
        if self.starts.is_empty() || self.text.starts_with('%') {
            return None;
        }
        let mut region = Region {
            first: 0,
            first_col: 0,
            end: self.starts.len(),
        };
        // Skip a leading document marker.
        if self.line(0).trim_end() == "---" {
            region.first = 1;
        }
        let mut loc = None;
        for (n, seg) in route.iter().enumerate() {
            let last = n + 1 == route.len();
            let (l, child) = match seg {
                Seg::Key(k) => self.key(&region, k, last)?,
                Seg::Index(i) => self.index(&region, *i, last)?,
            };
            loc = Some(l);
            match child {
                Some(c) => region = c,
                None if last => {}
                None => return None,
            }
        }
        loc
    }

    fn key(&self, r: &Region, want: &str, last: bool) -> Option<(Loc, Option<Region>)> {
        let first = (r.first..r.end).find(|&i| self.indent(i, r).is_some())?;
        let ind = self.indent(first, r)?;
        let mut i = first;
        while i < r.end {
            let Some(li) = self.indent(i, r) else {
                i += 1;
                continue;
            };
            if li == usize::MAX || li < ind {
                return None;
            }
            if li > ind {
                i += 1;
                continue;
            }
            let line = self.line(i);
            let content = &line[li..];
            if content.starts_with("- ") || content == "-" || content.starts_with('?') {
                return None;
            }
            let (k, klen) = parse_key(content)?;
            if k == want {
                let ks = self.starts[i] + li;
                let after = &content[klen + 1..];
                let vcol = li + klen + 1 + (after.len() - after.trim_start().len());
                let rest = line[vcol..].trim_end();
                let end = self.child_end(i, li, r, rest.is_empty());
                return self
                    .value(i, vcol, rest, li, end, r, last)
                    .map(|(v, child)| {
                        (
                            Loc {
                                key: Some(ks..ks + klen),
                                value: v,
                            },
                            child,
                        )
                    });
            }
            i += 1;
        }
        None
    }

    /// First line after `i` that is no longer part of the node whose key is at indent `ind`.
    fn child_end(&self, i: usize, ind: usize, r: &Region, allow_compact_seq: bool) -> usize {
        let mut j = i + 1;
        while j < r.end {
            match self.indent(j, r) {
                None => {}
                Some(x) if x > ind => {}
                Some(x) if x == ind && allow_compact_seq && self.line(j)[x..].starts_with('-') => {}
                _ => break,
            }
            j += 1;
        }
        j
    }

    /// The value starting at (`line`, `col`) with same-line text `rest`, whose node ends before
    /// line `end`. Returns its range and, for collections, the region of its content.
    #[allow(clippy::too_many_arguments)]
    fn value(
        &self,
        line: usize,
        col: usize,
        rest: &str,
        _ind: usize,
        end: usize,
        r: &Region,
        last: bool,
    ) -> Option<(Range<usize>, Option<Region>)> {
        let vstart = self.starts[line] + col;
        let child = Region {
            first: line + 1,
            first_col: 0,
            end,
        };
        let tail_end = |from_line: usize| -> usize {
            match self.last_content(&Region {
                first: from_line,
                first_col: 0,
                end,
            }) {
                Some(l) => self.starts[l] + self.line(l).len(),
                None => {
                    self.starts[from_line.min(self.starts.len() - 1)]
                        + self.line(from_line.min(self.starts.len() - 1)).len()
                }
            }
        };
        let _ = r;
        if rest.is_empty() {
            // A nested collection (or null).
            let Some(first) = (line + 1..end).find(|&i| self.indent(i, &child).is_some()) else {
                let ks = self.starts[line];
                return Some((ks..ks + self.line(line).trim_end().len(), None));
            };
            let s = self.starts[first] + self.indent(first, &child)?;
            return Some((
                s..tail_end(line + 1),
                Some(Region {
                    first,
                    first_col: 0,
                    end,
                }),
            ));
        }
        let c = rest.as_bytes()[0];
        match c {
            b'&' | b'*' | b'!' => None,
            b'|' | b'>' => Some((vstart..tail_end(line).max(vstart + rest.len()), None)),
            b'{' | b'[' => {
                // Flow collection: only as a leaf on one line.
                if !last
                    || end > line + 1 && (line + 1..end).any(|i| self.indent(i, &child).is_some())
                {
                    return None;
                }
                Some((vstart..vstart + strip_comment(rest).len(), None))
            }
            _ => {
                let one = strip_comment(rest);
                let multi = (line + 1..end).any(|i| self.indent(i, &child).is_some());
                let e = if multi {
                    tail_end(line)
                } else {
                    vstart + one.len()
                };
                Some((vstart..e, None))
            }
        }
    }

    fn index(&self, r: &Region, want: usize, last: bool) -> Option<(Loc, Option<Region>)> {
        let first = (r.first..r.end).find(|&i| self.indent(i, r).is_some())?;
        let ind = self.indent(first, r)?;
        let mut items = Vec::new();
        for i in first..r.end {
            match self.indent(i, r) {
                Some(x) if x == ind => {
                    let l = self.line(i);
                    let c = &l[x..];
                    if !(c.starts_with("- ") || c == "-") {
                        return None;
                    }
                    items.push(i);
                }
                Some(x) if x < ind => return None,
                _ => {}
            }
        }
        let &line = items.get(want)?;
        let end = items.get(want + 1).copied().unwrap_or(r.end);
        let l = self.line(line);
        let after = &l[ind + 1..];
        let col = ind + 1 + (after.len() - after.trim_start().len());
        let rest = l[col..].trim_end();
        if rest.is_empty() {
            let (v, child) = self.value(line, col, rest, ind, end, r, last)?;
            return Some((
                Loc {
                    key: None,
                    value: v,
                },
                child,
            ));
        }
        let item = Region {
            first: line,
            first_col: col,
            end,
        };
        let vend = match self.last_content(&item) {
            Some(x) => self.starts[x] + self.line(x).len(),
            None => self.starts[line] + l.len(),
        };
        let vstart = self.starts[line] + col;
        let c = rest.as_bytes()[0];
        if matches!(
            c,
            b'&' | b'*' | b'!' | b'{' | b'[' | b'|' | b'>' | b'"' | b'\''
        ) && !last
        {
            return None;
        }
        let is_map = parse_key(rest).is_some();
        let v = if is_map || c == b'|' || c == b'>' {
            vstart..vend
        } else {
            vstart..vstart + strip_comment(rest).len()
        };
        Some((
            Loc {
                key: None,
                value: v,
            },
            is_map.then_some(item),
        ))
    }
}

/// `key:` at the start of `content`: the key (quotes removed) and the length of its text.
fn parse_key(content: &str) -> Option<(String, usize)> {
    let b = content.as_bytes();
    if b.first() == Some(&b'"') || b.first() == Some(&b'\'') {
        let q = b[0];
        let close = content[1..].find(q as char)? + 1;
        if content.as_bytes().get(close + 1) != Some(&b':') {
            return None;
        }
        let after = content.get(close + 2..).unwrap_or("");
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return Some((content[1..close].to_string(), close + 1));
    }
    if matches!(
        b.first(),
        Some(b'{' | b'[' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`')
    ) {
        return None;
    }
    let mut i = 0;
    while let Some(p) = content[i..].find(':') {
        let at = i + p;
        let next = content.as_bytes().get(at + 1);
        if next.is_none() || next == Some(&b' ') {
            let k = &content[..at];
            if k.contains(" #") {
                return None;
            }
            return Some((k.trim_end().to_string(), at));
        }
        i = at + 1;
    }
    None
}

/// A plain scalar without its trailing ` # comment` (quoted scalars are kept whole).
fn strip_comment(rest: &str) -> &str {
    let b = rest.as_bytes();
    if b.first() == Some(&b'"') || b.first() == Some(&b'\'') {
        return rest;
    }
    match rest.find(" #") {
        Some(i) => rest[..i].trim_end(),
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn block_style_routes() {
        let t = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest # hosted\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.sha }}\n      - name: x\n        run: |\n          echo a\n          echo b\n\n  b:\n    steps:\n    - run: echo c\n";
        let l = Locator::new(t);
        let v = |r: &[Seg]| l.locate(r).map(|x| t[x.value].to_string());
        assert_eq!(v(&[k("on")]).as_deref(), Some("push"));
        assert_eq!(
            v(&[k("jobs"), k("a"), k("runs-on")]).as_deref(),
            Some("ubuntu-latest")
        );
        assert_eq!(
            v(&[k("jobs"), k("a"), k("steps"), Seg::Index(0), k("uses")]).as_deref(),
            Some("actions/checkout@v4")
        );
        assert_eq!(
            v(&[
                k("jobs"),
                k("a"),
                k("steps"),
                Seg::Index(0),
                k("with"),
                k("ref")
            ])
            .as_deref(),
            Some("${{ github.sha }}")
        );
        assert_eq!(
            v(&[k("jobs"), k("a"), k("steps"), Seg::Index(1), k("run")]).as_deref(),
            Some("|\n          echo a\n          echo b")
        );
        assert_eq!(
            v(&[k("jobs"), k("b"), k("steps"), Seg::Index(0), k("run")]).as_deref(),
            Some("echo c")
        );
        assert!(l.locate(&[k("jobs"), k("c")]).is_none());
        let key = l
            .locate(&[k("jobs"), k("a")])
            .and_then(|x| x.key)
            .map(|r| &t[r]);
        assert_eq!(key, Some("a"));
    }
}
