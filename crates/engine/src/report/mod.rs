//! Reports: one `Report` value rendered in every output format. Reports never parse or read
//! files; everything they print is in the `Report` (snippets are already redacted).

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod neutral;
pub mod sarif;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::drift::classify::JobDiff;
use crate::finding::CiCredential;
use crate::finding::{Diagnostic, DiagnosticLevel, Finding, Location};
use crate::policy::{Summary, Suppressed};
use crate::redact::Redactor;
use crate::rules::{Registry, RuleMeta};
use crate::source::FileKind;

/// Version of the JSON report layout (docs/json-report.md).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Junit,
    Markdown,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn current() -> Tool {
        Tool {
            name: "pipeguard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileStats {
    /// Files read and handed to the analyzers.
    pub scanned: usize,
    pub by_kind: BTreeMap<FileKind, usize>,
    /// Files left out on purpose (binary, oversized, symlinks out of the root).
    pub skipped: usize,
    /// Files that could not be read or parsed.
    pub failed: usize,
}

/// One job that can reach a credential.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CredentialUse {
    pub path: String,
    pub job: String,
    pub triggers: Vec<String>,
    pub untrusted: bool,
    pub location: Location,
}

/// "Credentials reachable from CI": each credential and the jobs/triggers that reach it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CredentialReach {
    pub system: String,
    pub name: String,
    /// Some job that runs untrusted code can reach it.
    pub untrusted: bool,
    pub jobs: Vec<CredentialUse>,
}

pub fn join_credentials(mut creds: Vec<CiCredential>) -> Vec<CredentialReach> {
    creds.sort();
    creds.dedup();
    let mut map: BTreeMap<(String, String), CredentialReach> = BTreeMap::new();
    for c in creds {
        let e = map
            .entry((c.system.clone(), c.name.clone()))
            .or_insert_with(|| CredentialReach {
                system: c.system.clone(),
                name: c.name.clone(),
                untrusted: false,
                jobs: Vec::new(),
            });
        e.untrusted |= c.untrusted;
        e.jobs.push(CredentialUse {
            path: c.path,
            job: c.job,
            triggers: c.triggers,
            untrusted: c.untrusted,
            location: c.location,
        });
    }
    map.into_values().collect()
}

/// Everything a scan produced, as the reports print it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// The scan root as given on the command line.
    pub root: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: FileStats,
    pub credentials: Vec<CredentialReach>,
    /// Metadata of the rules that have findings (for SARIF and explanations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleMeta>,
    /// `pipeguard drift`: each changed job with a unified diff of its canonical form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<JobDiff>,
}

/// Metadata of the rules that have findings, sorted by id.
pub fn rules_of(registry: &Registry, findings: &[Finding]) -> Vec<RuleMeta> {
    rules_of_all(registry, findings, &[])
}

/// Metadata of the rules that have findings or suppressed findings, sorted by id.
pub fn rules_of_all(
    registry: &Registry,
    findings: &[Finding],
    suppressed: &[crate::policy::Suppressed],
) -> Vec<RuleMeta> {
    let mut ids: Vec<&str> = findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .chain(suppressed.iter().map(|s| s.rule_id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| registry.get(id).cloned())
        .collect()
}

impl Report {
    /// Incomplete: some file could not be read or parsed.
    pub fn incomplete(&self) -> bool {
        self.files.failed > 0
            || self
                .diagnostics
                .iter()
                .any(|d| d.level == DiagnosticLevel::Error)
    }
}

pub struct RenderOptions {
    /// ANSI colours (text format only; only on a TTY and without NO_COLOR).
    pub color: bool,
    /// The command that produced the report (`scan`, `drift`, `registry`): SARIF's
    /// `automationDetails.id` is `pipeguard/<command>/`, so that code scanning keeps the
    /// alerts of each command apart.
    pub command: &'static str,
    /// Text: only the summary line (and errors of the run).
    pub quiet: bool,
    /// Text: show only findings at or above this severity (display only: the verdict, the
    /// counts and the other formats are unchanged).
    pub min_severity: Option<crate::finding::Severity>,
    /// Text: print the "Credentials reachable from CI" block (always in JSON and Markdown).
    pub show_credentials: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            command: "scan",
            quiet: false,
            min_severity: None,
            show_credentials: false,
        }
    }
}

pub fn render(format: Format, report: &Report, opts: &RenderOptions) -> String {
    // Formats read by people (or by the runner) print untrusted strings neutralised; JSON and
    // SARIF carry them exactly (escaped by JSON).
    match format {
        Format::Text => text::render_with(&neutral::report(report), opts),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render_as(report, opts.command),
        Format::Github => github::render(&neutral::report(report)),
        Format::Junit => junit::render(&neutral::report(report)),
        Format::Markdown => markdown::render(&neutral::report(report)),
    }
}

/// "1 finding" / "2 findings".
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Every text of a report through the redactor: messages, snippets (carets kept on their
/// text), remediation, related notes, properties, provenance, suppression reasons,
/// diagnostics and drift diffs.
pub fn redact(report: &mut Report, r: &Redactor) {
    r.redact_string(&mut report.root);
    for f in &mut report.findings {
        r.redact_string(&mut f.message);
        r.redact_string(&mut f.remediation);
        for rel in &mut f.related {
            r.redact_string(&mut rel.message);
        }
        for v in f.properties.values_mut() {
            r.redact_string(v);
        }
        if let Some(p) = &mut f.provenance {
            r.redact_string(&mut p.author);
        }
        if let Some(snip) = &mut f.snippet {
            for (i, line) in snip.lines.iter_mut().enumerate() {
                let std::borrow::Cow::Owned(masked) = r.redact(line) else {
                    continue;
                };
                if i == 0 {
                    // A mask before the caret moves it: recount on the masked prefix.
                    let col = |c: u32| {
                        let prefix: String =
                            line.chars().take(c.saturating_sub(1) as usize).collect();
                        r.redact(&prefix).chars().count() as u32 + 1
                    };
                    let (s, e) = snip.caret;
                    snip.caret = (col(s), col(e).max(col(s)));
                }
                *line = masked;
            }
        }
    }
    for s in &mut report.suppressed {
        if let crate::policy::Suppression::Inline { reason, .. } = &mut s.suppression {
            r.redact_string(reason);
        }
    }
    for d in &mut report.diagnostics {
        r.redact_string(&mut d.message);
    }
    for d in &mut report.drift {
        r.redact_string(&mut d.diff);
    }
}
