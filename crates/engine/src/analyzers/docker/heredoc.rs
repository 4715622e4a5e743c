//! Here-documents that do not start a `RUN` (`RUN cat <<EOF > /etc/app.conf`, `RUN python3 <<PY`).
//! `parse-dockerfile` only understands `RUN <<EOF`; for the others this pre-pass blanks the
//! bodies (same length, newlines kept) so the instructions parse, and remembers where the bodies
//! are so `RUN` analysis can still read them.

use std::ops::Range;

/// A body blanked by the pre-pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// Byte offset of the end of the instruction line that opened it.
    pub opened_at: usize,
    /// The body, without the delimiter line.
    pub span: Range<usize>,
}

/// Text with non-leading `RUN` here-document bodies blanked, and those bodies.
pub fn blank(text: &str) -> (String, Vec<Body>) {
    // Fast path: no here-documents at all.
    if !text.contains("<<") {
        return (text.to_string(), Vec::new());
    }
    let escape = escape_char(text);
    let mut out = text.as_bytes().to_vec();
    let mut bodies = Vec::new();
    let lines = line_ranges(text);
    let mut i = 0;
    let mut continued = false;
    while i < lines.len() {
        let line = &text[lines[i].clone()];
        let trimmed = line.trim();
        if continued || trimmed.is_empty() || trimmed.starts_with('#') {
            continued = continued && !trimmed.is_empty() || ends_with_escape(line, escape);
            i += 1;
            continue;
        }
        let is_run = trimmed
            .split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("run"));
        // Collect the logical line (continuations).
        let mut logical = String::from(line);
        let mut j = i;
        while ends_with_escape(&text[lines[j].clone()], escape) && j + 1 < lines.len() {
            j += 1;
            logical.push('\n');
            logical.push_str(&text[lines[j].clone()]);
        }
        i = j + 1;
        continued = false;
        if !is_run {
            continue;
        }
        let args = run_arguments(&logical);
        let delims = delimiters(args);
        if delims.is_empty() {
            continue;
        }
        // `RUN <<EOF` (first) is parsed by parse-dockerfile itself; skip its bodies here.
        let leading = args.trim_start().starts_with("<<");
        let opened_at = lines[j].end;
        for (delim, strip_tabs) in delims {
            let start = lines.get(i).map_or(text.len(), |r| r.start);
            let mut k = i;
            while k < lines.len() {
                let l = &text[lines[k].clone()];
                let l = l.strip_suffix('\r').unwrap_or(l);
                let l = if strip_tabs {
                    l.trim_start_matches('\t')
                } else {
                    l
                };
                if l == delim {
                    break;
                }
                k += 1;
            }
            if k >= lines.len() {
                // Unterminated: leave it to the parser to report.
                return (text.to_string(), Vec::new());
            }
            let end = lines[k].start;
            if !leading {
                for b in &mut out[start..lines[k].end] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
                bodies.push(Body {
                    opened_at,
                    span: start..end.saturating_sub(1).max(start),
                });
            }
            i = k + 1;
        }
    }
    // Only ASCII bytes were replaced, and whole lines at a time.
    let blanked = String::from_utf8(out).unwrap_or_else(|_| text.to_string());
    (blanked, bodies)
}

fn escape_char(text: &str) -> char {
    for line in text.lines() {
        let t = line.trim();
        let Some(directive) = t.strip_prefix('#') else {
            break;
        };
        let d = directive.trim().to_ascii_lowercase();
        if let Some(v) = d.strip_prefix("escape")
            && v.trim_start()
                .strip_prefix('=')
                .is_some_and(|v| v.trim() == "`")
        {
            return '`';
        }
    }
    '\\'
}

fn ends_with_escape(line: &str, escape: char) -> bool {
    let t = line.trim_end();
    !t.trim_start().starts_with('#') && t.ends_with(escape)
}

fn line_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            out.push(start..i);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// The text after `RUN` and its `--flags`.
fn run_arguments(logical: &str) -> &str {
    let mut rest = logical.trim_start();
    rest = rest.get(3..).unwrap_or_default();
    loop {
        let t = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
        if t.starts_with("--") {
            let end = t.find(char::is_whitespace).unwrap_or(t.len());
            rest = &t[end..];
        } else {
            return t;
        }
    }
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` markers outside quotes, in order; `<<<` (here
/// strings) excluded.
#[allow(clippy::many_single_char_names)] // byte scanner: i/j positions, b bytes, c/q chars
fn delimiters(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let b = args.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                i += 1;
                continue;
            }
            None if c == b'\'' || c == b'"' => {
                quote = Some(c);
                i += 1;
                continue;
            }
            None => {}
        }
        if c == b'<' && b.get(i + 1) == Some(&b'<') && b.get(i + 2) == Some(&b'<') {
            i += 3;
            continue;
        }
        if c == b'<' && b.get(i + 1) == Some(&b'<') {
            let mut j = i + 2;
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            while b.get(j) == Some(&b' ') {
                j += 1;
            }
            let q = b.get(j).copied().filter(|c| *c == b'\'' || *c == b'"');
            if q.is_some() {
                j += 1;
            }
            let s = j;
            while b.get(j).is_some_and(|c| {
                c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-' || *c == b'.'
            }) {
                j += 1;
            }
            if j > s {
                out.push((args[s..j].to_string(), strip));
            }
            if q.is_some() && b.get(j) == q.as_ref() {
                j += 1;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_non_leading_bodies() {
        let src = "FROM alpine\nRUN cat <<EOF > /etc/x\nkey = value\nEOF\nRUN <<EOF\necho hi\nEOF\nRUN python3 <<'PY'\nprint(1)\nPY\nUSER 1\n";
        let (text, bodies) = blank(src);
        assert_eq!(text.len(), src.len());
        assert_eq!(bodies.len(), 2);
        assert_eq!(&src[bodies[0].span.clone()], "key = value");
        assert_eq!(&src[bodies[1].span.clone()], "print(1)");
        assert!(text.contains("RUN <<EOF\necho hi\nEOF"));
        assert!(!text.contains("key = value"));
        assert!(parse_dockerfile::parse(&text).is_ok());
    }

    #[test]
    fn markers() {
        assert_eq!(
            delimiters("cat <<-'A' x <<B <<<\"str\" '<<NOT'"),
            [("A".to_string(), true), ("B".to_string(), false)]
        );
        assert!(blank("FROM a\nRUN cat <<EOF\nno end\n").1.is_empty());
    }
}
