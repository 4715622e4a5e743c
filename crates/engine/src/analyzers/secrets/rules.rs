//! Secret rules as data: `rules/secrets/*.yaml` (embedded) plus the user's `secrets.rules`.
//! The registry reads the same files for the docs; this module reads the matching fields.

use std::sync::OnceLock;

use anyhow::{Context, bail};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use super::checks::Validator;
use crate::finding::Severity;

/// Per-rule allowlist: a match whose secret matches one of `regexes` or contains one of
/// `stopwords` (case-insensitive) is not reported.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleAllowlist {
    pub regexes: Vec<String>,
    pub stopwords: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Examples {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
}

/// One rule entry as written in YAML.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Byte regex (ASCII classes); the secret is the `secret` group, else group 1, else all.
    pub regex: String,
    /// Literals (case-insensitive) of which one must occur near a match; the prefilter.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy (bits/byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub validator: Option<Validator>,
    #[serde(default)]
    pub allowlist: RuleAllowlist,
    /// Context-based (keyword = value) rather than a provider's own token format: skipped in
    /// provider-only paths, and hashes/UUIDs/identifiers are filtered out.
    #[serde(default)]
    pub generic: bool,
    /// The match may span lines (PEM blocks).
    #[serde(default)]
    pub multiline: bool,
    /// A regex that must match the text just before the match (the [`CONTEXT_BYTES`] before
    /// it, ending where the match starts; write it ending in `\z`): the `curl` command an `-u`
    /// option belongs to, the `machine` line a `.netrc` password follows.
    #[serde(default)]
    pub context: Option<String>,
    /// The window reaches over lines ending in a `\` continuation (shell commands).
    #[serde(default)]
    pub continuation: bool,
    /// Keywords are matched case-sensitively (token prefixes such as `AKIA`, `ghp_`).
    #[serde(default)]
    pub case_sensitive: bool,
    /// A keyword starts the match: the regex runs from the keyword on, not before it.
    #[serde(default)]
    pub prefix: bool,
    /// The format itself has long runs of one character (`AAAAAAAAAA`): skip the run check.
    #[serde(default)]
    pub repeats_ok: bool,
    /// The value's slot takes no identifiers (the password of a curl `-u user:password`): a
    /// value of letters only is a credential unless it reads as words
    /// ([`super::checks::reads_as_words`]), where other generic rules take it for a name.
    #[serde(default)]
    pub letters_ok: bool,
    #[serde(default)]
    pub examples: Examples,
    // Documentation fields, read by the registry.
    #[serde(default)]
    pub what: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
    #[serde(default)]
    pub example: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub references: Option<Vec<String>>,
}

/// A rule ready to run. The regex is compiled on first use so that a pre-commit run over a
/// few files does not pay for compiling every pattern.
#[derive(Debug)]
pub struct SecretRule {
    pub spec: RuleSpec,
    pub keywords: Vec<String>,
    regex: OnceLock<Option<Compiled>>,
    allow_regexes: Vec<Regex>,
    stopwords: Vec<String>,
}

/// Bytes before a match that a rule's `context` regex sees.
pub const CONTEXT_BYTES: usize = 2048;

#[derive(Debug)]
pub struct Compiled {
    pub regex: Regex,
    /// Capture groups that may hold the secret, the first that took part is it: those named
    /// `secret`, `secret2`, `secret3`… (one per alternative), else 1, else the whole match.
    pub groups: Vec<usize>,
    pub context: Option<Regex>,
}

impl Compiled {
    fn new(regex: Regex, context: Option<Regex>) -> Compiled {
        let mut groups: Vec<usize> = regex
            .capture_names()
            .enumerate()
            .filter(|(_, n)| {
                n.is_some_and(|n| {
                    n.strip_prefix("secret")
                        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
                })
            })
            .map(|(i, _)| i)
            .collect();
        if groups.is_empty() {
            groups.push(usize::from(regex.captures_len() > 1));
        }
        Compiled {
            regex,
            groups,
            context,
        }
    }
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(32 * 1024 * 1024)
        .build()
}

impl SecretRule {
    pub fn new(spec: RuleSpec, origin: &str, eager: bool) -> anyhow::Result<SecretRule> {
        if !spec.id.starts_with("secrets/") {
            bail!(
                "{origin}: secret rule id `{}` must start with `secrets/`",
                spec.id
            );
        }
        // User rules are compiled now so that a bad pattern is a config error, not a silent
        // no-op; built-in ones on first use (the catalogue test compiles every one).
        let regex = OnceLock::new();
        if eager {
            let re = build_regex(&spec.regex)
                .with_context(|| format!("{origin}: rule `{}`: invalid regex", spec.id))?;
            let context = match &spec.context {
                Some(c) => Some(build_regex(c).with_context(|| {
                    format!("{origin}: rule `{}`: invalid context regex", spec.id)
                })?),
                None => None,
            };
            let _ = regex.set(Some(Compiled::new(re, context)));
        }
        let allow_regexes = spec
            .allowlist
            .regexes
            .iter()
            .map(|r| build_regex(r))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{origin}: rule `{}`: invalid allowlist regex", spec.id))?;
        let keywords = spec
            .keywords
            .iter()
            .map(|k| {
                if spec.case_sensitive {
                    k.clone()
                } else {
                    k.to_ascii_lowercase()
                }
            })
            .filter(|k| !k.is_empty())
            .collect();
        let stopwords = spec
            .allowlist
            .stopwords
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        Ok(SecretRule {
            spec,
            keywords,
            regex,
            allow_regexes,
            stopwords,
        })
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The compiled regex (`None` if it does not compile: the rule is inert, and the catalogue
    /// test catches that for built-in rules).
    pub fn compiled(&self) -> Option<&Compiled> {
        self.regex
            .get_or_init(|| {
                let re = build_regex(&self.spec.regex).ok()?;
                let context = match &self.spec.context {
                    Some(c) => Some(build_regex(c).ok()?),
                    None => None,
                };
                Some(Compiled::new(re, context))
            })
            .as_ref()
    }

    pub fn allowed(&self, secret: &[u8]) -> bool {
        if self.allow_regexes.iter().any(|r| r.is_match(secret)) {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    defaults: Option<serde_yaml::Mapping>,
    rules: Vec<serde_yaml::Value>,
}

/// Rule specs of one catalogue file (`defaults:` merged into each entry).
fn specs(origin: &str, file: File) -> anyhow::Result<Vec<RuleSpec>> {
    let mut out = Vec::new();
    for (i, mut entry) in file.rules.into_iter().enumerate() {
        if let (Some(defaults), Some(map)) = (&file.defaults, entry.as_mapping_mut()) {
            for (k, v) in defaults {
                if !map.contains_key(k) {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        let spec: RuleSpec =
            serde_yaml::from_value(entry).with_context(|| format!("{origin}: rule #{}", i + 1))?;
        out.push(spec);
    }
    Ok(out)
}

/// The built-in rules, parsed once.
pub fn builtin() -> anyhow::Result<&'static [SecretRule]> {
    static RULES: OnceLock<Result<Vec<SecretRule>, String>> = OnceLock::new();
    RULES
        .get_or_init(|| load_builtin().map_err(|e| format!("{e:#}")))
        .as_deref()
        .map_err(|e| anyhow::anyhow!("built-in secret rules are invalid: {e}"))
}

fn load_builtin() -> anyhow::Result<Vec<SecretRule>> {
    let mut rules = Vec::new();
    for ((path, text), (_, json)) in crate::rules::catalogue_files()
        .iter()
        .zip(crate::rules::catalogue_json())
    {
        if !path.starts_with("secrets/") {
            continue;
        }
        let origin = format!("rules/{path}");
        // Single-rule docs files in the family (e.g. `parse-error`) carry no pattern.
        if !text.contains("\nrules:") && !text.starts_with("rules:") {
            continue;
        }
        // The build script's JSON of the same document: parsed several times faster.
        let file: File =
            serde_json::from_str(json).with_context(|| format!("{origin}: invalid"))?;
        for spec in specs(&origin, file)? {
            rules.push(SecretRule::new(spec, &origin, false)?);
        }
    }
    Ok(rules)
}

/// Ids of the built-in rules, for `Analyzer::rule_ids` (leaked once: a fixed, small set).
pub fn builtin_ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| {
        builtin()
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| &*Box::leak(r.spec.id.clone().into_boxed_str()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// The user's rules from `.pipeguard.yml` `secrets.rules`.
pub fn user_rules(values: &[serde_yaml::Value]) -> anyhow::Result<Vec<SecretRule>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let spec: RuleSpec = serde_yaml::from_value(v.clone())
                .with_context(|| format!("secrets.rules #{}", i + 1))?;
            SecretRule::new(spec, &format!("secrets.rules #{}", i + 1), true)
        })
        .collect()
}
