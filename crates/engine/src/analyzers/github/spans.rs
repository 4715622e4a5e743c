//! From offsets in a decoded YAML scalar (a `run:` script as the shell sees it) back to byte
//! ranges of the source, so findings inside scripts point at the right line.

use std::ops::Range;

use super::model::Model;

/// Decoded-scalar offset → source offset. Block scalars map line by line; flow scalars add the
/// opening quote.
pub fn map_scalar_offset(m: &Model<'_>, src: &Range<usize>, decoded: &str, off: usize) -> usize {
    let text = m.text(src);
    let mut off = off.min(decoded.len());
    while off > 0 && !decoded.is_char_boundary(off) {
        off -= 1;
    }
    let line_no = decoded[..off].matches('\n').count();
    let col = off - decoded[..off].rfind('\n').map_or(0, |i| i + 1);
    let is_block = text.starts_with('|') || text.starts_with('>');
    let mut lines = text.split_inclusive('\n');
    let mut pos = src.start;
    if is_block {
        // Skip the header line (`|`, `|-`, `>+2` …).
        if let Some(h) = lines.next() {
            pos += h.len();
        }
    }
    let quote = usize::from(!is_block && (text.starts_with('"') || text.starts_with('\'')));
    // Blank lines of the decoded text may be absent from, or indented in, the source.
    for (i, l) in lines.enumerate() {
        if i == line_no {
            let indent = if i == 0 && !is_block {
                quote
            } else {
                l.len() - l.trim_start_matches([' ', '\t']).len()
            };
            return (pos + indent + col)
                .min(pos + l.len())
                .min(src.end.max(src.start));
        }
        pos += l.len();
    }
    src.start
}

/// A command's range in a decoded script → its source range (its first line only).
pub fn map_range(
    m: &Model<'_>,
    src: &Range<usize>,
    decoded: &str,
    r: &Range<usize>,
) -> Range<usize> {
    let s = map_scalar_offset(m, src, decoded, r.start);
    // End: the end of the first line of the command keeps multi-line commands readable.
    let first_line_end = decoded[r.start.min(decoded.len())..r.end.min(decoded.len())]
        .find('\n')
        .map_or(r.end, |i| r.start + i);
    let e = map_scalar_offset(
        m,
        src,
        decoded,
        first_line_end.saturating_sub(1).max(r.start),
    ) + 1;
    s..e.max(s + 1)
}
