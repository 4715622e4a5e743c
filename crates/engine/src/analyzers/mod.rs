//! The analyzers, one folder per rule family. Each parses its files into a typed model with
//! spans and runs its rules over the model; none of them prints anything.

pub mod compose;
pub mod docker;
pub mod github;
pub mod jenkins;
pub mod kubernetes;
pub mod secrets;
pub mod terraform;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::discover::FileKind;
use crate::finding::{Diagnostic, Family, Finding, Location};
use crate::policy::config::Config;
use crate::source::SourceFile;

/// What every analyzer may read while it runs.
pub struct ScanContext<'a> {
    pub config: &'a Config,
}

impl ScanContext<'_> {
    /// Rules switched off in the config need not run at all.
    pub fn enabled(&self, rule_id: &str) -> bool {
        self.config.rule_enabled(rule_id)
    }
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

/// Everything an analyzer produces.
#[derive(Debug, Default)]
pub struct Output {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub credentials: Vec<CiCredential>,
    /// Files the analyzer could not parse: the scan is incomplete (exit code 2).
    pub unparsed: Vec<String>,
}

impl Output {
    pub fn push(&mut self, f: Finding) {
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
            Finding::new(
                &format!("{family}/parse-error"),
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
    fn rule_ids(&self) -> &'static [&'static str];

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

/// Rule ids that every analyzer can report, plus the engine's own.
pub fn implemented_rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = all()
        .iter()
        .flat_map(|a| a.rule_ids().iter().copied())
        .collect();
    // Drift findings come from `pipeguard drift`, not from an analyzer.
    ids.extend_from_slice(crate::drift::classify::IDS);
    // Registry findings come from `pipeguard registry audit`.
    ids.extend_from_slice(crate::registry::IDS);
    ids
}
