//! Baselines: the fingerprints of findings accepted when pipeguard was adopted. A scan with
//! `--baseline FILE` reports only findings whose fingerprint is not in the file.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::finding::Finding;

pub const BASELINE_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
    /// Informational: where it was when recorded (matching uses the fingerprint only).
    pub line: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.location.path.clone(),
                line: f.location.start_line,
            })
            .collect();
        entries.sort();
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: BASELINE_VERSION,
            tool: format!("pipeguard {}", env!("CARGO_PKG_VERSION")),
            findings: entries,
        }
    }

    pub fn load(path: &Path) -> anyhow::Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        Baseline::parse(&text, &path.display().to_string())
    }

    /// A baseline's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Baseline> {
        let b: Baseline = serde_json::from_str(text)
            .with_context(|| format!("{origin}: not a pipeguard baseline"))?;
        if b.version != BASELINE_VERSION {
            anyhow::bail!(
                "{origin}: baseline version {} is not supported (expected {BASELINE_VERSION})",
                b.version
            );
        }
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }
}
