//! The finding model shared by every analyzer and every report.
//!
//! Analyzers build findings with [`Finding::new`] and the builder methods; the policy stage fills
//! in what the rule registry and the configuration decide (severity, remediation, tags) and
//! computes the fingerprint, then redacts snippets. Reports only read.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::source::SourceFile;
pub use crate::source::{Position, Snippet, Span};

/// Severity, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// Rule families; the part of a rule id before the `/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Github,
    Jenkins,
    Docker,
    Compose,
    Kubernetes,
    Terraform,
    Secrets,
    Drift,
    /// Findings about the policy itself: suppressions a change added in trusted mode (reported
    /// by the engine, not a scan family: not in `ALL`).
    #[cfg_attr(feature = "clap", value(skip))]
    Policy,
    /// `pipeguard registry audit`: images in a registry (not a scan family: not in `ALL`).
    #[cfg_attr(feature = "clap", value(skip))]
    Registry,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::Github,
        Family::Jenkins,
        Family::Docker,
        Family::Compose,
        Family::Kubernetes,
        Family::Terraform,
        Family::Secrets,
        Family::Drift,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Github => "github",
            Family::Jenkins => "jenkins",
            Family::Docker => "docker",
            Family::Compose => "compose",
            Family::Kubernetes => "kubernetes",
            Family::Terraform => "terraform",
            Family::Secrets => "secrets",
            Family::Drift => "drift",
            Family::Policy => "policy",
            Family::Registry => "registry",
        }
    }

    /// The family of a rule id (`docker/root-user` → Docker).
    pub fn of_rule(rule_id: &str) -> Option<Family> {
        let prefix = rule_id.split('/').next()?;
        Family::ALL
            .into_iter()
            .chain([Family::Policy, Family::Registry])
            .find(|f| f.as_str() == prefix)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let hint = Family::ALL
                    .into_iter()
                    .map(|f| (edit_distance(f.as_str(), &s.to_ascii_lowercase()), f))
                    .filter(|(d, _)| *d <= 3)
                    .min_by_key(|(d, _)| *d)
                    .map(|(_, f)| format!(" (did you mean `{f}`?)"))
                    .unwrap_or_default();
                format!(
                    "unknown family `{s}`{hint} (expected one of {})",
                    Family::ALL.map(Family::as_str).join(", ")
                )
            })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Location {
    pub fn new(path: &str, span: Span) -> Self {
        Location {
            path: path.to_string(),
            start_line: span.start.line,
            start_column: span.start.column,
            end_line: span.end.line,
            end_column: span.end.column,
        }
    }

    /// A whole-file location (line 1), for findings about a file rather than a place in it.
    pub fn file(path: &str) -> Self {
        Location {
            path: path.to_string(),
            start_line: 1,
            start_column: 1,
            end_line: 1,
            end_column: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// A region of a snippet line that must never be shown (a secret value).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Redaction {
    pub path: String,
    pub line: u32,
    /// Char columns, 1-based, end exclusive.
    pub start_column: u32,
    pub end_column: u32,
}

/// Where a finding came from in git history (secrets `--history`, drift `--against`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Provenance {
    pub commit: String,
    pub author: String,
    /// RFC 3339 commit date.
    pub date: String,
}

/// A finding as reported, after the policy decided its severity, remediation, tags and
/// fingerprint and redacted its snippet. Reports only read these.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
    pub remediation: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// Rule-specific facts (e.g. the secret's provider, the trigger); sorted for stable output.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Lowest persona that reports it (omitted: regular).
    #[serde(default, skip_serializing_if = "Persona::is_regular")]
    pub persona: Persona,
    /// How likely it is a true positive (omitted: high).
    #[serde(default, skip_serializing_if = "Confidence::is_high")]
    pub confidence: Confidence,
}

impl Finding {
    pub fn family(&self) -> Option<Family> {
        Family::of_rule(&self.rule_id)
    }

    /// Sort key: path, position, rule, message — deterministic output order.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.location.path,
            self.location.start_line,
            self.location.start_column,
            &self.rule_id,
            &self.message,
        )
    }
}

/// How broad a scan is: `regular` reports what is almost always a real problem, `pedantic`
/// adds what is usually worth fixing, `auditor` everything that could matter.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    #[default]
    Regular,
    Pedantic,
    Auditor,
}

/// How likely a finding is a true positive (SARIF `precision`, `rank`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    #[default]
    High,
}

impl Persona {
    pub fn as_str(self) -> &'static str {
        match self {
            Persona::Regular => "regular",
            Persona::Pedantic => "pedantic",
            Persona::Auditor => "auditor",
        }
    }
    pub fn is_regular(&self) -> bool {
        *self == Persona::Regular
    }
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
    pub fn is_high(&self) -> bool {
        *self == Confidence::High
    }
}

/// What an analyzer reports: a rule, a place, a message, and what the policy needs to resolve
/// it into a [`Finding`] — the rule's severity for this occurrence, the content the fingerprint
/// is computed from, and the ranges that must be redacted everywhere.
#[derive(Clone, Debug)]
pub struct RawFinding {
    pub rule_id: String,
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    pub snippet: Option<Snippet>,
    /// Remediation specific to this occurrence (empty: the rule's documented fix).
    pub remediation: String,
    pub tags: Vec<String>,
    pub provenance: Option<Provenance>,
    pub properties: BTreeMap<String, String>,
    /// Severity chosen by the rule for this occurrence (else the registry default).
    pub severity_hint: Option<Severity>,
    /// Lowest persona that reports this occurrence (else the rule's).
    pub persona: Option<Persona>,
    /// Confidence of this occurrence (else the rule's).
    pub confidence: Option<Confidence>,
    /// Normalised content the fingerprint is computed from (else the primary span's text).
    pub(crate) content: String,
    pub(crate) redactions: Vec<Redaction>,
    pub(crate) secret_values: Vec<String>,
}

impl RawFinding {
    /// A finding of `rule_id` at `range` of `file`. The primary span's text (whitespace-normalised)
    /// is the default fingerprint content, so moving the code does not change the fingerprint.
    pub fn new(
        rule_id: impl AsRef<str>,
        file: &SourceFile,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let span = file.span(range.clone());
        let start = range.start.min(file.text.len());
        let end = range.end.clamp(start, file.text.len());
        let content = file
            .text
            .get(start..end)
            .map(normalize_whitespace)
            .unwrap_or_default();
        RawFinding {
            rule_id: rule_id.as_ref().to_string(),
            message: message.into(),
            location: Location::new(&file.path, span),
            related: Vec::new(),
            snippet: Some(file.snippet(&span)),
            remediation: String::new(),
            tags: Vec::new(),
            provenance: None,
            properties: BTreeMap::new(),
            severity_hint: None,
            persona: None,
            confidence: None,
            content,
            redactions: Vec::new(),
            secret_values: Vec::new(),
        }
    }

    /// A finding about a whole file or about something that has no text (e.g. a removed job).
    pub fn at(rule_id: impl AsRef<str>, location: Location, message: impl Into<String>) -> Self {
        RawFinding {
            rule_id: rule_id.as_ref().to_string(),
            message: message.into(),
            location,
            related: Vec::new(),
            snippet: None,
            remediation: String::new(),
            tags: Vec::new(),
            provenance: None,
            properties: BTreeMap::new(),
            severity_hint: None,
            persona: None,
            confidence: None,
            content: String::new(),
            redactions: Vec::new(),
            secret_values: Vec::new(),
        }
    }

    #[must_use]
    pub fn related(
        mut self,
        file: &SourceFile,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            location: Location::new(&file.path, file.span(range)),
            message: message.into(),
        });
        self
    }

    #[must_use]
    pub fn related_at(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// Override the fingerprint content (e.g. job id + step name instead of the raw text).
    #[must_use]
    pub fn content(mut self, content: impl AsRef<str>) -> Self {
        self.content = normalize_whitespace(content.as_ref());
        self
    }

    /// Severity for this occurrence when it differs from the rule's default.
    #[must_use]
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity_hint = Some(severity);
        self
    }

    /// Lowest persona that reports this occurrence when it differs from the rule's.
    #[must_use]
    pub fn persona(mut self, persona: Persona) -> Self {
        self.persona = Some(persona);
        self
    }

    /// Confidence of this occurrence when it differs from the rule's.
    #[must_use]
    pub fn confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = Some(confidence);
        self
    }

    /// Remediation specific to this occurrence (else the rule's documented fix).
    #[must_use]
    pub fn remediation(mut self, text: impl Into<String>) -> Self {
        self.remediation = text.into();
        self
    }

    #[must_use]
    pub fn property(mut self, key: &str, value: impl Into<String>) -> Self {
        self.properties.insert(key.to_string(), value.into());
        self
    }

    #[must_use]
    pub fn provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = Some(provenance);
        self
    }

    /// Mark a byte range of `file` (a secret value) that must never appear in any output. The
    /// fingerprint content is replaced by a hash so the value does not survive in memory dumps
    /// of reports either.
    #[must_use]
    pub fn redact(mut self, file: &SourceFile, range: Range<usize>) -> Self {
        self.redactions.extend(redactions_for(file, range.clone()));
        let value = file.text.get(range).unwrap_or_default();
        if !value.is_empty() {
            self.secret_values.push(value.to_string());
        }
        if !value.is_empty() && self.content.contains(value) {
            self.content = self
                .content
                .replace(value, &format!("<secret:{}>", short_hash(value)));
        }
        self
    }

    pub(crate) fn fingerprint_content(&self) -> &str {
        &self.content
    }

    pub(crate) fn take_redactions(&mut self) -> Vec<Redaction> {
        std::mem::take(&mut self.redactions)
    }

    /// The secret values this finding marked (for the run's one redaction pass).
    pub fn secret_values(&self) -> &[String] {
        &self.secret_values
    }
}

/// Per-line redactions covering a byte range that may span lines.
pub fn redactions_for(file: &SourceFile, range: Range<usize>) -> Vec<Redaction> {
    let mut out = Vec::new();
    if range.is_empty() {
        return out;
    }
    let first = file.line_index(range.start);
    let last = file.line_index(range.end.saturating_sub(1));
    for li in first..=last {
        let lr = file.line_range(li);
        let s = range.start.max(lr.start);
        let e = range.end.min(lr.end);
        if s >= e {
            continue;
        }
        let sp = file.position(s);
        let ep = file.position(e);
        out.push(Redaction {
            path: file.path.clone(),
            line: li as u32 + 1,
            start_column: sp.column,
            end_column: ep.column,
        });
    }
    out
}

/// Collapse runs of whitespace so re-indentation does not change fingerprints.
pub fn normalize_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-case hex of SHA-256.
pub use pipeguard_attest::hash::{hex, sha256_hex};

fn short_hash(value: &str) -> String {
    sha256_hex(value.as_bytes())[..16].to_string()
}

/// Mask a secret for display: at most a 4-character prefix and the length.
pub fn mask_secret(value: &str) -> String {
    let n = value.chars().count();
    let shown = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let prefix: String = value.chars().take(shown).collect();
    format!("{prefix}…[redacted {n} chars]")
}

/// A credential that CI jobs can reach: a GitHub `secrets.X`, a Jenkins credential id. The
/// analyzers record these facts; the report joins them into "credentials reachable from CI".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CiCredential {
    /// `github` or `jenkins`.
    pub system: String,
    /// Secret name or credential id (never a value).
    pub name: String,
    /// Workflow / Jenkinsfile / job path, and the job (or stage) id inside it.
    pub path: String,
    pub job: String,
    /// Triggers that can start the job (e.g. `push`, `pull_request_target`).
    pub triggers: Vec<String>,
    /// Reachable by code an outside contributor controls (fork PR code, comment text…).
    pub untrusted: bool,
    pub location: Location,
}

/// A problem with the scan itself rather than with the scanned code: a file that could not be
/// read or was skipped. Errors make the exit code 2 (unless the policy already failed).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub path: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// The file could not be analysed (unreadable, unparseable): the scan is incomplete.
    Error,
    /// The file was skipped on purpose (binary, oversized, symlink out of the root) or decoded lossily.
    Note,
}

impl Diagnostic {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Error,
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn note(path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Note,
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Levenshtein distance (for "did you mean" suggestions).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn family_of_rule() {
        assert_eq!(Family::of_rule("docker/root-user"), Some(Family::Docker));
        assert_eq!(Family::of_rule("nope/x"), None);
    }

    #[test]
    fn redaction_spans_lines_and_hides_content() {
        let f = SourceFile::new("a", FileKind::Other, "key = \"abcd\nefgh\"\n".into());
        let secret = 7..16;
        let fi = RawFinding::new("secrets/x", &f, 0..17, "m").redact(&f, secret);
        assert_eq!(fi.redactions.len(), 2);
        assert_eq!(fi.redactions[0].line, 1);
        assert_eq!(
            (fi.redactions[0].start_column, fi.redactions[0].end_column),
            (8, 12)
        );
        assert_eq!(
            (fi.redactions[1].start_column, fi.redactions[1].end_column),
            (1, 5)
        );
    }

    #[test]
    fn mask_shows_prefix_and_length_only() {
        assert_eq!(
            mask_secret("ghp_abcdefghijklmnop"),
            "ghp_…[redacted 20 chars]"
        );
        assert_eq!(mask_secret("short"), "…[redacted 5 chars]");
    }
}
