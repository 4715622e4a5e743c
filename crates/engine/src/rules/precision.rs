//! Each rule's precision as measured: a seeded sample of its findings on the real-file corpus
//! (`../shared/corpus`) judged by reading the files (`bench/precision/measure.py` writes
//! `rules/precision.tsv` from `bench/precision/judgements.tsv`). SARIF's `precision` comes from
//! here; a rule with no judged finding falls back to the confidence it declares.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../rules/precision.tsv");

/// How many of a rule's sampled findings were judged, and how many of those were false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measured {
    pub judged: u32,
    pub false_positives: u32,
}

impl Measured {
    /// SARIF's scale from the false-positive rate. "very-high" needs at least five judged findings
    /// and none false: a clean sample of two says little.
    pub fn level(self) -> &'static str {
        let (n, fp) = (u64::from(self.judged), u64::from(self.false_positives));
        if fp == 0 && n >= 5 {
            "very-high"
        } else if fp * 10 <= n {
            "high"
        } else if fp * 100 <= n * 35 {
            "medium"
        } else {
            "low"
        }
    }
}

fn parse(text: &str) -> Result<BTreeMap<&str, Measured>, String> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            format!(
                "rules/precision.tsv:{}: expected RULE<TAB>JUDGED<TAB>FP",
                i + 1
            )
        };
        let mut parts = line.split('\t');
        let (Some(id), Some(n), Some(fp), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let (Ok(judged), Ok(false_positives)) = (n.parse(), fp.parse()) else {
            return Err(bad());
        };
        if false_positives > judged {
            return Err(bad());
        }
        out.insert(
            id,
            Measured {
                judged,
                false_positives,
            },
        );
    }
    Ok(out)
}

fn table() -> &'static BTreeMap<&'static str, Measured> {
    static T: OnceLock<BTreeMap<&'static str, Measured>> = OnceLock::new();
    // The table is build input, checked by the tests below; a broken one measures nothing.
    T.get_or_init(|| parse(TABLE).unwrap_or_default())
}

/// The rule's measured precision, if any of its findings were judged.
pub fn measured(id: &str) -> Option<Measured> {
    table().get(id).copied().filter(|m| m.judged > 0)
}

/// Every rule in the table (for listings and the docs).
pub fn all() -> impl Iterator<Item = (&'static str, Measured)> {
    table().iter().map(|(k, v)| (*k, *v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_known_rules() {
        let t = parse(TABLE).unwrap();
        let reg = crate::rules::Registry::builtin().unwrap();
        for id in t.keys() {
            assert!(
                reg.contains(id),
                "rules/precision.tsv names an unknown rule {id}"
            );
        }
    }

    #[test]
    fn levels_follow_the_false_positive_rate() {
        let m = |judged, false_positives| Measured {
            judged,
            false_positives,
        };
        assert_eq!(m(5, 0).level(), "very-high");
        assert_eq!(m(3, 0).level(), "high");
        assert_eq!(m(10, 1).level(), "high");
        assert_eq!(m(5, 1).level(), "medium");
        assert_eq!(m(20, 7).level(), "medium");
        assert_eq!(m(5, 2).level(), "low");
        assert!(parse("a/b\t3\t4\n").is_err());
        assert!(parse("a/b\t3\n").is_err());
        assert!(parse("# c\n\na/b\t3\t1\n").is_ok());
    }
}
