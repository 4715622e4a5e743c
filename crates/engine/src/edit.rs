//! Text edits for `pipeguard fix`: analyzers propose [`Proposal`]s (byte-range replacements of
//! the file's own text, never a re-serialisation, so comments and layout stay as they were) and
//! the fix pipeline ([`crate::fix`]) applies, re-scans and reports them.

use std::ops::Range;

/// Replace `range` of the original text with `text` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            text: text.into(),
        }
    }
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
        }
    }
}

/// A repair of one or more findings of one file.
#[derive(Clone, Debug)]
pub struct Fix {
    pub rule_id: String,
    /// Fingerprints of the findings this fix removes (checked by the re-scan).
    pub targets: Vec<String>,
    /// 1-based line of the (first) finding, for the listing.
    pub line: u32,
    /// What the fix does, one line.
    pub title: String,
    pub edits: Vec<Edit>,
}

/// What an analyzer proposes for a finding: a fix, or why it cannot fix it safely.
#[derive(Clone, Debug)]
pub enum Proposal {
    Fix(Fix),
    Unsafe {
        rule_id: String,
        fingerprint: String,
        line: u32,
        reason: String,
    },
}

/// Apply non-overlapping edits to `text`; `None` when two edits overlap or a range is not on
/// character boundaries of the text.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in sorted {
        if e.range.start < at || e.range.end < e.range.start {
            return None;
        }
        out.push_str(text.get(at..e.range.start)?);
        out.push_str(&e.text);
        at = e.range.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// The indentation (leading spaces) of the line that contains `offset`.
pub fn indent_of_line(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches(' ').len();
    &line[..n]
}

/// Byte offset of the start of the line containing `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Byte offset just past the end of the line containing `offset` (after its `\n`, or the end).
pub fn next_line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The newline the file uses (`\r\n` when its first line ends so).
pub fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_sorted_and_rejects_overlaps() {
        let t = "abcdef";
        assert_eq!(
            apply(t, &[Edit::insert(6, "!"), Edit::replace(1..3, "X")]).as_deref(),
            Some("aXdef!")
        );
        assert_eq!(
            apply(t, &[Edit::replace(1..4, "X"), Edit::replace(2..5, "Y")]),
            None
        );
        assert_eq!(line_start("ab\ncd", 4), 3);
        assert_eq!(next_line_start("ab\ncd", 1), 3);
        assert_eq!(next_line_start("ab\ncd", 4), 5);
        assert_eq!(indent_of_line("x\n    y: 1\n", 8), "    ");
    }
}
