//! The matcher: one Aho-Corasick pass over the file finds every rule keyword; each rule's regex
//! then runs only in small windows around its keywords' hits; every match goes through the
//! structural checks and the placeholder/identifier filters.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;

use super::checks;
use super::decode::{self, Encoding};
use super::paths::PathMode;
use super::rules::{CONTEXT_BYTES, RuleSpec, SecretRule};

/// Bytes before a keyword hit that a window reaches back (within its line).
const BEFORE: usize = 256;
/// Bytes after a keyword hit that a window reaches forward (within its line).
const AFTER: usize = 768;
/// Lines after a `\` continuation that a `continuation` rule's window reaches.
const CONTINUED_LINES: usize = 8;
/// Multi-line rules (PEM blocks) look this far ahead, across lines.
const MULTILINE_AFTER: usize = 24 * 1024;

/// A reported match: which rule, the secret's byte range, and the whole match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index into the scanner's rules (built-in first, then the user's).
    pub rule: usize,
    pub secret: Range<usize>,
    pub whole: Range<usize>,
    pub entropy_milli: u32,
    /// Found in decoded text: the decodings from the file's text inwards (empty: plain text).
    /// `secret` is then the encoded text in the file.
    pub decoded: Vec<Encoding>,
}

/// A keyword automaton and, per keyword, the rules it serves.
struct Automaton {
    ac: AhoCorasick,
    rules: Vec<Vec<usize>>,
}

#[derive(Default)]
struct Keywords {
    words: Vec<String>,
    rules: Vec<Vec<usize>>,
}

impl Keywords {
    fn add(&mut self, keyword: &str, rule: usize) {
        match self.words.iter().position(|x| x == keyword) {
            Some(p) => self.rules[p].push(rule),
            None => {
                self.words.push(keyword.to_string());
                self.rules.push(vec![rule]);
            }
        }
    }

    fn build(self, case_sensitive: bool) -> anyhow::Result<Option<Automaton>> {
        if self.words.is_empty() {
            return Ok(None);
        }
        // A DFA: overlapping search over a few hundred short keywords is the engine's hottest
        // loop, and the DFA walks it about a third faster than the NFAs for ~1 MB of tables.
        // (User rule sets with thousands of keywords get the library's choice.)
        let kind = (self.words.len() <= 2000).then_some(AhoCorasickKind::DFA);
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(!case_sensitive)
            .match_kind(MatchKind::Standard)
            .kind(kind)
            .build(&self.words)?;
        Ok(Some(Automaton {
            ac,
            rules: self.rules,
        }))
    }
}

/// A substring that every occurrence of `keyword` contains byte for byte: the keyword itself
/// when matched case-sensitively, else its longest run without ASCII letters (`-----` of
/// `PRIVATE KEY-----`) when that has at least three bytes.
fn needle(keyword: &str, case_sensitive: bool) -> Option<String> {
    if case_sensitive {
        return Some(keyword.to_string());
    }
    keyword
        .split(|c: char| c.is_ascii_alphabetic())
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= 3)
        .map(str::to_string)
}

/// Compiled view over a rule set: the keyword automaton and which rules each keyword serves.
pub struct Scanner {
    builtin: &'static [SecretRule],
    user: Vec<SecretRule>,
    /// Rules switched off in the config are left out of the prefilter.
    enabled: Vec<bool>,
    /// Case-insensitive and case-sensitive keyword automata.
    automata: Vec<Automaton>,
    /// The same for the keywords of multi-line rules only: a scan limited to changed lines
    /// looks for them before the change too (a PEM block may begin above an edited line).
    multiline: Vec<Automaton>,
    /// Literal needles of which every multi-line keyword contains one (`None`: some keyword has
    /// none): the look-back before a change, 24 KiB per changed blob, is searched with memchr's
    /// SIMD substring search first and with the automaton only when a needle is there.
    multiline_needles: Option<Vec<memchr::memmem::Finder<'static>>>,
    /// Rules without keywords run over the whole file.
    unkeyed: Vec<usize>,
    allow_regexes: Vec<Regex>,
    stopwords: Vec<String>,
    /// How many decodings deep encoded candidates are followed (0: not decoded).
    decode_depth: u8,
}

/// Context kept on each side of an encoded candidate when it is decoded in place.
const DECODE_CONTEXT: usize = 256;

/// The deepest nesting of encodings followed, whatever the config says.
pub const MAX_DECODE_DEPTH: u8 = 5;

impl Scanner {
    pub fn new(
        builtin: &'static [SecretRule],
        user: Vec<SecretRule>,
        enabled: impl Fn(&str) -> bool,
        allow_regexes: Vec<Regex>,
        stopwords: &[String],
    ) -> anyhow::Result<Scanner> {
        let mut unkeyed = Vec::new();
        let on: Vec<bool> = builtin
            .iter()
            .chain(user.iter())
            .map(|r| enabled(r.id()))
            .collect();
        let mut automata = Vec::new();
        let mut multiline = Vec::new();
        let mut multiline_needles = Some(Vec::new());
        for case_sensitive in [false, true] {
            let mut all = Keywords::default();
            let mut ml = Keywords::default();
            for (i, r) in builtin.iter().chain(user.iter()).enumerate() {
                if !on[i] || r.spec.case_sensitive != case_sensitive {
                    continue;
                }
                if r.keywords.is_empty() {
                    unkeyed.push(i);
                }
                for k in &r.keywords {
                    all.add(k, i);
                    if r.spec.multiline {
                        ml.add(k, i);
                        let needle = needle(k, case_sensitive);
                        multiline_needles = multiline_needles.zip(needle).map(|(mut v, n)| {
                            v.push(memchr::memmem::Finder::new(n.as_bytes()).into_owned());
                            v
                        });
                    }
                }
            }
            automata.extend(all.build(case_sensitive)?);
            multiline.extend(ml.build(case_sensitive)?);
        }
        Ok(Scanner {
            builtin,
            user,
            enabled: on,
            automata,
            multiline,
            multiline_needles,
            unkeyed,
            allow_regexes,
            stopwords: stopwords.iter().map(|s| s.to_ascii_lowercase()).collect(),
            decode_depth: 2,
        })
    }

    /// Follow encoded candidates `depth` decodings deep (0: off; at most [`MAX_DECODE_DEPTH`]).
    #[must_use]
    pub fn with_decode_depth(mut self, depth: u8) -> Scanner {
        self.decode_depth = depth.min(MAX_DECODE_DEPTH);
        self
    }

    pub fn rule(&self, i: usize) -> &SecretRule {
        let n = self.builtin.len();
        if i < n {
            &self.builtin[i]
        } else {
            &self.user[i - n]
        }
    }

    pub fn len(&self) -> usize {
        self.enabled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.enabled.is_empty()
    }

    /// Every credential in `text`, overlaps resolved in favour of provider-specific rules.
    /// `code`: the file is program source, where an unquoted right-hand side is an expression,
    /// not a literal — generic rules then only accept quoted values.
    pub fn scan(&self, text: &[u8], mode: PathMode, code: bool) -> Vec<Match> {
        self.scan_lines(text, 0..text.len(), mode, code)
    }

    /// The credentials of `text` that overlap `lines`, a range of whole lines (the lines a git
    /// change added). Keywords are searched in `lines` only — a single-line match lies in its
    /// keyword's line — and, for multi-line rules, also in the stretch before them that such a
    /// match can span; regexes still see the whole text around each keyword.
    pub fn scan_lines(
        &self,
        text: &[u8],
        lines: Range<usize>,
        mode: PathMode,
        code: bool,
    ) -> Vec<Match> {
        let mut found = self.plain_lines(text, lines.clone(), mode, code);
        if self.decode_depth == 0 || mode == PathMode::Off || text.is_empty() {
            return found;
        }
        let lines = lines.start.min(text.len())..lines.end.min(text.len());
        let decoded = self.decoded(text, lines, None, mode, self.decode_depth);
        if decoded.is_empty() {
            return found;
        }
        // A provider-format match on the encoded text itself stands; a generic one (the
        // encoded text under a `secret:` key) gives way to what the text decodes to.
        for d in decoded {
            let overlaps =
                |m: &Match| m.secret.start < d.secret.end && d.secret.start < m.secret.end;
            if found
                .iter()
                .any(|m| overlaps(m) && !self.rule(m.rule).spec.generic)
            {
                continue;
            }
            found.retain(|m| !overlaps(m));
            found.push(d);
        }
        found.sort_by_key(|m| (m.secret.start, m.rule));
        found
    }

    /// Credentials in the decoded form of every encoded candidate of `text[search]` (only
    /// those overlapping `within`, when given), reported at the encoded text. Decoded text is
    /// scanned as data (not program source) whatever the file is.
    fn decoded(
        &self,
        text: &[u8],
        search: Range<usize>,
        within: Option<&Range<usize>>,
        mode: PathMode,
        depth: u8,
    ) -> Vec<Match> {
        let mut out: Vec<Match> = Vec::new();
        for seg in decode::segments(text, search) {
            let r = seg.range.clone();
            if within.is_some_and(|w| r.end <= w.start || r.start >= w.end) {
                continue;
            }
            let Some(dec) = decode::decode(&text[r.clone()], seg.encoding) else {
                continue;
            };
            // The candidate's line around it, the candidate replaced by its decoded text.
            let floor = r.start.saturating_sub(DECODE_CONTEXT);
            let ls = memchr::memrchr(b'\n', &text[floor..r.start]).map_or(floor, |i| floor + i + 1);
            let ceil = (r.end + DECODE_CONTEXT).min(text.len());
            let le = memchr::memchr(b'\n', &text[r.end..ceil]).map_or(ceil, |i| r.end + i);
            let mut buf = Vec::with_capacity(dec.len() + (le - ls) - r.len());
            buf.extend_from_slice(&text[ls..r.start]);
            let region = buf.len()..buf.len() + dec.len();
            buf.extend_from_slice(&dec);
            buf.extend_from_slice(&text[r.end..le]);
            let inside = |m: &Match| m.secret.start < region.end && m.secret.end > region.start;
            // Decoded text is data, not program source, whatever file it is in: its
            // assignments (`secret=…` in a base64 test vector of a Go file) are not code.
            let mut inner: Vec<Match> = self
                .plain_lines(&buf, 0..buf.len(), mode, false)
                .into_iter()
                .filter(inside)
                .collect();
            if depth > 1 {
                inner.extend(self.decoded(&buf, 0..buf.len(), Some(&region), mode, depth - 1));
            }
            // One finding per candidate: the most specific kind it holds.
            let Some(best) = inner.into_iter().min_by_key(|m| {
                let spec = &self.rule(m.rule).spec;
                (
                    spec.generic,
                    spec.validator.is_none(),
                    std::cmp::Reverse(m.secret.len()),
                    m.secret.start,
                )
            }) else {
                continue;
            };
            // Back to the file: the decoded part maps to the whole candidate, context 1:1.
            let back = |p: usize, end: bool| {
                if p < region.start {
                    ls + p
                } else if p > region.end || (p == region.end && !end) {
                    r.end + (p - region.end)
                } else if end {
                    r.end
                } else {
                    r.start
                }
            };
            let span =
                back(best.secret.start, false).min(r.start)..back(best.secret.end, true).max(r.end);
            let mut decoded = vec![seg.encoding];
            decoded.extend(best.decoded);
            out.push(Match {
                rule: best.rule,
                secret: span.clone(),
                whole: span,
                entropy_milli: best.entropy_milli,
                decoded,
            });
        }
        out
    }

    /// The plain-text matches (no decoding).
    fn plain_lines(
        &self,
        text: &[u8],
        lines: Range<usize>,
        mode: PathMode,
        code: bool,
    ) -> Vec<Match> {
        if mode == PathMode::Off || text.is_empty() {
            return Vec::new();
        }
        let lines = lines.start.min(text.len())..lines.end.min(text.len());
        let whole_text = lines.start == 0 && lines.end == text.len();
        let runs = |i: usize| mode == PathMode::Full || !self.rule(i).spec.generic;

        // (rule, window) for every keyword hit, then merged per rule.
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        let mut hits = |automata: &[Automaton], at: usize, hay: &[u8]| {
            for a in automata {
                for m in a.ac.find_overlapping_iter(hay) {
                    for &ri in &a.rules[m.pattern().as_usize()] {
                        if !runs(ri) {
                            continue;
                        }
                        let spec = &self.rule(ri).spec;
                        let (start, end) = (at + m.start(), at + m.end());
                        let (lo, hi) = window(text, start, end, spec);
                        windows.push((ri, lo, hi));
                    }
                }
            }
        };
        hits(&self.automata, lines.start, &text[lines.clone()]);
        if !whole_text {
            let before = lines.start.saturating_sub(MULTILINE_AFTER);
            let region = &text[before..lines.start];
            let maybe = self
                .multiline_needles
                .as_ref()
                .is_none_or(|ns| ns.iter().any(|n| n.find(region).is_some()));
            if maybe {
                hits(&self.multiline, before, region);
            }
        }
        for &ri in &self.unkeyed {
            if runs(ri) {
                windows.push((ri, lines.start, lines.end));
            }
        }
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(windows.len());
        for w in windows {
            match merged.last_mut() {
                Some(last) if last.0 == w.0 && w.1 <= last.2 => last.2 = last.2.max(w.2),
                _ => merged.push(w),
            }
        }

        let mut found: Vec<Match> = Vec::new();
        for (ri, lo, hi) in merged {
            // A file crafted to be slow stops here; the engine reports it as incomplete.
            if crate::limits::budget_exceeded() {
                break;
            }
            self.match_window(ri, text, lo, hi, code, &mut found);
        }
        let mut found = resolve_overlaps(found, |i| {
            let spec = &self.rule(i).spec;
            (spec.generic, spec.validator.is_none(), !spec.case_sensitive)
        });
        if !whole_text {
            // What lies wholly outside the added lines was there before the change.
            found.retain(|m| m.whole.start < lines.end && m.whole.end > lines.start);
        }
        found
    }

    fn match_window(
        &self,
        ri: usize,
        text: &[u8],
        lo: usize,
        hi: usize,
        code: bool,
        out: &mut Vec<Match>,
    ) {
        let rule = self.rule(ri);
        let Some(compiled) = rule.compiled() else {
            return;
        };
        let hay = &text[..hi];
        let mut pos = lo;
        while pos < hi {
            let Some(caps) = compiled.regex.captures_at(hay, pos) else {
                break;
            };
            let Some(whole) = caps.get(0) else {
                break;
            };
            pos = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let secret = compiled
                .groups
                .iter()
                .find_map(|&g| caps.get(g))
                .unwrap_or(whole);
            let range = char_aligned(text, secret.start()..secret.end());
            if let Some(cx) = &compiled.context {
                let from = whole.start().saturating_sub(CONTEXT_BYTES);
                if !cx.is_match(&text[from..whole.start()]) {
                    continue;
                }
            }
            if rule.spec.generic
                && !generic_context_ok(text, &range, whole.start(), code, rule.spec.continuation)
            {
                continue;
            }
            if let Some(m) = self.accept(ri, rule, text, range, whole.start()..whole.end()) {
                out.push(m);
            }
        }
    }

    fn accept(
        &self,
        ri: usize,
        rule: &SecretRule,
        text: &[u8],
        secret: Range<usize>,
        whole: Range<usize>,
    ) -> Option<Match> {
        let value = &text[secret.clone()];
        if value.is_empty() {
            return None;
        }
        let entropy = checks::shannon(value);
        if rule.spec.entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        if let Some(v) = rule.spec.validator
            && !v.check(value)
        {
            return None;
        }
        let shape_checks = !rule.spec.multiline && !rule.spec.repeats_ok && value.len() <= 200;
        if (shape_checks && checks::is_placeholder(value))
            || (!shape_checks && checks::is_placeholder_word(value))
        {
            return None;
        }
        if rule.spec.generic {
            // The key the value is assigned to: from the match's start to the value.
            // (with the identifier the keyword ends: `checksum_` of `checksum_token`).
            let mut from = whole.start.min(secret.start);
            let floor = from.saturating_sub(64);
            while from > floor
                && (text[from - 1].is_ascii_alphanumeric()
                    || matches!(text[from - 1], b'_' | b'-' | b'.'))
            {
                from -= 1;
            }
            let name = &text[from..secret.start];
            // `-v $PWD:/src`: a variable expanded before `:`, not a key assigned a value.
            let expansion = from > 0 && text[from - 1] == b'$' && !name.contains(&b'=');
            // `"secretsmanager:ResourceTag/managed-by"`: an IAM action or condition key.
            let iam_key = from > 0
                && matches!(text[from - 1], b'"' | b'\'')
                && name.last() == Some(&b':')
                && checks::is_iam_key(&name[..name.len() - 1], value);
            let letters = rule.spec.letters_ok
                && value.iter().all(u8::is_ascii_alphabetic)
                && !checks::reads_as_words(value);
            if expansion
                || iam_key
                || checks::names_a_reference(name)
                || checks::is_name_path(value)
                || (!letters && checks::is_not_credential_named(value, name))
            {
                return None;
            }
        }
        if rule.allowed(value) || self.allowed(value) {
            return None;
        }
        Some(Match {
            rule: ri,
            secret,
            whole,
            entropy_milli: (entropy * 1000.0) as u32,
            decoded: Vec::new(),
        })
    }

    fn allowed(&self, value: &[u8]) -> bool {
        if self.allow_regexes.iter().any(|r| r.is_match(value)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = value.to_ascii_lowercase();
        self.stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    }
}

/// Context checks of generic (keyword = value) matches: in program source the value must be a
/// quoted literal; `a::b` paths and `,`-separated argument lists are code, not assignments.
/// `continuation`: the match may lie on a `\` continuation line of a command whose first line
/// opened the string literal (a curl command in a Go raw string, its `--user` lines below).
fn generic_context_ok(
    text: &[u8],
    secret: &Range<usize>,
    whole_start: usize,
    code: bool,
    continuation: bool,
) -> bool {
    let quoted = secret.start > 0 && matches!(text[secret.start - 1], b'"' | b'\'' | b'`');
    let in_data = quoted
        || in_string_literal(text, whole_start)
        || (continuation && continued_in_string_literal(text, whole_start));
    if code && !in_data {
        return false;
    }
    let span = &text[whole_start..secret.end];
    memchr::memmem::find(span, b"::").is_none()
}

/// Whether `at` lies inside a string literal opened earlier on its line (an odd number of `"`
/// or of `` ` `` before it): the text there is data (a test case, a config template), not code.
fn in_string_literal(text: &[u8], at: usize) -> bool {
    let floor = at.saturating_sub(BEFORE);
    let start = memchr::memrchr(b'\n', &text[floor..at]).map_or(floor, |i| floor + i + 1);
    let line = &text[start..at];
    let unescaped = |q: u8| {
        line.iter()
            .enumerate()
            .filter(|&(i, &b)| b == q && (i == 0 || line[i - 1] != b'\\'))
            .count()
    };
    unescaped(b'"') % 2 == 1 || unescaped(b'`') % 2 == 1
}

/// Whether the line of `at` continues (over `\` line ends) a command whose first line leaves a
/// string literal open: the continued lines are then inside that literal too.
fn continued_in_string_literal(text: &[u8], at: usize) -> bool {
    let line_start = |p: usize| memchr::memrchr(b'\n', &text[..p]).map_or(0, |i| i + 1);
    let mut start = line_start(at);
    let mut first_end = None;
    for _ in 0..CONTINUED_LINES {
        if start == 0 {
            break;
        }
        let prev_end = start - 1;
        let prev_start = line_start(prev_end);
        if !text[prev_start..prev_end].trim_ascii_end().ends_with(b"\\") {
            break;
        }
        first_end = Some(prev_end);
        start = prev_start;
    }
    first_end.is_some_and(|end| in_string_literal(text, end))
}

/// The region around a keyword hit in which its rule's regex runs.
fn window(text: &[u8], start: usize, end: usize, spec: &RuleSpec) -> (usize, usize) {
    let (multiline, prefix) = (spec.multiline, spec.prefix);
    // The regex engine still sees the bytes before `lo` for `\b`, so a prefix rule can start
    // exactly at its keyword.
    let lo = if prefix {
        start
    } else {
        let floor = start.saturating_sub(BEFORE);
        memchr::memrchr(b'\n', &text[floor..start]).map_or(floor, |i| floor + i + 1)
    };
    if multiline {
        return (lo, (end + MULTILINE_AFTER).min(text.len()));
    }
    let ceil = (end + AFTER).min(text.len());
    let mut hi = memchr::memchr(b'\n', &text[end..ceil]).map_or(ceil, |i| end + i);
    // A shell command continued over lines: its options can be several lines below.
    if spec.continuation {
        let mut lines = 0;
        while lines < CONTINUED_LINES
            && hi < text.len()
            && text[..hi].trim_ascii_end().ends_with(b"\\")
        {
            let next = hi + 1;
            let ceil = (next + AFTER).min(text.len());
            hi = memchr::memchr(b'\n', &text[next..ceil]).map_or(ceil, |i| next + i);
            lines += 1;
        }
    }
    // Never cut a token in two at the window's end: a shorter tail could still match.
    let limit = (hi + 256).min(text.len());
    while hi < limit && is_token_byte(text[hi]) {
        hi += 1;
    }
    (lo, hi)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
}

/// Widen a byte range to UTF-8 character boundaries (byte regexes may stop inside one).
fn char_aligned(text: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start > 0 && (text[r.start] & 0xC0) == 0x80 {
        r.start -= 1;
    }
    while r.end < text.len() && (text[r.end] & 0xC0) == 0x80 {
        r.end += 1;
    }
    r
}

/// Where rules overlap on the same secret, keep one: provider-specific before generic, a
/// checksum-validated format first, a literal token prefix before a context match, then the
/// match with more context, the longer secret, the earlier rule.
fn resolve_overlaps(
    mut found: Vec<Match>,
    rank: impl Fn(usize) -> (bool, bool, bool),
) -> Vec<Match> {
    if found.len() <= 1 {
        return found;
    }
    found.sort_by_key(|m| {
        (
            rank(m.rule),
            std::cmp::Reverse(m.whole.len()),
            std::cmp::Reverse(m.secret.len()),
            m.secret.start,
            m.rule,
        )
    });
    // Accepted secret ranges by start; ranges never overlap, so neighbours suffice.
    let mut taken: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut kept: Vec<Match> = Vec::with_capacity(found.len());
    for m in found {
        let (s, e) = (m.secret.start, m.secret.end);
        let before = taken
            .range(..=s)
            .next_back()
            .is_some_and(|(_, &end)| end > s);
        let after = taken.range(s..).next().is_some_and(|(&start, _)| start < e);
        if !before && !after {
            taken.insert(s, e);
            kept.push(m);
        }
    }
    kept.sort_by_key(|m| (m.secret.start, m.rule));
    kept
}
