//! The matcher: one Aho-Corasick pass over the file finds every rule keyword; each rule's regex
//! then runs only in small windows around its keywords' hits; every match goes through the
//! structural checks and the placeholder/identifier filters.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::Regex;

use super::checks;
use super::paths::PathMode;
use super::rules::SecretRule;

/// Bytes before a keyword hit that a window reaches back (within its line).
const BEFORE: usize = 256;
/// Bytes after a keyword hit that a window reaches forward (within its line).
const AFTER: usize = 768;
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
}

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
        })
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
                        let (lo, hi) = window(text, start, end, spec.multiline, spec.prefix);
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
            let secret = caps.get(compiled.group).unwrap_or(whole);
            let range = char_aligned(text, secret.start()..secret.end());
            if rule.spec.generic && !generic_context_ok(text, &range, whole.start(), code) {
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
        if rule.spec.generic && checks::is_not_credential(value) {
            return None;
        }
        if rule.allowed(value) || self.allowed(value) {
            return None;
        }
        Some(Match {
            rule: ri,
            secret,
            whole,
            entropy_milli: (entropy * 1000.0) as u32,
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
fn generic_context_ok(text: &[u8], secret: &Range<usize>, whole_start: usize, code: bool) -> bool {
    let quoted = secret.start > 0 && matches!(text[secret.start - 1], b'"' | b'\'' | b'`');
    if code && !quoted {
        return false;
    }
    let span = &text[whole_start..secret.end];
    memchr::memmem::find(span, b"::").is_none()
}

/// The region around a keyword hit in which its rule's regex runs.
fn window(text: &[u8], start: usize, end: usize, multiline: bool, prefix: bool) -> (usize, usize) {
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
