//! Risk score: 0 (clean) to 99, from the rules and severities of the reported findings.
//!
//! Each rule with findings adds the points of its worst severity (critical 40, high 15, medium 5,
//! low 1, info 0) times a weight for how often it fired: `1 + log2(n)/4`, at most 2 (one
//! occurrence 1, four 1.5, sixteen or more 2). Low and info rules together add at most 8 points.
//! The score is `floor(100 × (1 − e^(−points/60)))`, at most 99. So one critical still scores 48
//! and two distinct criticals 73, one high 22, one medium 7; the same rule firing in every file
//! no longer saturates the score (a medium rule in 40 files: 15), and low findings alone never
//! pass 12. Monotone: another finding never lowers it. The distribution on the shared corpora
//! is in docs/risk-score.md (bench/risk/distribution.py).

use std::collections::BTreeMap;

use crate::finding::Severity;

pub const fn points(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 15,
        Severity::Medium => 5,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

const SCALE: f64 = 60.0;
/// The most a rule's repetitions multiply its points by.
const MAX_WEIGHT: f64 = 2.0;
/// The most that low and info rules add together.
const LOW_CAP: f64 = 8.0;

/// How much `n` occurrences of one rule weigh.
fn weight(n: usize) -> f64 {
    (1.0 + (n.max(1) as f64).log2() / 4.0).min(MAX_WEIGHT)
}

/// The score of reported findings given as (rule id, severity).
pub fn score<'a>(findings: impl IntoIterator<Item = (&'a str, Severity)>) -> u8 {
    let mut by_rule: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
    for (rule, sev) in findings {
        let e = by_rule.entry(rule).or_insert((sev, 0));
        e.0 = e.0.max(sev);
        e.1 += 1;
    }
    let mut high = 0.0;
    let mut low = 0.0;
    for (sev, n) in by_rule.into_values() {
        let p = f64::from(points(sev)) * weight(n);
        if sev <= Severity::Low {
            low += p;
        } else {
            high += p;
        }
    }
    let total = high + low.min(LOW_CAP);
    let s = 100.0 * (1.0 - (-total / SCALE).exp());
    (s.floor() as u8).min(99)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Severity::*;

    fn one(sev: Severity, n: usize) -> Vec<(&'static str, Severity)> {
        vec![("x/rule", sev); n]
    }

    #[test]
    fn documented_values() {
        assert_eq!(score([]), 0);
        assert_eq!(score([("a/i", Info), ("b/i", Info)]), 0);
        assert_eq!(score(one(Critical, 1)), 48);
        assert_eq!(score([("a/c", Critical), ("b/c", Critical)]), 73);
        assert_eq!(score(one(High, 1)), 22);
        assert_eq!(score(one(Medium, 1)), 7);
        assert_eq!(score(one(Medium, 40)), 15);
        // Low findings alone stay low, however many.
        let lows: Vec<(String, Severity)> = (0..50).map(|i| (format!("l/{i}"), Low)).collect();
        assert_eq!(score(lows.iter().map(|(r, s)| (r.as_str(), *s))), 12);
        let crits: Vec<(String, Severity)> =
            (0..50).map(|i| (format!("c/{i}"), Critical)).collect();
        assert_eq!(score(crits.iter().map(|(r, s)| (r.as_str(), *s))), 99);
    }

    #[test]
    fn monotone() {
        let mut v: Vec<(&str, Severity)> = vec![];
        let mut last = 0;
        for (r, s) in [
            ("a", Low),
            ("b", Medium),
            ("b", Medium),
            ("c", High),
            ("d", Critical),
            ("e", Info),
            ("a", Low),
            ("d", Critical),
        ] {
            v.push((r, s));
            let now = score(v.clone());
            assert!(now >= last);
            last = now;
        }
    }
}
