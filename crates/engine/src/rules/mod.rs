//! The rule registry: every rule's id, default severity, title and docs, loaded from the YAML
//! catalogue in `rules/` (embedded at build time) and extended by user-defined rules.
//!
//! A catalogue file holds either one rule (a mapping with `id`) or a list under `rules:`, with
//! optional `defaults:` merged into each entry (used by the secret patterns, which share docs).
//! Fields the registry does not know (regexes, keywords…) belong to the analyzer that reads the
//! same file and are ignored here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::finding::{Family, Severity};

pub mod precision;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));
}

mod ids {
    use crate::finding::{Family, Severity};
    include!(concat!(env!("OUT_DIR"), "/rule_ids.rs"));
}
pub use ids::RuleId;

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The embedded catalogue files: (path under `rules/`, text).
pub fn catalogue_files() -> &'static [(&'static str, &'static str)] {
    embedded::RULE_FILES
}

/// The embedded catalogue files as (path under `rules/`, the same document converted to JSON at
/// build time), in the order of [`catalogue_files`].
pub fn catalogue_json() -> impl Iterator<Item = (&'static str, &'static str)> {
    embedded::RULE_FILES
        .iter()
        .zip(embedded::RULE_FILES_JSON)
        .map(|((path, _), json)| (*path, *json))
}

/// One rule's metadata and documentation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RuleMeta {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    /// What it finds.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// An example that triggers it.
    pub example: String,
    /// How to fix it.
    pub fix: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// Catalogue file it came from (empty for user rules).
    #[serde(default, skip_deserializing)]
    pub source: String,
}

impl RuleMeta {
    pub fn family(&self) -> Option<Family> {
        Family::of_rule(&self.id)
    }

    /// The part of the id after the family (`root-user`).
    pub fn name(&self) -> &str {
        self.id.split_once('/').map_or(&self.id, |(_, n)| n)
    }

    /// Markdown docs, as `explain` and SARIF help print them.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "## {} — {}\n\nDefault severity: **{}**",
            self.id, self.title, self.severity
        );
        if !self.tags.is_empty() {
            s.push_str(&format!(" · Tags: {}", self.tags.join(", ")));
        }
        s.push_str(&format!(
            "\n\n### What it finds\n{}\n\n### Why it matters\n{}\n\n### Example\n```\n{}\n```\n\n### How to fix it\n{}\n",
            self.what.trim(),
            self.why.trim(),
            self.example.trim_end(),
            self.fix.trim()
        ));
        if !self.references.is_empty() {
            s.push_str("\n### References\n");
            for r in &self.references {
                s.push_str(&format!("- {r}\n"));
            }
        }
        s
    }
}

#[derive(Deserialize)]
struct CatalogueFile {
    #[serde(default)]
    defaults: Option<serde_yaml::Mapping>,
    #[serde(default)]
    rules: Option<Vec<serde_yaml::Value>>,
}

/// The registry of known rules, by id.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    rules: BTreeMap<String, RuleMeta>,
}

impl Registry {
    /// The built-in catalogue. The catalogue is part of the binary, so a broken entry is a
    /// build defect caught by the test suite; at run time it is reported as an error.
    pub fn builtin() -> anyhow::Result<&'static Registry> {
        static REG: OnceLock<Result<Registry, String>> = OnceLock::new();
        REG.get_or_init(|| Registry::from_files(catalogue_json()).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("built-in rule catalogue is invalid: {e}"))
    }

    /// A registry of catalogue files given as (path under `rules/`, JSON document).
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> anyhow::Result<Registry> {
        let mut reg = Registry::default();
        for (path, json) in files {
            for meta in parse_catalogue(path, json)? {
                reg.insert(meta)?;
            }
        }
        Ok(reg)
    }

    pub fn insert(&mut self, meta: RuleMeta) -> anyhow::Result<()> {
        if Family::of_rule(&meta.id).is_none() || !is_kebab_id(&meta.id) {
            bail!(
                "{}: rule id `{}` is not `family/kebab-name` with a known family",
                meta.source,
                meta.id
            );
        }
        if let Some(prev) = self.rules.get(&meta.id) {
            bail!(
                "rule `{}` is defined twice ({} and {})",
                meta.id,
                prev.source,
                meta.source
            );
        }
        self.rules.insert(meta.id.clone(), meta);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.rules.contains_key(id)
    }

    /// All rules, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &RuleMeta> {
        self.rules.values()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The closest known id, for "did you mean" in config errors.
    pub fn suggest(&self, id: &str) -> Option<&str> {
        self.rules
            .keys()
            .map(|k| (edit_distance(k, id), k))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, k)| k.as_str())
    }
}

fn is_kebab_id(id: &str) -> bool {
    let Some((fam, name)) = id.split_once('/') else {
        return false;
    };
    !fam.is_empty()
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// One catalogue file; `json` is its YAML converted to JSON by the build script.
fn parse_catalogue(path: &str, json: &str) -> anyhow::Result<Vec<RuleMeta>> {
    let value: serde_yaml::Value =
        serde_json::from_str(json).with_context(|| format!("rules/{path}: invalid document"))?;
    let mut out = Vec::new();
    if value.get("rules").is_some() {
        let file: CatalogueFile =
            serde_yaml::from_value(value).with_context(|| format!("rules/{path}"))?;
        for (i, mut entry) in file.rules.unwrap_or_default().into_iter().enumerate() {
            if let (Some(defaults), Some(map)) = (&file.defaults, entry.as_mapping_mut()) {
                for (k, v) in defaults {
                    if !map.contains_key(k) {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
            let mut meta: RuleMeta = serde_yaml::from_value(entry)
                .with_context(|| format!("rules/{path}: rule #{}", i + 1))?;
            meta.source = format!("rules/{path}");
            out.push(meta);
        }
    } else {
        let mut meta: RuleMeta =
            serde_yaml::from_value(value).with_context(|| format!("rules/{path}"))?;
        meta.source = format!("rules/{path}");
        out.push(meta);
    }
    Ok(out)
}

/// Levenshtein distance (small strings only: rule ids).
pub use crate::finding::edit_distance;

/// SHA-256 over the embedded catalogue (paths and contents, in order): identifies the rule set
/// an attestation was produced with.
pub fn catalogue_digest() -> String {
    let mut bytes = Vec::new();
    for (path, text) in catalogue_files() {
        bytes.extend_from_slice(path.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
    }
    crate::finding::sha256_hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads() {
        let reg = Registry::builtin().expect("catalogue parses");
        assert!(!reg.is_empty());
    }

    #[test]
    fn list_files_with_defaults() {
        let text = "defaults:\n  severity: high\n  why: w\n  fix: f\nrules:\n  - id: secrets/a\n    title: A\n    what: x\n    example: e\n    regex: 'abc'\n";
        let json = serde_yaml::from_str::<serde_json::Value>(text)
            .unwrap()
            .to_string();
        let metas = parse_catalogue("secrets/t.yaml", &json).unwrap();
        assert_eq!(metas.len(), 1);
        assert_eq!(metas[0].severity, Severity::High);
        assert_eq!(metas[0].fix, "f");
    }

    #[test]
    fn bad_ids_are_rejected() {
        let mut reg = Registry::default();
        let m = |id: &str| RuleMeta {
            id: id.into(),
            severity: Severity::Low,
            title: String::new(),
            what: String::new(),
            why: String::new(),
            example: String::new(),
            fix: String::new(),
            tags: vec![],
            references: vec![],
            source: "t".into(),
        };
        assert!(reg.insert(m("docker/Root_User")).is_err());
        assert!(reg.insert(m("nofamily/x")).is_err());
        assert!(reg.insert(m("docker/ok-1")).is_ok());
        assert!(reg.insert(m("docker/ok-1")).is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
