//! Risk score: 0 (clean) to 100, from the severities of the reported findings.
//!
//! Each finding adds points by severity (critical 40, high 15, medium 5, low 1, info 0); the score
//! is `floor(100 × (1 − e^(−points/60)))`. It is monotone (another finding never lowers it),
//! bounded (never reaches 100), and has diminishing returns: one critical scores 48, two 73, one
//! high 22, one medium 7, ten lows 15. These constants are part of the output contract and change
//! only with a major version.

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

pub fn score(severities: impl IntoIterator<Item = Severity>) -> u8 {
    let total: u64 = severities.into_iter().map(|s| u64::from(points(s))).sum();
    let s = 100.0 * (1.0 - (-(total as f64) / SCALE).exp());
    (s.floor() as u8).min(99)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Severity::*;

    #[test]
    fn documented_values() {
        assert_eq!(score([]), 0);
        assert_eq!(score([Info, Info]), 0);
        assert_eq!(score([Critical]), 48);
        assert_eq!(score([Critical, Critical]), 73);
        assert_eq!(score([High]), 22);
        assert_eq!(score([Medium]), 7);
        assert_eq!(score([Low; 10]), 15);
        assert_eq!(score([Critical; 50]), 99);
    }

    #[test]
    fn monotone() {
        let mut v = vec![];
        let mut last = 0;
        for s in [Low, Medium, High, Critical, Info, Low, Critical] {
            v.push(s);
            let now = score(v.clone());
            assert!(now >= last);
            last = now;
        }
    }
}
