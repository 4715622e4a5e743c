//! Encoded candidates: runs of base64 (standard and URL-safe), hex and percent-encoding that
//! decode to text. The scanner decodes each in place (the rest of its line kept, so that a key
//! name before an encoded value still gives a generic rule its context) and runs the rules over
//! the result; a match inside the decoded part is reported at the encoded text, its kind and the
//! decoding named.
//!
//! Bounded: segments are looked for only in the lines being scanned, at most [`MAX_SEGMENTS`]
//! per file and [`MAX_SEGMENT`] bytes each, and only a prefix is decoded before the printable
//! check throws binary (hashes, images, DER) away. Nesting is bounded by the configured depth.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// How a candidate is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Base64,
    Base64Url,
    Hex,
    Percent,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Base64Url => "base64url",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
        }
    }
}

/// Shortest base64 run that is decoded (12 bytes of text).
const MIN_BASE64: usize = 16;
/// Shortest hex run (16 bytes of text).
const MIN_HEX: usize = 32;
/// Longest run decoded (longer ones are data: images, archives, binaries).
pub const MAX_SEGMENT: usize = 256 * 1024;
/// Candidates looked at per scanned range.
pub const MAX_SEGMENTS: usize = 20_000;

/// A candidate: where it is and how it is encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub range: Range<usize>,
    pub encoding: Encoding,
}

/// Character classes of [`segments`]' scan, one table lookup per byte.
const B64: u8 = 1;
const HEX: u8 = 2;
const STD: u8 = 4;
const URL: u8 = 8;
const PCT: u8 = 16;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_hexdigit() {
            B64 | HEX
        } else if c.is_ascii_alphanumeric() {
            B64
        } else if c == b'+' || c == b'/' {
            B64 | STD
        } else if c == b'-' || c == b'_' {
            B64 | URL
        } else if c == b'%' {
            PCT
        } else {
            0
        };
        b += 1;
    }
    t
};

fn is_b64(b: u8) -> bool {
    CLASS[b as usize] & B64 != 0
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A percent escape `%XX` at `i`.
fn escape_at(text: &[u8], i: usize) -> bool {
    text.get(i) == Some(&b'%')
        && text.get(i + 1).copied().and_then(hex_val).is_some()
        && text.get(i + 2).copied().and_then(hex_val).is_some()
}

/// Bytes that end a percent-encoded run (whitespace and quotes).
fn ends_percent(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>')
}

/// The end of the percent-encoded run whose first escape is at `i`: just after its last
/// escape before whitespace or a quote.
fn percent_run_end(text: &[u8], i: usize, end: usize) -> usize {
    let mut j = i;
    let mut last = i + 3;
    while j < end && !ends_percent(text[j]) {
        if escape_at(text, j) {
            last = j + 3;
            j += 3;
        } else {
            j += 1;
        }
    }
    last.min(end)
}

/// Encoded candidates in `text[range]`, in order, non-overlapping.
pub fn segments(text: &[u8], range: Range<usize>) -> Vec<Segment> {
    let mut out = Vec::new();
    let end = range.end.min(text.len());
    let mut i = range.start.min(end);
    while i < end && out.len() < MAX_SEGMENTS {
        // Most bytes start nothing: skip them with one lookup each.
        if CLASS[text[i] as usize] & (B64 | PCT) == 0 {
            i += 1;
            continue;
        }
        let b = text[i];
        if b == b'%' && escape_at(text, i) {
            // From the first escape to the last one of the run (gitleaks' reading).
            let last = percent_run_end(text, i, end);
            out.push(Segment {
                range: i..last,
                encoding: Encoding::Percent,
            });
            i = last;
            continue;
        }
        if !is_b64(b) || (i > 0 && is_b64(text[i - 1]) && i != range.start) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        // Which classes the run holds (any: `or`; all: `and`).
        let (mut or, mut and) = (0u8, 0xffu8);
        while j < end {
            let c = CLASS[text[j] as usize];
            if c & B64 == 0 {
                break;
            }
            or |= c;
            and &= c;
            j += 1;
        }
        let (std_chars, url_chars, all_hex) = (or & STD != 0, or & URL != 0, and & HEX != 0);
        let run_end = j;
        // `%` inside a base64-looking run: the percent reading goes first, from the start of
        // the run (`dG9r…%3D%3D`, a base64 value in a query string, decodes to the base64
        // text with its padding, which the next level reads).
        if j < end && escape_at(text, j) {
            let last = percent_run_end(text, j, end);
            out.push(Segment {
                range: start..last,
                encoding: Encoding::Percent,
            });
            i = last;
            continue;
        }
        let mut seg_end = run_end;
        while seg_end < end && seg_end - run_end < 2 && text[seg_end] == b'=' {
            seg_end += 1;
        }
        let len = run_end - start;
        i = seg_end.max(start + 1);
        if len > MAX_SEGMENT {
            continue;
        }
        if all_hex && !std_chars && !url_chars {
            if len >= MIN_HEX {
                out.push(Segment {
                    range: start..run_end,
                    encoding: Encoding::Hex,
                });
            }
            continue;
        }
        if len < MIN_BASE64 {
            continue;
        }
        // Separators at the edges are punctuation, not data (`--flag`, `_name_`).
        let mut s = start;
        while s < run_end && matches!(text[s], b'-' | b'_' | b'/') {
            s += 1;
        }
        if run_end - s < MIN_BASE64 {
            continue;
        }
        let encoding = if url_chars && !std_chars {
            Encoding::Base64Url
        } else {
            Encoding::Base64
        };
        if url_chars && std_chars {
            // Mixed alphabets: a path or an identifier list, not base64.
            continue;
        }
        out.push(Segment {
            range: s..seg_end,
            encoding,
        });
    }
    out
}

fn engine(url: bool) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    if url {
        GeneralPurpose::new(&base64::alphabet::URL_SAFE, config)
    } else {
        GeneralPurpose::new(&base64::alphabet::STANDARD, config)
    }
}

/// Text a person or a program would have written: valid UTF-8 without control characters
/// other than tab and line ends, and at least one letter or digit.
pub fn is_text(b: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(b) else {
        // A multi-byte character cut at the end of a prefix is still text.
        return match std::str::from_utf8(&b[..b.len().saturating_sub(3)]) {
            Ok(s) => b.len() > 3 && text_chars(s),
            Err(e) => {
                e.error_len().is_none() && b.len() - e.valid_up_to() <= 3 && {
                    let s = std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default();
                    text_chars(s)
                }
            }
        };
    };
    text_chars(s)
}

fn text_chars(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        && s.bytes().any(|b| b.is_ascii_alphanumeric())
}

fn b64(data: &[u8], url: bool) -> Option<Vec<u8>> {
    let data: &[u8] = {
        let mut d = data;
        while d.last() == Some(&b'=') {
            d = &d[..d.len() - 1];
        }
        d
    };
    // A length of 4n+1 is never base64: the last character is not data.
    let data = if data.len() % 4 == 1 {
        &data[..data.len() - 1]
    } else {
        data
    };
    engine(url).decode(data).ok()
}

fn unhex(data: &[u8]) -> Option<Vec<u8>> {
    let data = &data[..data.len() & !1];
    data.chunks_exact(2)
        .map(|p| Some(hex_val(p[0])? << 4 | hex_val(p[1])?))
        .collect()
}

fn unpercent(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if escape_at(data, i) {
            if let (Some(h), Some(l)) = (hex_val(data[i + 1]), hex_val(data[i + 2])) {
                out.push(h << 4 | l);
            }
            i += 3;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Characters of a base64 prefix decoded before the printable check (48 bytes).
const PROBE: usize = 64;

/// The decoded text of a candidate, or `None` when it does not decode to text.
pub fn decode(data: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    let out = match encoding {
        Encoding::Base64 | Encoding::Base64Url => {
            let url = encoding == Encoding::Base64Url;
            if data.len() > PROBE + 8 {
                let probe = b64(&data[..PROBE], url)?;
                if !is_text(&probe) {
                    return None;
                }
            }
            b64(data, url)?
        }
        Encoding::Hex => {
            if data.len() > PROBE + 8 {
                let probe = unhex(&data[..PROBE])?;
                if !is_text(&probe) {
                    return None;
                }
            }
            unhex(data)?
        }
        Encoding::Percent => unpercent(data),
    };
    (out.len() >= 8 && is_text(&out)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn found(text: &str) -> Vec<(String, Encoding)> {
        segments(text.as_bytes(), 0..text.len())
            .into_iter()
            .map(|s| (text[s.range].to_string(), s.encoding))
            .collect()
    }

    #[test]
    fn finds_each_encoding() {
        let b = enc_b64("token=abcdefghijkl");
        let t = format!("X: \"{b}\" y");
        assert_eq!(found(&t), vec![(b.clone(), Encoding::Base64)]);
        let hex = "746f6b656e3d6162636465666768696a6b6c";
        assert_eq!(found(hex), vec![(hex.to_string(), Encoding::Hex)]);
        let pct = "key=-----BEGIN%20RSA%20PRIVATE%20KEY-----%0AMIIE";
        assert_eq!(
            found(pct),
            vec![(
                "-----BEGIN%20RSA%20PRIVATE%20KEY-----%0A".to_string(),
                Encoding::Percent
            )]
        );
        // A base64 value in a query string: one percent candidate from the start of the run.
        let query = format!(
            "auth={}%3D&x=1",
            enc_b64("gh:token=abcdefghijk").trim_end_matches('=')
        );
        let value = &query[5..query.find('&').unwrap_or(query.len())];
        assert_eq!(found(&query), vec![(value.to_string(), Encoding::Percent)]);
        let url = "dG9rZW49YWJj-_ZGVmZ2hpamts";
        assert_eq!(found(url), vec![(url.to_string(), Encoding::Base64Url)]);
    }

    #[test]
    fn short_runs_and_punctuation_are_not_candidates() {
        assert!(found("abc def --long-option-name_x").len() <= 1);
        assert!(found("short").is_empty());
        assert!(found("a/b+c_d-e").is_empty());
    }

    #[test]
    fn decodes_text_only() {
        let b = enc_b64("secret=decoded-secret-value");
        assert_eq!(
            decode(b.as_bytes(), Encoding::Base64).as_deref(),
            Some(&b"secret=decoded-secret-value"[..])
        );
        // A SHA-256 in hex and random bytes in base64 are not text.
        let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(decode(sha.as_bytes(), Encoding::Hex), None);
        assert_eq!(
            decode(b"z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg", Encoding::Base64),
            None
        );
        assert_eq!(
            decode(b"a%20b%20c%20d%20e", Encoding::Percent).as_deref(),
            Some(&b"a b c d e"[..])
        );
        assert_eq!(decode(b"%00%01%02%03%04%05%06%07", Encoding::Percent), None);
    }

    #[test]
    fn unpadded_and_odd_lengths() {
        let b = enc_b64("user:pass-word-1234");
        let trimmed = b.trim_end_matches('=');
        assert!(decode(trimmed.as_bytes(), Encoding::Base64).is_some());
        // 4n+1 characters: the last one is not data and is dropped.
        let aligned = enc_b64("user:pass-word-123");
        assert_eq!(
            decode(format!("{aligned}Q").as_bytes(), Encoding::Base64).as_deref(),
            Some(&b"user:pass-word-123"[..])
        );
    }
}
