//! `.pipeguard.yml`: the user's policy. Unknown keys and bad values are errors that name the
//! file, line and key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::finding::{Family, Persona, Severity};
use crate::rules::Registry;

/// Name of the config file looked up at the scan root.
pub const CONFIG_FILE: &str = ".pipeguard.yml";

/// `--fail-on`: the lowest severity that fails the run, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::High => "high",
            FailOn::Medium => "medium",
            FailOn::Low => "low",
            FailOn::Info => "info",
            FailOn::Never => "never",
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-rule setting: `off`, `on`, a severity, or `{ enabled: bool, severity: … }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RuleSetting {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

impl<'de> Deserialize<'de> for RuleSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            enabled: Option<bool>,
            severity: Option<Severity>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Word(String),
            Full(Full),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(b) => Ok(RuleSetting { enabled: Some(b), severity: None }),
            Raw::Word(w) => match w.to_ascii_lowercase().as_str() {
                "off" | "disabled" | "disable" | "false" => Ok(RuleSetting { enabled: Some(false), severity: None }),
                "on" | "enabled" | "enable" | "true" => Ok(RuleSetting { enabled: Some(true), severity: None }),
                other => other
                    .parse::<Severity>()
                    .map(|s| RuleSetting { enabled: Some(true), severity: Some(s) })
                    .map_err(|_| {
                        serde::de::Error::custom(format!(
                            "invalid rule setting `{w}`: expected off, on, a severity (critical, high, medium, low, info) or {{enabled, severity}}"
                        ))
                    }),
            },
            Raw::Full(f) => Ok(RuleSetting { enabled: f.enabled, severity: f.severity }),
        }
    }
}

/// A byte size: an integer, or a string like `10MB`, `512KiB`, `1G`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => parse_size(&s)
                .map(ByteSize)
                .map_err(serde::de::Error::custom),
        }
    }
}

pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num
        .parse()
        .map_err(|_| format!("invalid size `{s}` (examples: 10MB, 512KiB, 1048576)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(format!("invalid size unit in `{s}` (use B, KB, MB or GB)")),
    };
    Ok((num * mult as f64) as u64)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Named gates and the highest risk score each accepts, e.g. `{dev: 70, prod: 20}`.
    pub gates: BTreeMap<String, u8>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubConfig {
    /// Action owners exempt from `github/unpinned-action` (e.g. `actions`, your org).
    pub trusted_action_owners: Vec<String>,
    /// Bot logins treated as trusted actors (e.g. `dependabot[bot]`).
    pub trusted_bots: Vec<String>,
    /// `github/forbidden-uses`: an allow-list or a deny-list of `uses:` patterns
    /// (`owner/repo[/path][@ref]`, `owner/*`, `*`). Unset: the rule is silent.
    pub forbidden_uses: Option<ForbiddenUses>,
    /// `github/dependabot-cooldown`: the fewest days an update entry must wait after a release
    /// (default 7).
    pub dependabot_cooldown_days: Option<u32>,
    /// Hosts (and their subdomains) any secret may be sent to (`github/secret-exfiltration`),
    /// e.g. `deploy.example.com`, `example.com`.
    pub allowed_secret_hosts: Vec<String>,
    /// Secret names `github/secrets-outside-env` accepts outside a deployment environment
    /// (case-insensitive; `GITHUB_TOKEN` always is).
    pub secrets_outside_env_allow: Vec<String>,
}

/// `github.forbidden_uses`: exactly one of `allow:` or `deny:` (checked when the config loads).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForbiddenUses {
    /// Only `uses:` matching one of these patterns are allowed.
    pub allow: Option<Vec<String>>,
    /// `uses:` matching one of these patterns are forbidden.
    pub deny: Option<Vec<String>>,
}

impl ForbiddenUses {
    /// `(true, patterns)` for an allow-list, `(false, patterns)` for a deny-list.
    pub fn mode(&self) -> Option<(bool, &[String])> {
        match (&self.allow, &self.deny) {
            (Some(a), None) => Some((true, a)),
            (None, Some(d)) => Some((false, d)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerConfig {
    /// Registries base images may come from (`docker/untrusted-registry`), e.g.
    /// `registry.example.com`, `ghcr.io/acme`. Empty: the rule is silent.
    pub trusted_registries: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesConfig {
    /// Label holding a workload's sensitivity level (`kubernetes/sensitivity-unpinned`).
    pub sensitivity_label: String,
}

impl Default for KubernetesConfig {
    fn default() -> Self {
        KubernetesConfig {
            sensitivity_label: "sensitivity".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerraformConfig {}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JenkinsConfig {}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsAllowlist {
    /// gitignore-style globs of paths whose secrets are not reported.
    pub paths: Vec<String>,
    /// Regexes; a match that also matches one of these is not reported.
    pub regexes: Vec<String>,
    /// Words; a match containing one of these (case-insensitive) is not reported.
    pub stopwords: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    pub allowlist: SecretsAllowlist,
    /// User secret rules, same shape as `rules/secrets/*.yaml` entries.
    pub rules: Vec<serde_yaml::Value>,
    /// Which secret rules run on which paths (first match wins, before the built-in policies).
    pub paths: Vec<SecretsPathPolicy>,
    /// Built-in policies: lockfiles, minified bundles and vendored trees get provider-format
    /// rules only (no generic `password = …` rules).
    pub builtin_path_policies: bool,
    /// How many decodings deep encoded values (base64, hex, percent) are followed; 0 = off.
    pub decode_depth: u8,
    /// Archive members (zip, jar, tar, compressed tars, image layers) are scanned.
    pub archives: bool,
    /// How many archives deep members are opened (an archive inside an archive is depth 2).
    pub archive_depth: u8,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            allowlist: SecretsAllowlist::default(),
            rules: Vec::new(),
            paths: Vec::new(),
            builtin_path_policies: true,
            decode_depth: 2,
            archives: true,
            archive_depth: 2,
        }
    }
}

/// `secrets.paths` entry: gitignore-style globs and the mode for matching files.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsPathPolicy {
    pub paths: Vec<String>,
    pub mode: SecretsPathMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretsPathMode {
    /// Every rule.
    Full,
    /// Provider-format rules only (no generic keyword = value rules).
    ProviderOnly,
    /// No secret rules.
    Off,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Author associations trusted to run CI with secrets.
    pub trusted_associations: Vec<String>,
    pub trusted_users: Vec<String>,
    /// `org/team` slugs whose members are trusted (needs a token).
    pub trusted_teams: Vec<String>,
    pub trusted_bots: Vec<String>,
    /// A label that, added after the last push by a trusted user, allows the run.
    pub safe_to_test_label: Option<String>,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            trusted_associations: vec!["OWNER".into(), "MEMBER".into(), "COLLABORATOR".into()],
            trusted_users: Vec::new(),
            trusted_teams: Vec::new(),
            trusted_bots: Vec::new(),
            safe_to_test_label: None,
        }
    }
}

/// How inline `pipeguard:ignore[…]` comments are honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InlineIgnores {
    /// Every directive in the scanned file.
    On,
    /// None.
    Off,
    /// In trusted mode, only a directive the file also has at the trusted ref (outside trusted
    /// mode the same as `on`).
    TrustedOnly,
}

/// The whole policy file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How broad the scan is: rules and findings above this persona are not reported (default
    /// regular; overridden by `--persona`).
    pub persona: Option<Persona>,
    /// Lowest severity that fails `scan` (overridden by `--fail-on`).
    pub fail_on: Option<FailOn>,
    /// Rule id (or `family/*`) → setting.
    pub rules: BTreeMap<String, RuleSetting>,
    /// gitignore-style globs of paths not to scan.
    pub exclude: Vec<String>,
    /// Files larger than this are skipped with a note (default 10 MiB).
    pub max_file_size: Option<ByteSize>,
    /// Which inline `pipeguard:ignore[…]` comments count (default: `trusted-only` in trusted
    /// mode, `on` otherwise).
    pub inline_ignores: Option<InlineIgnores>,
    pub risk: RiskConfig,
    pub github: GithubConfig,
    pub jenkins: JenkinsConfig,
    pub docker: DockerConfig,
    pub kubernetes: KubernetesConfig,
    pub terraform: TerraformConfig,
    pub secrets: SecretsConfig,
    pub gate: GateConfig,

    /// Where it was loaded from (for messages).
    #[serde(skip)]
    pub origin: Option<String>,
    /// SHA-256 of the config bytes (empty config: of the empty string); goes into attestations.
    #[serde(skip)]
    pub digest: String,
}

/// A config error located in the file.
#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The check of a config section that belongs to an analyzer (the `secrets` section is the
/// secrets analyzer's: custom rules, allowlists, path policies), called while the config loads.
pub trait SectionCheck: Sync {
    /// The top-level key it checks, for the error's location.
    fn section(&self) -> &'static str;
    fn check(&self, config: &Config) -> anyhow::Result<()>;
}

/// What a config is validated against: the rule catalogue (rule ids in `rules:`) and the
/// analyzers' section checks (`crate::analyzers::config_schema` gathers them).
#[derive(Clone, Copy)]
pub struct Schema<'a> {
    pub registry: &'a Registry,
    pub sections: &'a [&'a dyn SectionCheck],
}

impl Config {
    /// Parse and validate config text. `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str, schema: &Schema<'_>) -> Result<Config, ConfigError> {
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| {
                let loc = e.location();
                ConfigError {
                    file: origin.to_string(),
                    line: loc.as_ref().map(serde_yaml::Location::line),
                    column: loc.as_ref().map(serde_yaml::Location::column),
                    message: strip_location(&e.to_string()),
                }
            })?
        };
        config.origin = Some(origin.to_string());
        config.digest = crate::finding::sha256_hex(text.as_bytes());
        config.validate(text, origin, schema)?;
        Ok(config)
    }

    /// Load `path`.
    pub fn load(path: &Path, schema: &Schema<'_>) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        Ok(Config::parse(&text, &path.display().to_string(), schema)?)
    }

    /// The config for a scan of `root`: `explicit` if given, else `root/.pipeguard.yml` if it
    /// exists, else defaults.
    pub fn discover(
        root: &Path,
        explicit: Option<&Path>,
        schema: &Schema<'_>,
    ) -> anyhow::Result<Config> {
        if let Some(p) = explicit {
            return Config::load(p, schema);
        }
        let dir: PathBuf = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            root.to_path_buf()
        };
        let candidate = dir.join(CONFIG_FILE);
        if candidate.is_file() {
            Config::load(&candidate, schema)
        } else {
            Ok(Config {
                digest: crate::finding::sha256_hex(b""),
                ..Config::default()
            })
        }
    }

    fn validate(&self, text: &str, origin: &str, schema: &Schema<'_>) -> Result<(), ConfigError> {
        let registry = schema.registry;
        let err = |route: &[&str], message: String| {
            let (line, column) = locate(text, route);
            ConfigError {
                file: origin.to_string(),
                line,
                column,
                message,
            }
        };
        for key in self.rules.keys() {
            let known = if key == "*" {
                true
            } else if let Some(fam) = key.strip_suffix("/*") {
                fam.parse::<Family>().is_ok()
            } else {
                registry.contains(key) || self.is_custom_secret_rule(key)
            };
            if !known {
                let hint = registry
                    .suggest(key)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(err(
                    &["rules", key],
                    format!("unknown rule `{key}` in `rules`{hint}; `pipeguard rules` lists them"),
                ));
            }
        }
        for pat in &self.exclude {
            if let Err(e) = ignore::gitignore::GitignoreBuilder::new("/").add_line(None, pat) {
                return Err(err(
                    &["exclude"],
                    format!("invalid pattern `{pat}` in `exclude`: {e}"),
                ));
            }
        }
        for (name, max) in &self.risk.gates {
            if *max > 100 {
                return Err(err(
                    &["risk", "gates", name],
                    format!("risk gate `{name}`: {max} is out of range (risk scores are 0–100)"),
                ));
            }
        }
        for c in schema.sections {
            if let Err(e) = c.check(self) {
                return Err(err(&[c.section()], format!("{e:#}")));
            }
        }
        for re in &self.secrets.allowlist.regexes {
            if let Err(e) = regex::Regex::new(re) {
                return Err(err(
                    &["secrets", "allowlist", "regexes"],
                    format!("invalid regex in `secrets.allowlist.regexes`: {e}"),
                ));
            }
        }
        Ok(())
    }

    fn is_custom_secret_rule(&self, id: &str) -> bool {
        self.secrets
            .rules
            .iter()
            .any(|r| r.get("id").and_then(serde_yaml::Value::as_str) == Some(id))
    }

    /// Whether a rule runs (config setting, then family glob, then `*`; default on).
    pub fn rule_enabled(&self, id: &str) -> bool {
        self.setting(id, |s| s.enabled).unwrap_or(true)
    }

    /// Severity override from the config, if any.
    pub fn severity_override(&self, id: &str) -> Option<Severity> {
        self.setting(id, |s| s.severity)
    }

    fn setting<T>(&self, id: &str, get: impl Fn(&RuleSetting) -> Option<T>) -> Option<T> {
        if let Some(v) = self.rules.get(id).and_then(&get) {
            return Some(v);
        }
        if let Some((fam, _)) = id.split_once('/')
            && let Some(v) = self.rules.get(&format!("{fam}/*")).and_then(&get)
        {
            return Some(v);
        }
        self.rules.get("*").and_then(get)
    }

    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
            .map_or(crate::discover::DEFAULT_MAX_FILE_SIZE, |b| b.0)
    }
}

/// serde_yaml appends " at line X column Y"; we print the location as a prefix instead.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Line and column of the key at `route` (a path of mapping keys), found with a real YAML
/// parser (yamlpath); falls back to the deepest existing parent.
pub fn locate(text: &str, route: &[&str]) -> (Option<usize>, Option<usize>) {
    let Ok(doc) = yamlpath::Document::new(text) else {
        return (None, None);
    };
    for depth in (1..=route.len()).rev() {
        let query = yamlpath::Route::from(
            route[..depth]
                .iter()
                .map(|k| yamlpath::Component::from(*k))
                .collect::<Vec<_>>(),
        );
        if let Ok(feature) = doc.query_key_only(&query) {
            let ((row, col), _) = feature.location.point_span;
            return (Some(row + 1), Some(col + 1));
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Schema<'static> {
        crate::analyzers::config_schema(Registry::builtin().unwrap())
    }

    #[test]
    fn empty_config_is_default() {
        let c = Config::parse("", "c.yml", &reg()).unwrap();
        assert!(c.rules.is_empty());
        assert_eq!(c.max_file_size(), crate::discover::DEFAULT_MAX_FILE_SIZE);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e =
            Config::parse("fail_on: high\nfial_on: low\n", ".pipeguard.yml", &reg()).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with(".pipeguard.yml:2:"), "{s}");
        assert!(s.contains("fial_on"), "{s}");
    }

    #[test]
    fn bad_value_is_located() {
        let e = Config::parse("docker:\n  trusted_registries: 3\n", "p.yml", &reg()).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = Config::parse("fail_on: sometimes\n", "p.yml", &reg()).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
    }

    #[test]
    fn github_forbidden_uses_is_checked() {
        let ok = "github:\n  forbidden_uses:\n    allow: [actions/*, acme/tool@v1]\n";
        let c = Config::parse(ok, "p.yml", &reg()).unwrap();
        assert!(c.github.forbidden_uses.unwrap().mode().unwrap().0);
        for bad in [
            "github:\n  forbidden_uses:\n    allow: [\"*/*\"]\n",
            "github:\n  forbidden_uses:\n    allow: [a/b]\n    deny: [c/d]\n",
            "github:\n  forbidden_uses:\n    mystery: [a/b]\n",
            "github:\n  dependabot_cooldown_days: 0\n",
        ] {
            let e = Config::parse(bad, "p.yml", &reg()).unwrap_err();
            assert!(e.line.is_some(), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_rule_is_located_with_suggestion() {
        let e = Config::parse(
            "fail_on: high\nrules:\n  docker/root-usr: off\n",
            "p.yml",
            &reg(),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(3)), "{e}");
        assert!(e.message.contains("did you mean `docker/root-user`"), "{e}");
    }

    #[test]
    fn rule_settings_and_globs() {
        let c = Config::parse(
            "rules:\n  docker/*: low\n  docker/root-user: off\n  docker/unpinned-base: {severity: critical}\n",
            "p.yml",
            &reg(),
        )
        .unwrap();
        assert!(!c.rule_enabled("docker/root-user"));
        assert!(c.rule_enabled("docker/unpinned-base"));
        assert_eq!(
            c.severity_override("docker/unpinned-base"),
            Some(Severity::Critical)
        );
        assert_eq!(
            c.severity_override("docker/base-not-digest"),
            Some(Severity::Low)
        );
        assert_eq!(c.severity_override("github/x"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("ten").is_err());
        let c = Config::parse("max_file_size: 1KB\n", "p", &reg()).unwrap();
        assert_eq!(c.max_file_size(), 1024);
        assert!(Config::parse("max_file_size: 1XB\n", "p", &reg()).is_err());
    }

    #[test]
    fn risk_gate_range() {
        let e = Config::parse("risk:\n  gates:\n    prod: 120\n", "p", &reg()).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }
}
