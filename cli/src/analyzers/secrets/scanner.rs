//! The matcher: one Aho-Corasick pass over the file finds every rule keyword; each rule's regex
//! then runs only in small windows around its keywords' hits; every match goes through the
//! structural checks and the placeholder/identifier filters.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
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

/// Compiled view over a rule set: the keyword automaton and which rules each keyword serves.
pub struct Scanner {
    builtin: &'static [SecretRule],
    user: Vec<SecretRule>,
    /// Rules switched off in the config are left out of the prefilter.
    enabled: Vec<bool>,
    /// Case-insensitive and case-sensitive keyword automata, each with the rules each of its
    /// patterns serves.
    automata: Vec<(AhoCorasick, Vec<Vec<usize>>)>,
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
        for case_sensitive in [false, true] {
            let mut keywords: Vec<String> = Vec::new();
            let mut kw_rules: Vec<Vec<usize>> = Vec::new();
            for (i, r) in builtin.iter().chain(user.iter()).enumerate() {
                if !on[i] || r.spec.case_sensitive != case_sensitive {
                    continue;
                }
                if r.keywords.is_empty() && !case_sensitive {
                    unkeyed.push(i);
                }
                for k in &r.keywords {
                    match keywords.iter().position(|x| x == k) {
                        Some(p) => kw_rules[p].push(i),
                        None => {
                            keywords.push(k.clone());
                            kw_rules.push(vec![i]);
                        }
                    }
                }
            }
            if !keywords.is_empty() {
                let ac = AhoCorasickBuilder::new()
                    .ascii_case_insensitive(!case_sensitive)
                    .match_kind(MatchKind::Standard)
                    .build(&keywords)?;
                automata.push((ac, kw_rules));
            }
        }
        Ok(Scanner {
            builtin,
            user,
            enabled: on,
            automata,
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
    pub fn scan(&self, text: &[u8], mode: PathMode) -> Vec<Match> {
        if mode == PathMode::Off || text.is_empty() {
            return Vec::new();
        }
        let runs = |i: usize| mode == PathMode::Full || !self.rule(i).spec.generic;

        // (rule, window) for every keyword hit, then merged per rule.
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        for (ac, kw_rules) in &self.automata {
            for m in ac.find_overlapping_iter(text) {
                for &ri in &kw_rules[m.pattern().as_usize()] {
                    if !runs(ri) {
                        continue;
                    }
                    let spec = &self.rule(ri).spec;
                    let (lo, hi) = window(text, m.start(), m.end(), spec.multiline, spec.prefix);
                    windows.push((ri, lo, hi));
                }
            }
        }
        for &ri in &self.unkeyed {
            if runs(ri) {
                windows.push((ri, 0, text.len()));
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
            self.match_window(ri, text, lo, hi, &mut found);
        }
        resolve_overlaps(found, |i| {
            let spec = &self.rule(i).spec;
            (spec.generic, spec.validator.is_none())
        })
    }

    fn match_window(&self, ri: usize, text: &[u8], lo: usize, hi: usize, out: &mut Vec<Match>) {
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
        let shape_checks = !rule.spec.multiline && value.len() <= 200;
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
/// checksum-validated format first, then the match with more context, the longer secret, the
/// earlier rule.
fn resolve_overlaps(mut found: Vec<Match>, rank: impl Fn(usize) -> (bool, bool)) -> Vec<Match> {
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
