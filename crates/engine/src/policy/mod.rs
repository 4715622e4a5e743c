//! Policy: turn raw analyzer findings into the reported set. Rule enable/disable and severity
//! overrides, registry defaults (remediation, tags), stable fingerprints, redaction, inline
//! suppressions and the baseline, then the risk score and the verdict.

pub mod baseline;
pub mod config;
pub mod risk;
pub mod suppress;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, RawFinding, Redaction, Severity, mask_secret, sha256_hex};
use crate::rules::Registry;
use baseline::Baseline;
use config::{Config, FailOn};
use suppress::FileSuppressions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
    }
}

/// Why a finding is not reported.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Suppression {
    /// `pipeguard:ignore[...]` on the line or the line above.
    Inline { line: u32, reason: String },
    /// Its fingerprint is in the baseline.
    Baseline,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Suppressed {
    pub rule_id: String,
    pub path: String,
    pub line: u32,
    pub fingerprint: String,
    pub suppression: Suppression,
}

/// Totals, score and verdict: printed in every report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    /// Reported findings per severity (all five keys always present).
    pub counts: BTreeMap<Severity, usize>,
    pub total: usize,
    pub risk_score: u8,
    pub verdict: Verdict,
    pub fail_on: FailOn,
    /// The risk threshold in force (`--max-risk` or a `--risk-gate`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_risk: Option<u8>,
    pub suppressed_inline: usize,
    pub suppressed_baseline: usize,
    /// Why the verdict is what it is, one line each.
    pub reasons: Vec<String>,
}

pub struct PolicyInput<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub suppressions: &'a HashMap<String, FileSuppressions>,
    pub baseline: Option<&'a Baseline>,
    pub fail_on: FailOn,
    pub max_risk: Option<u8>,
}

pub struct Outcome {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub summary: Summary,
}

/// A finding on its way through the policy: resolved, not yet fingerprinted or redacted.
struct Pending {
    finding: Finding,
    content: String,
    redactions: Vec<Redaction>,
}

/// Apply the policy to raw findings.
pub fn apply(raw: Vec<RawFinding>, input: &PolicyInput<'_>) -> Outcome {
    let mut pending: Vec<Pending> = raw
        .into_iter()
        .filter(|f| input.config.rule_enabled(&f.rule_id))
        .filter(|f| f.persona.unwrap_or_default() <= input.config.persona.unwrap_or_default())
        .map(|f| resolve(f, input.registry, input.config))
        .collect();

    pending.sort_by(|a, b| {
        a.finding
            .sort_key()
            .cmp(&b.finding.sort_key())
            .then_with(|| a.content.cmp(&b.content))
    });
    // Exact repeats only: two secrets of the same length at the same place in different
    // commits read alike but differ in content.
    pending.dedup_by(|a, b| {
        a.finding.rule_id == b.finding.rule_id
            && a.finding.location == b.finding.location
            && a.finding.message == b.finding.message
            && a.content == b.content
    });
    assign_fingerprints(&mut pending);
    let findings = redact(pending);

    let baseline = input
        .baseline
        .map(Baseline::fingerprints)
        .unwrap_or_default();
    let mut reported = Vec::with_capacity(findings.len());
    let mut suppressed = Vec::new();
    for f in findings {
        let inline = input
            .suppressions
            .get(&f.location.path)
            .and_then(|s| s.matching(&f.rule_id, f.location.start_line));
        let why = if let Some(d) = inline {
            Some(Suppression::Inline {
                line: d.line,
                reason: d.reason.clone(),
            })
        } else if baseline.contains(f.fingerprint.as_str()) {
            Some(Suppression::Baseline)
        } else {
            None
        };
        match why {
            Some(suppression) => suppressed.push(Suppressed {
                rule_id: f.rule_id.clone(),
                path: f.location.path.clone(),
                line: f.location.start_line,
                fingerprint: f.fingerprint.clone(),
                suppression,
            }),
            None => reported.push(f),
        }
    }
    let summary = summarize(&reported, &suppressed, input.fail_on, input.max_risk);
    Outcome {
        findings: reported,
        suppressed,
        summary,
    }
}

/// Severity (config override > occurrence > registry default), remediation and tags.
fn resolve(mut f: RawFinding, registry: &Registry, config: &Config) -> Pending {
    let meta = registry.get(&f.rule_id);
    let severity = config
        .severity_override(&f.rule_id)
        .or(f.severity_hint)
        .or(meta.map(|m| m.severity))
        .unwrap_or(Severity::Medium);
    if let Some(m) = meta {
        if f.remediation.is_empty() {
            f.remediation = first_paragraph(&m.fix);
        }
        let mut tags: BTreeSet<String> = f.tags.drain(..).collect();
        tags.extend(m.tags.iter().cloned());
        f.tags = tags.into_iter().collect();
    }
    let content = f.fingerprint_content().to_string();
    let redactions = f.take_redactions();
    Pending {
        finding: Finding {
            rule_id: f.rule_id,
            severity,
            message: f.message,
            location: f.location,
            related: f.related,
            snippet: f.snippet,
            remediation: f.remediation,
            tags: f.tags,
            fingerprint: String::new(),
            provenance: f.provenance,
            properties: f.properties,
            persona: f.persona.unwrap_or_default(),
            confidence: f.confidence.unwrap_or_default(),
        },
        content,
        redactions,
    }
}

fn first_paragraph(s: &str) -> String {
    s.trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fingerprint = SHA-256(rule, path, normalised content, occurrence) truncated to 128 bits. The
/// line number is not part of it, so unrelated edits above a finding keep its fingerprint; the
/// occurrence index separates identical findings in one file (in file order).
fn assign_fingerprints(findings: &mut [Pending]) {
    let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
    for p in findings.iter_mut() {
        let f = &mut p.finding;
        let content = if p.content.is_empty() {
            f.message.clone()
        } else {
            p.content.clone()
        };
        let key = (f.rule_id.clone(), f.location.path.clone(), content);
        let n = seen.entry(key.clone()).or_insert(0);
        let input = format!("{}\0{}\0{}\0{}", key.0, key.1, key.2, n);
        *n += 1;
        f.fingerprint = sha256_hex(input.as_bytes())[..32].to_string();
    }
}

/// Every secret range any finding marked is masked in every snippet of the same file.
fn redact(pending: Vec<Pending>) -> Vec<Finding> {
    let mut by_path: HashMap<String, Vec<Redaction>> = HashMap::new();
    let mut findings = Vec::with_capacity(pending.len());
    for p in pending {
        for r in p.redactions {
            by_path.entry(r.path.clone()).or_default().push(r);
        }
        findings.push(p.finding);
    }
    if by_path.is_empty() {
        return findings;
    }
    for f in &mut findings {
        let Some(reds) = by_path.get(&f.location.path) else {
            continue;
        };
        let Some(snippet) = f.snippet.as_mut() else {
            continue;
        };
        let single_line = snippet.lines.len() == 1;
        for (i, line) in snippet.lines.iter_mut().enumerate() {
            let line_no = snippet.start_line + i as u32;
            let mut ranges: Vec<(u32, u32)> = reds
                .iter()
                .filter(|r| r.line == line_no)
                .map(|r| (r.start_column, r.end_column))
                .collect();
            if ranges.is_empty() {
                continue;
            }
            let (masked, map) = mask_ranges_mapped(line, &mut ranges);
            *line = masked;
            if i == 0 {
                snippet.caret.0 = map(snippet.caret.0);
                if single_line {
                    snippet.caret.1 = map(snippet.caret.1).max(snippet.caret.0 + 1);
                }
            }
        }
    }
    findings
}

/// Replace char-column ranges (1-based, end exclusive) of `line` with masks.
pub fn mask_ranges(line: &str, ranges: &mut Vec<(u32, u32)>) -> String {
    mask_ranges_mapped(line, ranges).0
}

/// As `mask_ranges`, also returning a map from old to new columns: a column inside a masked
/// range maps to the start of its mask (for carets), one after it is shifted by the length change.
pub fn mask_ranges_mapped(
    line: &str,
    ranges: &mut Vec<(u32, u32)>,
) -> (String, impl Fn(u32) -> u32 + use<>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (s, e) in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    // (old_start, old_end, new_start, new_end) of each mask, for the column map.
    let mut shifts: Vec<(u32, u32, u32, u32)> = Vec::new();
    let mut col = 1u32;
    let mut new_col = 1u32;
    for (s, e) in merged {
        while col < s && (col as usize) <= chars.len() {
            out.push(chars[col as usize - 1]);
            col += 1;
            new_col += 1;
        }
        let from = (s as usize).saturating_sub(1).min(chars.len());
        let to = (e as usize).saturating_sub(1).min(chars.len()).max(from);
        let value: String = chars[from..to].iter().collect();
        let mask = mask_secret(&value);
        let mask_len = mask.chars().count() as u32;
        out.push_str(&mask);
        shifts.push((s, e, new_col, new_col + mask_len));
        new_col += mask_len;
        col = e.max(col);
    }
    while (col as usize) <= chars.len() {
        out.push(chars[col as usize - 1]);
        col += 1;
    }
    let map = move |c: u32| -> u32 {
        let mut delta: i64 = 0;
        for &(s, e, ns, ne) in &shifts {
            if c < s {
                break;
            }
            if c < e {
                return ns;
            }
            if c == e {
                return ne;
            }
            delta = i64::from(ne) - i64::from(e);
        }
        (i64::from(c) + delta).max(1) as u32
    };
    (out, map)
}

pub fn summarize(
    reported: &[Finding],
    suppressed: &[Suppressed],
    fail_on: FailOn,
    max_risk: Option<u8>,
) -> Summary {
    let mut counts: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in reported {
        *counts.entry(f.severity).or_default() += 1;
    }
    let risk_score = risk::score(reported.iter().map(|f| (f.rule_id.as_str(), f.severity)));
    let mut reasons = Vec::new();
    if let Some(threshold) = fail_on.threshold() {
        let n = reported.iter().filter(|f| f.severity >= threshold).count();
        if n > 0 {
            reasons.push(format!(
                "{n} finding{} at or above `{threshold}` (--fail-on {fail_on})",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    if let Some(max) = max_risk
        && risk_score > max
    {
        reasons.push(format!(
            "risk score {risk_score} is above the maximum {max}"
        ));
    }
    let verdict = if reasons.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Summary {
        counts,
        total: reported.len(),
        risk_score,
        verdict,
        fail_on,
        max_risk,
        suppressed_inline: suppressed
            .iter()
            .filter(|s| matches!(s.suppression, Suppression::Inline { .. }))
            .count(),
        suppressed_baseline: suppressed
            .iter()
            .filter(|s| matches!(s.suppression, Suppression::Baseline))
            .count(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_merges_and_keeps_the_rest() {
        let mut r = vec![(5, 9), (7, 12)];
        assert_eq!(
            mask_ranges("key=abcdefghij;", &mut r),
            "key=…[redacted 7 chars]hij;"
        );
        let mut r = vec![(1, 3)];
        assert_eq!(mask_ranges("ab", &mut r), "…[redacted 2 chars]");
        let mut r = vec![(3, 5)];
        let (s, map) = mask_ranges_mapped("a=SECRET_VALUE_0123456789 end", &mut r);
        assert_eq!(s, "a=…[redacted 2 chars]CRET_VALUE_0123456789 end");
        assert_eq!(map(1), 1);
        assert_eq!(map(3), 3);
        assert_eq!(map(5), 3 + 19);
        assert_eq!(map(6), 3 + 19 + 1);
    }
}
