//! The analyzers, one folder per rule family. Each parses its files into a typed model with
//! spans and runs its rules over the model; none of them prints anything.

pub mod common;
pub mod compose;
pub mod docker;
pub mod github;
pub mod jenkins;
pub mod kubernetes;
pub mod rule;
pub mod secrets;
pub mod terraform;

use std::sync::Arc;

pub use crate::finding::CiCredential;
use crate::finding::{Diagnostic, Family, RawFinding};
use crate::policy::config::{Config, Schema, SectionCheck};
use crate::rules::Registry;
use crate::source::FileKind;
use crate::source::SourceFile;

/// What every analyzer may read while it runs.
pub struct ScanContext<'a> {
    pub config: &'a Config,
    /// `scan --online`: what the GitHub API says about the used actions (none offline).
    pub online: Option<&'a crate::online::OnlineFacts>,
}

impl ScanContext<'_> {
    /// Rules switched off in the config need not run at all.
    pub fn enabled(&self, rule_id: impl AsRef<str>) -> bool {
        self.config.rule_enabled(rule_id.as_ref())
    }

    /// The persona the scan reports at: a rule whose lowest persona is above it need not run.
    pub fn persona(&self) -> crate::finding::Persona {
        self.config.persona.unwrap_or_default()
    }
}

/// Everything an analyzer produces.
#[derive(Debug, Default)]
pub struct Output {
    pub findings: Vec<RawFinding>,
    pub diagnostics: Vec<Diagnostic>,
    pub credentials: Vec<CiCredential>,
    /// Files the analyzer could not parse: the scan is incomplete (exit code 2).
    pub unparsed: Vec<String>,
}

impl Output {
    pub fn push(&mut self, f: RawFinding) {
        self.findings.push(f);
    }

    /// Record a file that could not be parsed: a `<family>/parse-error` finding at the place the
    /// parser stopped, and the file counted as not analysed.
    pub fn parse_error(
        &mut self,
        family: Family,
        file: &SourceFile,
        at: usize,
        message: impl Into<String>,
    ) {
        let at = at.min(file.text.len());
        let message = message.into();
        self.findings.push(
            RawFinding::new(
                format!("{family}/parse-error"),
                file,
                at..at,
                format!("could not parse: {message}"),
            )
            .content(format!("parse-error {}", file.path)),
        );
        self.unparsed.push(file.path.clone());
    }

    pub fn extend(&mut self, other: Output) {
        self.findings.extend(other.findings);
        self.diagnostics.extend(other.diagnostics);
        self.credentials.extend(other.credentials);
        self.unparsed.extend(other.unparsed);
    }
}

pub trait Analyzer: Send + Sync {
    fn family(&self) -> Family;

    /// Rule ids this analyzer can report; a test checks them against the catalogue.
    fn rule_ids(&self) -> Vec<&'static str>;

    /// Whether files of this kind go to `analyze_file`.
    fn accepts(&self, kind: FileKind) -> bool;

    /// Analyse one file; called in parallel for every accepted file.
    fn analyze_file(&self, file: &SourceFile, cx: &ScanContext<'_>, out: &mut Output);

    /// Cross-file analysis, called once with every accepted file after `analyze_file` ran on
    /// each, when `wants_project` is true (e.g. Terraform references between files).
    fn analyze_project(
        &self,
        _files: &[Arc<SourceFile>],
        _cx: &ScanContext<'_>,
        _out: &mut Output,
    ) {
    }

    fn wants_project(&self) -> bool {
        false
    }

    /// `pipeguard fix`: repairs (or why none is safe) for some of the `findings` this analyzer
    /// reported in `file`. Edits are byte ranges of `file.text`.
    fn propose_fixes(
        &self,
        _file: &SourceFile,
        _findings: &[crate::finding::Finding],
        _online: Option<&crate::online::OnlineFacts>,
    ) -> Vec<crate::edit::Proposal> {
        Vec::new()
    }

    /// Binary files this analyzer reads itself, told by their name (the secrets analyzer's
    /// archives); other binary files are skipped with a note.
    fn wants_binary(&self, _path: &str, _cx: &ScanContext<'_>) -> bool {
        false
    }

    /// Analyse a binary file `wants_binary` asked for; `false` when it is not one this analyzer
    /// reads after all (then it is skipped as binary).
    fn analyze_binary(
        &self,
        _path: &str,
        _bytes: &[u8],
        _cx: &ScanContext<'_>,
        _out: &mut Output,
    ) -> bool {
        false
    }
}

/// The config sections that belong to an analyzer, checked while a config loads.
pub const SECTION_CHECKS: &[&dyn SectionCheck] =
    &[&secrets::SecretsSection, &github::GithubSection];

/// What a config is validated against: the catalogue and the analyzers' section checks.
pub fn config_schema(registry: &Registry) -> Schema<'_> {
    Schema {
        registry,
        sections: SECTION_CHECKS,
    }
}

/// Every analyzer, in family order.
pub fn all() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(docker::DockerAnalyzer),
        Box::new(compose::ComposeAnalyzer),
        Box::new(github::GithubAnalyzer),
        Box::new(secrets::SecretsAnalyzer::default()),
        Box::new(kubernetes::KubernetesAnalyzer),
        Box::new(terraform::TerraformAnalyzer),
        Box::new(jenkins::JenkinsAnalyzer),
    ]
}
