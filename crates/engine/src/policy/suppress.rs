//! Inline suppressions: `pipeguard:ignore[rule-id] reason` in a comment on the finding's line or
//! on the line above. Several ids may be given (`[a, b]`); `family/*` and `*` match families and
//! everything. Directives are collected while each file is read, so reports never re-read files.

use std::collections::BTreeMap;

const MARKER: &str = "pipeguard:ignore[";

/// One directive: the line it is on and the rule patterns it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub line: u32,
    /// Columns of `pipeguard:ignore[…]` on the line (1-based, characters).
    pub start_column: u32,
    pub end_column: u32,
    pub patterns: Vec<String>,
    pub reason: String,
    /// The line's text, for the snippet of a finding about the directive.
    pub text: String,
}

impl Directive {
    /// What makes two directives the same wherever they are: the rules and the reason.
    pub fn identity(&self) -> (Vec<String>, String) {
        (self.patterns.clone(), self.reason.clone())
    }
}

/// Directives of one file, by line.
#[derive(Clone, Debug, Default)]
pub struct FileSuppressions {
    by_line: BTreeMap<u32, Directive>,
}

impl FileSuppressions {
    /// Find directives in `text`. Only directives inside a comment (`#`, `//`, `/*`, `<!--`,
    /// `--`) count, so that a string literal mentioning the syntax does not silence anything.
    pub fn parse(text: &str) -> Option<FileSuppressions> {
        memchr::memmem::find(text.as_bytes(), MARKER.as_bytes())?;
        let mut by_line = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find(MARKER) else {
                continue;
            };
            let before = &line[..at];
            if !["#", "//", "/*", "<!--", "--"]
                .iter()
                .any(|m| before.contains(m))
            {
                continue;
            }
            let rest = &line[at + MARKER.len()..];
            let Some(close) = rest.find(']') else {
                continue;
            };
            let patterns: Vec<String> = rest[..close]
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            if patterns.is_empty() {
                continue;
            }
            let reason = rest[close + 1..]
                .trim()
                .trim_end_matches("*/")
                .trim_end_matches("-->")
                .trim()
                .to_string();
            let line_no = i as u32 + 1;
            let start_column = line[..at].chars().count() as u32 + 1;
            let end_column =
                start_column + line[at..at + MARKER.len() + close + 1].chars().count() as u32;
            by_line.insert(
                line_no,
                Directive {
                    line: line_no,
                    start_column,
                    end_column,
                    patterns,
                    reason,
                    text: crate::source::truncate_line(line),
                },
            );
        }
        (!by_line.is_empty()).then_some(FileSuppressions { by_line })
    }

    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.by_line.values()
    }

    pub fn is_empty(&self) -> bool {
        self.by_line.is_empty()
    }

    /// Keep the directives `keep` accepts; returns the others, in line order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Directive) -> bool) -> Vec<Directive> {
        let mut dropped = Vec::new();
        self.by_line.retain(|_, d| {
            let k = keep(d);
            if !k {
                dropped.push(d.clone());
            }
            k
        });
        dropped
    }

    /// The directive that silences `rule_id` at `line`, if any.
    pub fn matching(&self, rule_id: &str, line: u32) -> Option<&Directive> {
        [line, line.saturating_sub(1)]
            .into_iter()
            .filter_map(|l| self.by_line.get(&l))
            .find(|d| d.patterns.iter().any(|p| pattern_matches(p, rule_id)))
    }
}

fn pattern_matches(pattern: &str, rule_id: &str) -> bool {
    if pattern == "*" || pattern == rule_id {
        return true;
    }
    pattern
        .strip_suffix("/*")
        .is_some_and(|fam| rule_id.split_once('/').is_some_and(|(f, _)| f == fam))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_line_above() {
        let text = "FROM x\n# pipeguard:ignore[docker/root-user] base image sets its own user\nUSER root\nRUN a # pipeguard:ignore[docker/*, docker/sudo]\n";
        let s = FileSuppressions::parse(text).unwrap();
        let d = s.matching("docker/root-user", 3).unwrap();
        assert_eq!(d.reason, "base image sets its own user");
        assert!(s.matching("docker/root-user", 4).is_some());
        assert!(s.matching("docker/sudo", 4).is_some());
        assert!(s.matching("github/x", 4).is_none());
        assert!(s.matching("docker/root-user", 1).is_none());
    }

    #[test]
    fn outside_comments_and_without_marker() {
        assert!(FileSuppressions::parse("echo 'pipeguard:ignore[*]'\n").is_none());
        assert!(FileSuppressions::parse("nothing here").is_none());
        let s = FileSuppressions::parse("x = 1 // pipeguard:ignore[*]\n").unwrap();
        assert!(s.matching("jenkins/anything", 1).is_some());
    }
}
